"""Tests for course_lib.models.cnn_classifier (CNN baseline and receptive fields)."""

import pytest
import torch
from torch import nn

from course_lib.models import CNNClassifier, PatchDiscriminator, receptive_field


def _empirical_receptive_field(stack, size=64):
    """Side of the input window that changes the centre output (gradient support)."""
    x = torch.ones(1, 1, size, size, requires_grad=True)
    out = stack(x)
    c = out.shape[-1] // 2
    out[0, 0, c, c].backward()
    rows = (x.grad[0, 0].abs().sum(1) > 0).nonzero()
    return int(rows.max() - rows.min() + 1)


def _positive_stack(layers):
    stack = nn.Sequential(*layers)
    for m in stack.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 0.1)
            nn.init.zeros_(m.bias)
    return stack


@pytest.mark.parametrize(
    "layers",
    [
        [nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)],
        [nn.Conv2d(1, 1, 3, padding=1), nn.AvgPool2d(2), nn.Conv2d(1, 1, 3)],
        [nn.Conv2d(1, 1, 5, stride=2), nn.Conv2d(1, 1, 3, dilation=2), nn.AvgPool2d(3, 2)],
    ],
)
def test_receptive_field_matches_gradient_support(layers):
    stack = _positive_stack(layers)
    assert receptive_field(stack) == _empirical_receptive_field(stack)


def test_receptive_field_from_config_and_known_values():
    assert receptive_field([(3, 1), (3, 1)]) == 5
    assert receptive_field([(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]) == 18
    assert receptive_field(CNNClassifier(1, 2)) == 18
    assert receptive_field(CNNClassifier(1, 2, channels=(8, 8), pooling=False)) == 5
    # Isola et al. 2017: the default PatchGAN sees 70x70 patches
    assert receptive_field(PatchDiscriminator(2, n_layers=3)) == 70
    assert receptive_field(PatchDiscriminator(2, n_layers=2)) == 34


def test_receptive_field_rejects_non_plain_stacks():
    with pytest.raises(ValueError, match="plain conv/pool"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(4, 1)))
    with pytest.raises(ValueError, match="isotropic"):
        receptive_field(nn.Conv2d(1, 1, (3, 5)))
    with pytest.raises(ValueError, match="kernel, stride"):
        receptive_field([(3,)])


def test_classifier_shapes_and_arguments():
    torch.manual_seed(0)
    model = CNNClassifier(2, 3, channels=(4, 8), kernel_size=5)
    assert model(torch.randn(4, 2, 20, 24)).shape == (4, 3)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        CNNClassifier(1, 2, kernel_size=4)
    with pytest.raises(ValueError, match="channels"):
        CNNClassifier(1, 2, channels=())
    with pytest.raises(ValueError, match=r"\(B, 2, H, W\)"):
        model(torch.randn(4, 1, 20, 24))


def test_patch_embedding_and_dilation_receptive_fields():
    # 8x8 patches (r = 8, j = 8), then 3x3 layers add 2 * 8 each; dilation 2 adds 2 * 2 * 8
    patches = dict(channels=(4, 4, 4), patch_size=8, pooling=False)
    assert receptive_field(CNNClassifier(1, 2, kernel_size=1, **patches)) == 8
    assert receptive_field(CNNClassifier(1, 2, **patches)) == 8 + 16 + 16
    assert receptive_field(CNNClassifier(1, 2, dilations=(1, 1, 2), **patches)) == 8 + 16 + 32
    model = CNNClassifier(1, 2, dilations=(1, 1, 2), **patches)
    stack = _positive_stack([m for m in model.features if isinstance(m, nn.Conv2d)])
    assert receptive_field(stack) == _empirical_receptive_field(stack, size=128)


def test_patch_embedding_is_a_strided_convolution_and_shapes_hold():
    torch.manual_seed(0)
    model = CNNClassifier(1, 3, channels=(8, 8), patch_size=4, pooling=False, dilations=(1, 2))
    stem = model.features[0]
    assert stem.kernel_size == (4, 4) and stem.stride == (4, 4)
    assert model.features(torch.randn(2, 1, 32, 32)).shape == (2, 8, 8, 8)  # grid kept
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 3)
    pooled = CNNClassifier(1, 2, channels=(4, 4, 4), pooling=(True, False, False))
    assert sum(isinstance(m, nn.MaxPool2d) for m in pooled.features) == 1


def test_new_arguments_are_validated():
    with pytest.raises(ValueError, match="dilations has 2 entries for 3 stages"):
        CNNClassifier(1, 2, channels=(4, 4, 4), dilations=(1, 2))
    with pytest.raises(ValueError, match="patch embedding .* cannot be dilated"):
        CNNClassifier(1, 2, channels=(4, 4), patch_size=4, dilations=(2, 1))
    with pytest.raises(ValueError, match="pooling has 1 flags for 2 stages"):
        CNNClassifier(1, 2, channels=(4, 4), pooling=(True,))
    with pytest.raises(ValueError, match="patch_size"):
        CNNClassifier(1, 2, patch_size=0)
