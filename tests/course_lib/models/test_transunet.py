"""Tests for course_lib.models.transunet."""

import pytest
import torch

from course_lib.models import TransUNetLite


def test_shapes_and_attention():
    torch.manual_seed(0)
    model = TransUNetLite(
        2, 3, (16, 24), channels=(4, 8, 16), dim=16, depth=2, n_heads=2, mlp_dim=16
    )
    x = torch.randn(2, 2, 16, 24)
    assert model(x).shape == (2, 3, 16, 24)
    logits, atts = model(x, return_attention=True)
    assert len(atts) == 2 and atts[0].shape == (2, 2, 4 * 6, 4 * 6)
    assert model.bottleneck_shape == (4, 6)


def test_gradients_reach_encoder_and_transformer():
    torch.manual_seed(0)
    model = TransUNetLite(1, 2, 8, channels=(4, 8), dim=8, depth=1, n_heads=2, mlp_dim=8)
    model(torch.randn(2, 1, 8, 8)).sum().backward()
    assert model.encoder[0][0].weight.grad.abs().sum() > 0
    assert model.blocks[0].attn.qkv.weight.grad.abs().sum() > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="multiples of 4"):
        TransUNetLite(1, 2, 18, channels=(4, 8, 16))
    with pytest.raises(ValueError, match="n_heads"):
        TransUNetLite(1, 2, 16, dim=10, n_heads=4)
    with pytest.raises(ValueError, match=r"\(B, 1, 16, 16\)"):
        TransUNetLite(1, 2, 16)(torch.randn(1, 1, 32, 32))
