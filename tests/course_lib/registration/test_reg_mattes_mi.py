"""Mattes MI: equals a dense Parzen-window histogram, is smooth and peaks at alignment."""

import numpy as np
import pytest
import torch

from course_lib.registration.mattes_mi import (
    PAD,
    MattesMutualInformation,
    bspline_parzen_taps,
    mattes_mutual_information,
)


def _beta3(t):
    """Cubic B-spline (independent closed form, support (-2, 2))."""
    t = np.abs(t)
    return np.where(t < 1, 2 / 3 - t**2 + t**3 / 2, np.where(t < 2, (2 - t) ** 3 / 6, 0.0))


def _dense_reference(f, m, bins):
    """(N, bins) window matrices for both images, joint = F^T M, MI in nats (NumPy)."""

    def position(x):
        return (x - x.min()) / (x.max() - x.min()) * (bins - 2 * PAD + 1) + PAD - 1

    centres = np.arange(bins)
    pf, pm = position(f), position(m)
    wf = (np.rint(pf)[:, None] == centres).astype(float)  # box window
    wm = _beta3(centres[None, :] - pm[:, None])
    joint = wf.T @ wm
    joint /= joint.sum()

    def h(p):
        p = p[p > 0]
        return -(p * np.log(p)).sum()

    return h(joint.sum(1)) + h(joint.sum(0)) - h(joint)


def test_equals_the_dense_parzen_histogram():
    rng = np.random.default_rng(0)
    f = rng.random(3000)
    m = f**2 + 0.2 * rng.random(3000)
    got = mattes_mutual_information(torch.from_numpy(f), torch.from_numpy(m), bins=20)
    assert float(got) == pytest.approx(_dense_reference(f, m, 20), rel=1e-9)


def test_taps_sum_to_one_and_stay_in_range():
    x = torch.linspace(-1.0, 2.0, 301, dtype=torch.float64)
    index, weight = bspline_parzen_taps(x, 0.0, 1.0, 12)
    assert int(index.min()) >= 0 and int(index.max()) <= 11
    torch.testing.assert_close(weight.sum(1), torch.ones(301, dtype=torch.float64))


def test_gradient_matches_finite_differences():
    gen = torch.Generator().manual_seed(1)
    f = torch.rand(200, generator=gen, dtype=torch.float64)
    m = (f + 0.1 * torch.rand(200, generator=gen, dtype=torch.float64)).requires_grad_(True)
    metric = MattesMutualInformation(f, (0.0, 1.1), bins=16)
    assert torch.autograd.gradcheck(lambda x: metric(x), (m,), eps=1e-7, atol=1e-5)


def test_peaks_at_alignment_and_counts_only_masked_samples():
    x = torch.linspace(0, 6 * np.pi, 2000, dtype=torch.float64)
    fixed = torch.sin(x) + 0.3 * torch.sin(3.1 * x)
    metric = MattesMutualInformation(fixed, (-1.5, 1.5), bins=24)
    values = [
        float(metric(torch.sin(x + s) + 0.3 * torch.sin(3.1 * (x + s)))) for s in (0, 0.2, 0.5)
    ]
    assert values[0] > values[1] > values[2]
    mask = torch.zeros(2000, dtype=torch.float64)
    mask[:1000] = 1
    half = MattesMutualInformation(
        fixed[:1000], (-1.5, 1.5), 24, fixed_range=(fixed.min(), fixed.max())
    )
    assert float(metric(fixed, mask)) == pytest.approx(float(half(fixed[:1000])), rel=1e-12)


def test_bad_input_names_the_fix():
    with pytest.raises(ValueError, match="bins must be"):
        MattesMutualInformation(torch.rand(10), (0, 1), bins=4)
    with pytest.raises(ValueError, match="moving samples"):
        MattesMutualInformation(torch.rand(10), (0, 1))(torch.rand(9))
    with pytest.raises(ValueError, match="differ"):
        mattes_mutual_information(torch.rand(10), torch.rand(9))
