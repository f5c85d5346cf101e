"""DP-SGD: per-sample gradients, clipping, noise; the RDP accountant against published values."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.privacy import (
    DPSGD,
    clip_per_sample,
    compute_epsilon,
    compute_rdp,
    epsilon_from_rdp,
    noise_for_epsilon,
    per_sample_gradients,
    poisson_sample,
    private_gradient,
)


def _model_and_batch(seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    return model, torch.randn(6, 5), torch.randint(0, 3, (6,))


def test_per_sample_gradients_match_a_loop_over_examples():
    model, x, y = _model_and_batch()
    grads = per_sample_gradients(model, nn.functional.cross_entropy, x, y)
    for i in range(x.shape[0]):  # reference: ordinary autograd, one example at a time
        model.zero_grad()
        nn.functional.cross_entropy(model(x[i : i + 1]), y[i : i + 1]).backward()
        for name, p in model.named_parameters():
            torch.testing.assert_close(grads[name][i], p.grad, rtol=1e-5, atol=1e-6)


def test_clipped_per_sample_norms_are_at_most_c():
    model, x, y = _model_and_batch()
    grads = per_sample_gradients(model, nn.functional.cross_entropy, x * 50, y)
    for c in (1e-3, 0.1, 1.0):
        clipped, norms = clip_per_sample(grads, c)
        flat = torch.cat([g.flatten(1) for g in clipped.values()], dim=1)
        assert (flat.norm(dim=1) <= c * (1 + 1e-5)).all()
        small = norms <= c  # examples already inside the ball are not changed
        for name in grads:
            torch.testing.assert_close(clipped[name][small], grads[name][small])
    with pytest.raises(ValueError, match="max_norm"):
        clip_per_sample(grads, 0.0)


def test_no_noise_and_huge_c_is_ordinary_sgd():
    model, x, y = _model_and_batch()
    reference = copy.deepcopy(model)
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    opt.zero_grad()
    nn.functional.cross_entropy(reference(x), y).backward()
    opt.step()
    dp = DPSGD(
        model, torch.optim.SGD(model.parameters(), lr=0.1), max_norm=1e6, noise_multiplier=0.0
    )
    dp.step(x, y, nn.functional.cross_entropy)
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=name)
    assert dp.steps == 1


def test_noise_has_std_sigma_c_over_batch_size():
    model = nn.Linear(100, 50, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    x, y = torch.zeros(4, 100), torch.zeros(4, 50)  # zero gradients: the output is pure noise
    g = torch.Generator().manual_seed(0)
    draws = torch.cat(
        [
            private_gradient(
                model, nn.functional.mse_loss, x, y, max_norm=2.0, noise_multiplier=1.5, generator=g
            )["weight"].flatten()
            for _ in range(4)
        ]
    )  # 20000 draws
    assert abs(float(draws.std()) - 1.5 * 2.0 / 4) < 0.01
    assert abs(float(draws.mean())) < 0.01


def test_poisson_sample_rate():
    g = torch.Generator().manual_seed(0)
    sizes = [len(poisson_sample(1000, 0.05, g)) for _ in range(200)]
    assert abs(np.mean(sizes) - 50) < 2
    with pytest.raises(ValueError, match="sample_rate"):
        poisson_sample(10, 0.0)


def test_rdp_matches_tensorflow_privacy_reference_values():
    # Values from TensorFlow Privacy's rdp_accountant_test.py (an independent
    # implementation of the same integer-order formula).
    assert compute_rdp(0.1, 2, 10, [5])[0] == pytest.approx(0.07737, abs=1e-5)
    np.testing.assert_allclose(
        compute_rdp(0.01, 2.5, 50, [5, 50, 100]), [0.00218075, 0.023846, 167.416307], atol=1e-5
    )
    assert compute_rdp(0, 10, 1, [20])[0] == 0.0  # no data sampled
    assert compute_rdp(1, 10, 1, [20])[0] == pytest.approx(0.1)  # Gaussian: alpha / 2 sigma^2


def test_epsilon_matches_published_examples():
    # Bu, Dong, Long & Su (2020), Harvard Data Science Review, Fig. 4: moments accountant,
    # p = 256/60000, sigma = 1.3, 20 epochs (4687 steps) -> (1.34, 1e-5)-DP. Their orders
    # include fractional ones; integer orders give a slightly larger, still valid, bound.
    assert compute_epsilon(256 / 60000, 1.3, 4687, 1e-5) == pytest.approx(1.34, abs=0.02)
    # Abadi et al. (2016), Section 3.1: q = 0.01, sigma = 4, T = 10000, delta = 1e-5 gives
    # epsilon ~ 1.26 with the moments accountant.
    assert compute_epsilon(0.01, 4.0, 10_000, 1e-5) == pytest.approx(1.26, abs=0.02)


def test_epsilon_monotone_in_sigma_and_steps():
    sigmas = [0.6, 0.8, 1.0, 1.5, 2.0, 4.0]
    eps_sigma = [compute_epsilon(0.02, s, 1000, 1e-5) for s in sigmas]
    assert all(a > b for a, b in zip(eps_sigma, eps_sigma[1:]))
    eps_steps = [compute_epsilon(0.02, 1.0, t, 1e-5) for t in (10, 100, 1000, 10_000)]
    assert all(a < b for a, b in zip(eps_steps, eps_steps[1:]))
    assert math.isinf(compute_epsilon(0.02, 0.0, 10, 1e-5))


def test_noise_for_epsilon_inverts_the_accountant():
    for target in (0.5, 2.0, 8.0):
        sigma = noise_for_epsilon(target, q=0.01, steps=2000, delta=1e-5)
        assert compute_epsilon(0.01, sigma, 2000, 1e-5) <= target
        assert compute_epsilon(0.01, sigma * 0.99, 2000, 1e-5) > target  # and it is tight
    with pytest.raises(ValueError, match="target_eps"):
        noise_for_epsilon(0.0, 0.01, 10, 1e-5)


def test_accountant_argument_errors():
    with pytest.raises(ValueError, match="q must lie"):
        compute_rdp(1.5, 1.0, 1)
    with pytest.raises(ValueError, match="integers"):
        compute_rdp(0.1, 1.0, 1, orders=[1.5])
    with pytest.raises(ValueError, match="delta"):
        epsilon_from_rdp([2, 3], [0.1, 0.2], delta=0.0)


def test_per_sample_gradients_with_dropout_and_a_conv_net():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Dropout(0.5), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)
    ).train()
    x, y = torch.randn(5, 1, 8, 8), torch.randint(0, 2, (5,))
    grads = per_sample_gradients(model, nn.functional.cross_entropy, x, y)
    assert grads["0.weight"].shape == (5, 4, 1, 3, 3) and grads["4.bias"].shape == (5, 2)
    assert all(torch.isfinite(g).all() for g in grads.values())


def test_patient_level_gradient_matches_a_loop_over_patients():
    """groups=: each patient's mean-loss gradient is clipped, then summed and noised."""
    from course_lib.privacy import average_by_group

    model, x, y = _model_and_batch()
    x = x * 20  # large gradients, so that clipping acts
    groups = torch.tensor([7, 7, 3, 7, 3, 9])
    clipped_sum = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for patient in (3, 7, 9):  # reference: autograd on each patient's mean loss
        model.zero_grad()
        rows = groups == patient
        nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
        norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()))
        factor = min(1.0, 0.5 / float(norm))
        for name, p in model.named_parameters():
            clipped_sum[name] += factor * p.grad
    got = private_gradient(
        model,
        nn.functional.cross_entropy,
        x,
        y,
        max_norm=0.5,
        noise_multiplier=0.0,
        expected_batch_size=2.0,
        groups=groups,
    )
    for name in clipped_sum:
        torch.testing.assert_close(got[name], clipped_sum[name] / 2.0, rtol=1e-5, atol=1e-6)
    # one example per group is ordinary per-example DP-SGD
    single = private_gradient(
        model,
        nn.functional.cross_entropy,
        x,
        y,
        max_norm=0.5,
        noise_multiplier=0.0,
        groups=torch.arange(6),
    )
    plain = private_gradient(
        model, nn.functional.cross_entropy, x, y, max_norm=0.5, noise_multiplier=0.0
    )
    for name in plain:
        torch.testing.assert_close(single[name], plain[name])
    with pytest.raises(ValueError, match="1-D integer"):
        average_by_group(
            per_sample_gradients(model, nn.functional.cross_entropy, x, y), torch.zeros(6)
        )
    with pytest.raises(ValueError, match="entries"):
        average_by_group(
            per_sample_gradients(model, nn.functional.cross_entropy, x, y),
            torch.zeros(5, dtype=torch.long),
        )


