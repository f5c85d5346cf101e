"""Tests for course_lib.models.vit."""

import numpy as np
import pytest
import torch

from course_lib.models import ViT, attention_rollout, cls_attention_map, count_parameters


def test_shapes_and_attention():
    torch.manual_seed(0)
    model = ViT((32, 48), 8, 2, 3, dim=16, depth=2, n_heads=4, mlp_dim=32)
    x = torch.randn(5, 2, 32, 48)
    assert model(x).shape == (5, 3)
    logits, attentions = model(x, return_attention=True)
    assert logits.shape == (5, 3) and len(attentions) == 2
    assert attentions[0].shape == (5, 4, 1 + 4 * 6, 1 + 4 * 6)
    amap = model.attention_map(x)
    assert amap.shape == (5, 4, 6) and model.grid_shape == (4, 6)
    assert (amap >= 0).all() and (amap.sum((1, 2)) <= 1 + 1e-6).all()


def test_default_budget_is_small():
    # defaults are meant to be comparable with CNNClassifier's (23,650)
    assert 20_000 < count_parameters(ViT(64, 8, 1, 2)) < 60_000


def test_rollout_against_numpy():
    torch.manual_seed(0)
    atts = [torch.softmax(torch.randn(2, 3, 5, 5), -1) for _ in range(3)]
    got = attention_rollout(atts).numpy()
    for b in range(2):
        want = np.eye(5)
        for a in atts:
            m = 0.5 * a[b].mean(0).double().numpy() + 0.5 * np.eye(5)
            m /= m.sum(1, keepdims=True)
            want = m @ want
        np.testing.assert_allclose(got[b], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got.sum(-1), 1.0, rtol=1e-5)
    plain = attention_rollout(atts[:1], residual=False)
    torch.testing.assert_close(plain, atts[0].mean(1))
    assert cls_attention_map(plain, (2, 2)).shape == (2, 2, 2)
    with pytest.raises(ValueError, match="expected 10"):
        cls_attention_map(plain, (3, 3))


def test_sincos_embedding_is_not_saved():
    model = ViT(16, 4, 1, 2, dim=8, depth=1, n_heads=2, mlp_dim=8, pos_embedding="sincos")
    assert "pos_embedding" not in model.state_dict()
    assert model.pos_embedding.shape == (1, 17, 8)
    learned = ViT(16, 4, 1, 2, dim=8, depth=1, n_heads=2, mlp_dim=8)
    assert "pos_embedding" in learned.state_dict()


def test_vit_learns_a_tiny_task():
    # bright square in the left vs right half: a few Adam steps must fit it
    torch.manual_seed(0)
    x = torch.zeros(16, 1, 16, 16)
    y = torch.arange(16) % 2
    for i in range(16):
        col = 2 if y[i] == 0 else 10
        x[i, 0, 4 + i % 6 : 8 + i % 6, col : col + 4] = 1.0
    model = ViT(16, 4, 1, 2, dim=16, depth=1, n_heads=2, mlp_dim=16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert (model(x).argmax(1) == y).float().mean() == 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image_size": 30}, "patch_size"),
        ({"n_heads": 3}, "n_heads=3 must divide dim=16"),
        ({"n_classes": 1}, "n_classes"),
        ({"pos_embedding": "sin"}, "Did you mean 'sincos'"),
        ({"dropout": -0.1}, "dropout"),
    ],
)
def test_bad_arguments(kwargs, message):
    args = {
        "image_size": 32,
        "patch_size": 8,
        "in_channels": 1,
        "n_classes": 2,
        "dim": 16,
        "depth": 1,
        "n_heads": 4,
        "mlp_dim": 16,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        ViT(**args)
