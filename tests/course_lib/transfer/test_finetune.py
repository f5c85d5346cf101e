"""Tests for course_lib.transfer.finetune: freezing (BatchNorm included), step budgets, curves."""

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from course_lib.models import UNet
from course_lib.transfer.finetune import batchnorm_statistics, freeze, train_steps


def _data(n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, 16, 16, generator=g) * 3 + 1  # statistics unlike the initial BN's
    y = (x[:, 1:2] > 1).float()
    return TensorDataset(x, y)


def _loss(logits, target):
    return nn.functional.binary_cross_entropy_with_logits(logits, target)


def _unet(seed=0):
    torch.manual_seed(seed)
    return UNet(2, 2, 1, channels=(4, 8))


def test_requires_grad_alone_does_not_freeze_batchnorm():
    model = _unet()
    before = batchnorm_statistics(model.encoder)
    weights = [p.detach().clone() for p in model.encoder.parameters()]
    for p in model.encoder.parameters():  # the naive way
        p.requires_grad_(False)
    train_steps(model, _data(), steps=3, lr=1e-2, loss=_loss, batch_size=4)
    assert all(torch.equal(a, b) for a, b in zip(weights, model.encoder.parameters()))
    assert not torch.allclose(before, batchnorm_statistics(model.encoder))  # statistics moved


def test_frozen_parts_keep_weights_and_statistics_and_the_rest_learns():
    model = _unet()
    before = batchnorm_statistics(model.encoder)
    encoder = [p.detach().clone() for p in model.encoder.parameters()]
    decoder = [p.detach().clone() for p in model.decoder_parameters()]
    run = train_steps(
        model, _data(), steps=3, lr=1e-2, loss=_loss, batch_size=4, frozen=model.encoder
    )
    assert torch.equal(before, batchnorm_statistics(model.encoder))
    assert all(torch.equal(a, b) for a, b in zip(encoder, model.encoder.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(decoder, model.decoder_parameters()))
    assert len(run.losses) == 3 and not model.training


def test_freeze_counts_weights():
    model = _unet()
    n = freeze([model.encoder, model.heads])
    assert n == sum(p.numel() for p in model.encoder.parameters()) + sum(
        p.numel() for p in model.heads.parameters()
    )
    assert not any(p.requires_grad for p in model.heads.parameters())


def test_exact_step_count_cycles_a_short_dataset_and_evaluates_on_the_way():
    model = _unet()
    calls = []
    run = train_steps(
        model,
        _data(n=8),
        steps=5,
        lr=1e-3,
        loss=_loss,
        batch_size=4,
        evaluate_at=(0, 2, 5),
        evaluate=lambda m: calls.append(m.training) or len(calls),
    )
    assert len(run.losses) == 5  # 8 items / batch 4 = 2 steps per pass
    assert run.evaluations == {0: 1, 2: 2, 5: 3}
    assert calls == [True, True, True]  # evaluate sees the model as left by training


def test_same_seed_same_run_and_lr_zero_changes_no_weight():
    a, b = _unet(), _unet()
    ra = train_steps(a, _data(), steps=4, lr=1e-2, loss=_loss, batch_size=4)
    rb = train_steps(b, _data(), steps=4, lr=1e-2, loss=_loss, batch_size=4)
    assert ra.losses == rb.losses
    c = _unet()
    weights = [p.detach().clone() for p in c.parameters()]
    train_steps(c, _data(), steps=2, lr=0.0, loss=_loss, batch_size=4)
    assert all(torch.equal(w, p) for w, p in zip(weights, c.parameters()))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(steps=-1), "steps"),
        (dict(steps=2, lr=-1.0), "lr"),
        (dict(steps=2, evaluate_at=(3,), evaluate=len), "evaluate_at"),
        (dict(steps=2, evaluate_at=(1,)), "evaluate="),
        (dict(steps=2, frozen=["encoder"]), "torch.nn.Module"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    options = dict(lr=1e-3, loss=_loss, batch_size=4) | kwargs
    with pytest.raises((ValueError, TypeError), match=message):
        train_steps(_unet(), _data(), **options)


def test_fully_frozen_model_is_refused():
    model = _unet()
    with pytest.raises(ValueError, match="no trainable parameter"):
        train_steps(model, _data(), steps=1, lr=1e-3, loss=_loss, frozen=model)
