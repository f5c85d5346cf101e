"""Tests for course_lib.models.compute_cost.count_macs (multiply-accumulates per input)."""

import pytest
from torch import nn

from course_lib.models import CNNClassifier, ViT
from course_lib.models.compute_cost import count_macs


def test_linear_and_convolution_by_hand():
    assert count_macs(nn.Linear(10, 4), (10,)) == 40
    # 3x3 conv, 2 -> 5 channels, "same" padding on 6x7: 6 * 7 * 5 outputs, 3 * 3 * 2 MACs each
    assert count_macs(nn.Conv2d(2, 5, 3, padding=1), (2, 6, 7)) == 6 * 7 * 5 * 3 * 3 * 2
    # a dilated kernel has the same number of MACs per output
    assert count_macs(nn.Conv2d(2, 5, 3, padding=2, dilation=2), (2, 6, 7)) == 6 * 7 * 5 * 3 * 3 * 2


def test_vit_attention_products_are_counted():
    # one block, D = 8, N = 4 patches + class token = 5 tokens, MLP width 16, 2 classes
    vit = ViT(8, 4, 1, 2, dim=8, depth=1, n_heads=2, mlp_dim=16)
    n, dim = 5, 8
    embed = 4 * 16 * 8  # 4 patches of 16 pixels -> 8
    projections = n * dim * 3 * dim + n * dim * dim  # qkv and output projection
    attention = 2 * n * n * dim  # Q K^T and weights @ V, all heads
    mlp = n * dim * 16 + n * 16 * dim
    head = dim * 2
    assert count_macs(vit, (1, 8, 8)) == embed + projections + attention + mlp + head


def test_model_mode_is_restored_and_input_checked():
    model = CNNClassifier(1, 2, channels=(4, 4))
    model.train()
    count_macs(model, (1, 16, 16))
    assert model.training
    with pytest.raises(ValueError, match="input_shape"):
        count_macs(model, 16)