def test_a_patient_with_many_examples_moves_the_sum_by_at_most_c():
    """The privacy unit is the patient: its influence is bounded whatever its size."""
    model, x, y = _model_and_batch()
    big = torch.cat([x * 30] * 20)  # one patient, 120 examples
    many = private_gradient(
        model,
        nn.functional.cross_entropy,
        big,
        torch.cat([y] * 20),
        max_norm=1.0,
        noise_multiplier=0.0,
        expected_batch_size=1.0,
        groups=torch.zeros(120, dtype=torch.long),
    )
    norm = torch.sqrt(sum((g**2).sum() for g in many.values()))
    assert float(norm) <= 1.0 + 1e-5
    per_example = private_gradient(
        model,
        nn.functional.cross_entropy,
        big,
        torch.cat([y] * 20),
        max_norm=1.0,
        noise_multiplier=0.0,
        expected_batch_size=1.0,
    )
    assert float(torch.sqrt(sum((g**2).sum() for g in per_example.values()))) > 5.0


def test_dpsgd_step_with_groups_equals_private_gradient_step():
    model, x, y = _model_and_batch()
    groups = torch.tensor([0, 0, 1, 1, 2, 2])
    reference = copy.deepcopy(model)
    gradient = private_gradient(
        reference,
        nn.functional.cross_entropy,
        x,
        y,
        max_norm=1.0,
        noise_multiplier=1.0,
        expected_batch_size=3.0,
        groups=groups,
        generator=torch.Generator().manual_seed(4),
    )
    with torch.no_grad():
        for name, p in reference.named_parameters():
            p -= 0.1 * gradient[name]
    DPSGD(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        max_norm=1.0,
        noise_multiplier=1.0,
        expected_batch_size=3.0,
        generator=torch.Generator().manual_seed(4),
    ).step(x, y, nn.functional.cross_entropy, groups=groups)
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)
