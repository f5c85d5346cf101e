"""Tests for course_lib.models.attention against PyTorch's reference code."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_lib.models import MultiHeadSelfAttention, TransformerBlock, scaled_dot_product_attention


def _random_bool_mask(shape, generator):
    mask = torch.rand(shape, generator=generator) > 0.4
    mask[..., 0] = True  # every query may attend to at least one key
    return mask


def test_sdpa_equals_torch_without_mask():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 5, 8), torch.randn(2, 3, 7, 8), torch.randn(2, 3, 7, 4)
    out, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))
    assert weights.shape == (2, 3, 5, 7)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 5))


def test_sdpa_equals_torch_with_masks():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 3, 6, 8, generator=g) for _ in range(3))
    bool_mask = _random_bool_mask((2, 1, 6, 6), g)
    out, weights = scaled_dot_product_attention(q, k, v, bool_mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=bool_mask))
    assert (weights[~bool_mask.expand_as(weights)] == 0).all()
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    torch.testing.assert_close(
        scaled_dot_product_attention(q, k, v, causal)[0],
        F.scaled_dot_product_attention(q, k, v, is_causal=True),
    )
    float_mask = torch.randn(6, 6, generator=g)
    torch.testing.assert_close(
        scaled_dot_product_attention(q, k, v, float_mask)[0],
        F.scaled_dot_product_attention(q, k, v, attn_mask=float_mask),
    )


def _copy_from_torch(ours, ref):
    with torch.no_grad():
        ours.qkv.weight.copy_(ref.in_proj_weight)
        ours.qkv.bias.copy_(ref.in_proj_bias)
        ours.proj.weight.copy_(ref.out_proj.weight)
        ours.proj.bias.copy_(ref.out_proj.bias)


@pytest.mark.parametrize("with_mask", [False, True])
def test_mha_equals_torch_multihead_attention(with_mask):
    torch.manual_seed(0)
    dim, heads = 12, 3
    ref = nn.MultiheadAttention(dim, heads, batch_first=True).eval()
    ours = MultiHeadSelfAttention(dim, heads).eval()
    _copy_from_torch(ours, ref)
    x = torch.randn(2, 5, dim)
    mask = _random_bool_mask((5, 5), torch.Generator().manual_seed(3)) if with_mask else None
    # torch.nn.MultiheadAttention uses the opposite convention: True = masked out
    ref_mask = None if mask is None else ~mask
    want, want_w = ref(x, x, x, attn_mask=ref_mask, need_weights=True, average_attn_weights=False)
    got, got_w = ours(x, mask)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(got_w, want_w)
    assert got_w.shape == (2, heads, 5, 5)


def test_mha_rejects_bad_heads():
    with pytest.raises(ValueError, match="n_heads=5 must divide dim=12"):
        MultiHeadSelfAttention(12, 5)
    with pytest.raises(ValueError, match=r"\(B, N, 12\)"):
        MultiHeadSelfAttention(12, 3)(torch.randn(2, 5, 8))


def test_transformer_block_shapes_and_residual():
    torch.manual_seed(0)
    block = TransformerBlock(16, 4, 32).eval()
    x = torch.randn(3, 7, 16)
    y, w = block(x)
    assert y.shape == x.shape and w.shape == (3, 4, 7, 7)
    # zero the output layers of both branches: the block becomes the identity
    with torch.no_grad():
        for layer in (block.attn.proj, block.mlp[3]):
            layer.weight.zero_()
            layer.bias.zero_()
    torch.testing.assert_close(block(x)[0], x)
