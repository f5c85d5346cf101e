"""Tests for course_lib.models.patch_cnn and dense_prediction."""

import numpy as np
import pytest
import torch

from course_lib.models import (
    PatchCNN,
    count_parameters,
    patch_cnn_parameter_count,
    to_fully_convolutional,
)


def test_lecture_parameter_count():
    # Lecture (after Knoll, ISMRM 2018): 26,117 parameters for 40x40 patches.
    assert count_parameters(PatchCNN()) == 26117
    assert patch_cnn_parameter_count() == 26117


@pytest.mark.parametrize(
    "kwargs",
    [
        {"in_channels": 2, "patch_size": 16, "n_filters": 3, "n_conv": 2, "fc_units": 5},
        {"patch_size": 13, "n_conv": 3, "padding": "valid"},
        {"patch_size": 9, "n_conv": 1},
    ],
)
def test_formula_matches_model(kwargs):
    assert count_parameters(PatchCNN(**kwargs)) == patch_cnn_parameter_count(**kwargs)


def test_forward_shape():
    out = PatchCNN(in_channels=2, patch_size=12)(torch.randn(3, 2, 12, 12))
    assert out.shape == (3,)


def test_bad_arguments():
    with pytest.raises(ValueError, match="patch_size"):
        PatchCNN(patch_size=8, n_conv=4, padding="valid")
    with pytest.raises(ValueError, match="Did you mean 'valid'"):
        PatchCNN(padding="VALID")
    with pytest.raises(ValueError, match="to_fully_convolutional"):
        PatchCNN(patch_size=12)(torch.randn(1, 1, 40, 40))


def _numpy_patch(image, y, x, p):
    """Independent patch cut with numpy.pad (pixel (y, x) at index p // 2)."""
    lo, hi = p // 2, p - 1 - p // 2
    padded = np.pad(image, ((0, 0), (lo, hi), (lo, hi)))
    return padded[:, y : y + p, x : x + p]


def _patch_by_patch(model, image, p):
    h, w = image.shape[1:]
    out = np.zeros((h, w), dtype=np.float32)
    with torch.no_grad():
        for y in range(h):
            for x in range(w):
                patch = torch.from_numpy(_numpy_patch(image, y, x, p))[None]
                out[y, x] = torch.sigmoid(model(patch)).item()
    return out


@pytest.mark.parametrize("patch_size", [10, 11])  # pooled side 3 (odd) and 3 after flooring 7/2
def test_fully_convolutional_equals_patch_by_patch(patch_size):
    """The FCN on a zero-padded slice gives every pixel the patch network's output."""
    torch.manual_seed(0)
    model = PatchCNN(in_channels=2, patch_size=patch_size, n_conv=2, padding="valid").eval()
    image = np.random.default_rng(1).normal(size=(2, 9, 7)).astype(np.float32)
    want = _patch_by_patch(model, image, patch_size)
    lo, hi = patch_size // 2, patch_size - 1 - patch_size // 2
    padded = np.pad(image, ((0, 0), (lo, hi), (lo, hi)))
    with torch.no_grad():
        got = torch.sigmoid(to_fully_convolutional(model)(torch.from_numpy(padded)[None]))[
            0, 0
        ].numpy()
    assert got.shape[0] >= 9 and got.shape[1] >= 7
    got = got[:9, :7]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_fully_convolutional_needs_valid_padding():
    with pytest.raises(ValueError, match="padding='valid'"):
        to_fully_convolutional(PatchCNN(patch_size=8))
    with pytest.raises(ValueError, match="PatchCNN"):
        to_fully_convolutional(torch.nn.Linear(2, 2))


def test_plain_sequential_of_chapter_02_agrees_with_patch_cnn():
    """Chapter 02 builds the lecture's network as a plain nn.Sequential, then uses PatchCNN."""
    torch.manual_seed(0)
    layers = [torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU()]
    for _ in range(3):
        layers += [torch.nn.Conv2d(4, 4, 3, padding=1), torch.nn.ReLU()]
    layers += [
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(1600, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 1),
    ]
    plain = torch.nn.Sequential(*layers)
    model = PatchCNN()
    model.load_state_dict(dict(zip(model.state_dict(), plain.state_dict().values())))
    x = torch.randn(5, 1, 40, 40)
    with torch.no_grad():
        torch.testing.assert_close(model(x), plain(x)[:, 0])
    assert count_parameters(plain) == count_parameters(model) == 26117
