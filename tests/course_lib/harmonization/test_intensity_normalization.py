"""zscore, white_stripe and NyulStandardizer on synthetic three-tissue brains."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.harmonization import (
    NyulStandardizer,
    find_white_stripe,
    piecewise_linear,
    white_stripe,
    zscore,
)

# Tissue fractions and T1w means (CSF < GM < WM), arbitrary units.
FRACTIONS = {"csf": 0.15, "gm": 0.45, "wm": 0.40}
T1_MEANS = {"csf": 30.0, "gm": 70.0, "wm": 100.0}


def brain(means=T1_MEANS, sd=5.0, n=40_000, seed=0, shape=(200, 200)):
    """A flat 'brain': tissue labels in random order, Gaussian intensities, zero background."""
    rng = np.random.default_rng(seed)
    counts = [int(FRACTIONS[t] * n) for t in FRACTIONS]
    counts[-1] = n - sum(counts[:-1])
    tissue = np.repeat(np.arange(3), counts)
    values = np.array([means[t] for t in FRACTIONS])[tissue] + sd * rng.standard_normal(n)
    image = np.zeros(shape)
    labels = np.zeros(shape, dtype=np.int64)
    image.flat[:n] = values
    labels.flat[:n] = tissue + 1
    mask = labels > 0
    return image, mask, labels


def test_zscore_in_mask():
    image, mask, _ = brain()
    out = zscore(image, mask)
    assert out.shape == image.shape
    assert out[mask].mean() == pytest.approx(0.0, abs=1e-12)
    assert out[mask].std() == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(zscore(3.0 * image + 7.0, mask), out, atol=1e-10)
    with pytest.raises(ValueError, match="constant"):
        zscore(np.ones((4, 4)))
    with pytest.raises(ValueError, match="shape"):
        zscore(image, mask[:10])


def test_white_stripe_finds_the_white_matter_mode():
    image, mask, labels = brain()
    stripe = find_white_stripe(image, mask, contrast="T1w", width=0.05)
    assert stripe.mode == pytest.approx(T1_MEANS["wm"], abs=2.0)
    # the stripe covers ~10 % of brain voxels and is (almost) pure white matter
    assert stripe.n_voxels == pytest.approx(0.10 * mask.sum(), rel=0.05)
    inside = mask & (image >= stripe.lower) & (image <= stripe.upper)
    assert np.mean(labels[inside] == 3) > 0.95
    out = white_stripe(image, mask)
    assert np.median(out[labels == 3]) == pytest.approx(0.0, abs=0.5)


def test_white_stripe_removes_scanner_gain_and_offset():
    image, mask, _ = brain()
    a = white_stripe(image, mask)
    b = white_stripe(2.7 * image + 40.0, mask)
    np.testing.assert_allclose(a, b, atol=1e-8)


def test_white_stripe_t1_ignores_a_small_bright_tail():
    """A 2 % bright structure (e.g. fat) beyond WM must not be taken as the "last" mode."""
    image, mask, _ = brain()
    idx = np.flatnonzero(mask)[:800]
    image.flat[idx] = 180.0 + np.random.default_rng(1).standard_normal(idx.size)
    assert find_white_stripe(image, mask).mode == pytest.approx(T1_MEANS["wm"], abs=3.0)
    # without the tail removal the bright peak wins: the rule matters
    assert find_white_stripe(image, mask, tail_quantile=1.0).mode > 150


def test_white_stripe_t2_uses_the_largest_mode():
    t2_means = {"csf": 180.0, "gm": 90.0, "wm": 60.0}  # WM darkest on T2w
    fractions_wm_largest = brain(means=t2_means)
    image, mask, labels = fractions_wm_largest
    # make WM the most frequent tissue by giving GM a wide spread (flatter peak)
    gm = labels == 2
    image[gm] = 90.0 + 15.0 * np.random.default_rng(2).standard_normal(gm.sum())
    stripe = find_white_stripe(image, mask, contrast="T2w")
    assert stripe.mode == pytest.approx(60.0, abs=2.0)
    # the T1 rule (last peak) would pick CSF here
    assert find_white_stripe(image, mask, contrast="T1w", tail_quantile=1.0).mode > 150


def test_white_stripe_errors():
    image, mask, _ = brain()
    with pytest.raises(ValueError, match="contrast"):
        white_stripe(image, mask, contrast="T1")
    with pytest.raises(ValueError, match="width"):
        white_stripe(image, mask, width=0.7)


def scanner(image, mask, power, gain, offset):
    """A scanner's monotone nonlinear intensity response inside the brain."""
    out = image.copy()
    out[mask] = gain * (image[mask] / 100.0) ** power * 100.0 + offset
    return out


def test_nyul_maps_landmarks_onto_the_standard_scale():
    train = []
    for seed, (power, gain, off) in enumerate([(1.0, 1.0, 0.0), (1.4, 2.0, 10.0), (0.7, 0.5, 5.0)]):
        image, mask, _ = brain(seed=seed)
        train.append((scanner(image, mask, power, gain, off), mask))
    nyul = NyulStandardizer().fit(train)
    std = nyul.standard_landmarks_
    assert std[0] == 0.0 and std[-1] == 100.0 and np.all(np.diff(std) > 0)
    # a new image from an unseen scanner: after transform its landmarks are the standard ones
    image, mask, _ = brain(seed=9)
    source = scanner(image, mask, 1.2, 3.0, 20.0)
    out = nyul.transform(source, mask)
    np.testing.assert_allclose(np.percentile(out[mask], nyul.percentiles), std, atol=0.05)
    # monotone: the order of intensities is kept everywhere
    order = np.argsort(source[mask], kind="stable")
    assert np.all(np.diff(out[mask][order]) >= -1e-9)


def test_nyul_makes_two_scanners_agree():
    image, mask, _ = brain(seed=3)
    a, b = scanner(image, mask, 1.0, 1.0, 0.0), scanner(image, mask, 1.5, 2.5, 15.0)
    nyul = NyulStandardizer().fit([(a, mask), (b, mask)])
    before = np.abs(zscore(a, mask) - zscore(b, mask))[mask].mean()
    after_a, after_b = nyul.transform(a, mask), nyul.transform(b, mask)
    after = np.abs(after_a - after_b)[mask].mean() / (after_a[mask].std())
    assert after < 0.3 * before  # nonlinear scanner differences mostly removed


def test_piecewise_linear_extends_end_segments():
    src, dst = np.array([0.0, 1.0, 3.0]), np.array([0.0, 10.0, 20.0])
    y = piecewise_linear(np.array([-1.0, 0.5, 2.0, 5.0]), src, dst)
    np.testing.assert_allclose(y, [-10.0, 5.0, 15.0, 30.0])


def test_nyul_errors():
    with pytest.raises(ValueError, match="percentiles"):
        NyulStandardizer(percentiles=(10, 5, 90))
    with pytest.raises(RuntimeError, match="fit"):
        NyulStandardizer().transform(np.arange(10.0))
    background_heavy = np.zeros((50, 50))
    background_heavy[:5] = np.arange(250).reshape(5, 50)
    with pytest.raises(ValueError, match="training image 0: landmarks"):
        NyulStandardizer().fit([background_heavy])
