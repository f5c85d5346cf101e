"""Tests for course_lib.selfsupervised.contrastive: NT-Xent against a loop, views, pretraining."""

import math

import numpy as np
import pytest
import torch

from course_lib.augmentation import Compose, RandomFlip, RandomNoise
from course_lib.selfsupervised.contrastive import (
    ProjectionHead,
    SmallEncoder,
    augmented_views,
    nt_xent_loss,
    pretrain_contrastive,
)


def _nt_xent_by_hand(z1, z2, t):
    """The formula of SimCLR (Chen et al. 2020, Alg. 1) written as loops: the reference."""
    z = [[x / math.sqrt(sum(y * y for y in v)) for x in v] for v in torch.cat([z1, z2]).tolist()]
    n, b = len(z), len(z1)
    sim = [[sum(a * c for a, c in zip(z[i], z[k])) / t for k in range(n)] for i in range(n)]
    total = 0.0
    for i in range(n):
        p = (i + b) % n
        total += -sim[i][p] + math.log(sum(math.exp(sim[i][k]) for k in range(n) if k != i))
    return total / n


@pytest.mark.parametrize("t", [0.1, 0.5, 1.0])
def test_nt_xent_matches_the_formula_written_as_loops(t):
    g = torch.Generator().manual_seed(0)
    z1, z2 = (
        torch.randn(5, 3, generator=g, dtype=torch.float64),
        torch.randn(5, 3, generator=g, dtype=torch.float64),
    )
    assert nt_xent_loss(z1, z2, t).item() == pytest.approx(_nt_xent_by_hand(z1, z2, t), rel=1e-10)


def test_nt_xent_is_low_when_partners_agree_and_high_when_they_do_not():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(8, 16, generator=g)
    aligned = nt_xent_loss(z, z + 0.01 * torch.randn(8, 16, generator=g), 0.1)
    shuffled = nt_xent_loss(z, z[torch.randperm(8, generator=g)], 0.1)
    assert aligned < 0.1 < math.log(15) < shuffled + 1.0  # log(2B - 1): chance level
    assert shuffled > 1.0


def test_nt_xent_rejects_bad_shapes_and_temperatures():
    with pytest.raises(ValueError, match="B >= 2"):
        nt_xent_loss(torch.zeros(1, 4), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="temperature"):
        nt_xent_loss(torch.ones(3, 4), torch.ones(3, 4), 0.0)


def test_augmented_views_are_reproducible_and_differ():
    images = np.random.default_rng(0).normal(size=(3, 2, 8, 8)).astype(np.float32)
    augment = Compose([RandomFlip(axis=0), RandomNoise(0.5)])
    a = augmented_views(images, augment, 3, seed=4)
    b = augmented_views(images, augment, 3, seed=4)
    assert a.shape == (3, 3, 2, 8, 8) and np.array_equal(a, b)
    assert not np.allclose(a[:, 0], a[:, 1])
    with pytest.raises(ValueError, match="n_views"):
        augmented_views(images, augment, 1)


def test_pretraining_lowers_the_loss_and_zero_steps_changes_nothing():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(16, 1, 8, 8)).astype(np.float32)
    views = base[:, None] + 0.3 * rng.normal(size=(16, 4, 1, 8, 8)).astype(np.float32)
    torch.manual_seed(0)
    encoder, head = SmallEncoder(1, 4), ProjectionHead(16, 8)
    before = [p.detach().clone() for p in encoder.parameters()]
    assert pretrain_contrastive(encoder, head, views, steps=0, batch_size=8).steps == 0
    assert all(torch.equal(a, b) for a, b in zip(before, encoder.parameters()))
    run = pretrain_contrastive(encoder, head, views, steps=60, batch_size=8, lr=3e-3)
    assert np.mean(run.losses[-10:]) < np.mean(run.losses[:10]) - 0.3
    with pytest.raises(ValueError, match="batch_size"):
        pretrain_contrastive(encoder, head, views, steps=1, batch_size=32)
