"""Tests of STAPLE against SimpleITK's STAPLE filter, a naive per-voxel EM, and a
case with a known answer (two perfect raters and one random rater).

Tolerance against SimpleITK: both implement the same EM (same start, prior and
stopping rule), so the probability maps agree to round-off; we assert a mean
absolute difference < 1e-6 and sensitivities/specificities within 1e-6 (the
brief's looser 0.02 would hide a wrong prior or initialisation).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from course_lib.evaluation import majority_vote, staple


def _realistic_raters(shape=(32, 40, 30), seed=0):
    """A perturbed ellipsoid and five raters: dilation, erosion, salt noise,
    a smoother re-delineation and a one-voxel shift."""
    rng = np.random.default_rng(seed)
    grids = np.ogrid[tuple(slice(0, s) for s in shape)]
    r = np.sqrt(sum(((g - s / 2) / (0.3 * s)) ** 2 for g, s in zip(grids, shape)))
    truth = r + 0.3 * ndimage.gaussian_filter(rng.standard_normal(shape), 3) < 1
    ball = ndimage.generate_binary_structure(3, 1)
    raters = np.stack(
        [
            ndimage.binary_dilation(truth, ball),
            ndimage.binary_erosion(truth, ball),
            truth ^ (rng.random(shape) < 0.01),
            r + 0.9 * ndimage.gaussian_filter(rng.standard_normal(shape), 2) < 1,
            np.roll(truth, 1, axis=1),
        ]
    )
    return truth, raters


def _sitk_staple(raters, confidence_weight=1.0):
    sitk = pytest.importorskip("SimpleITK")
    f = sitk.STAPLEImageFilter()
    f.SetForegroundValue(1.0)
    f.SetConfidenceWeight(confidence_weight)
    out = f.Execute([sitk.GetImageFromArray(m.astype(np.uint8)) for m in raters])
    return (
        sitk.GetArrayFromImage(out),
        np.array(f.GetSensitivity()),
        np.array(f.GetSpecificity()),
        f.GetElapsedIterations(),
    )


def _naive_staple(raters, prior, n_iter):
    """Textbook EM over every voxel (no pattern grouping, plain products)."""
    d = raters.reshape(raters.shape[0], -1).astype(float)
    w = d.mean(axis=0)
    for _ in range(n_iter):
        p = (d * w).sum(axis=1) / w.sum()
        q = ((1 - d) * (1 - w)).sum(axis=1) / (1 - w).sum()
        a = np.prod(np.where(d == 1, p[:, None], 1 - p[:, None]), axis=0)
        b = np.prod(np.where(d == 1, 1 - q[:, None], q[:, None]), axis=0)
        w = prior * a / (prior * a + (1 - prior) * b)
    return w.reshape(raters.shape[1:]), p, q


def test_agrees_with_simpleitk_3d():
    _, raters = _realistic_raters()
    ref_w, ref_p, ref_q, ref_iter = _sitk_staple(raters)
    res = staple(raters)
    assert res.converged
    assert np.abs(res.probability - ref_w).mean() < 1e-6
    assert np.abs(res.probability - ref_w).max() < 1e-4
    np.testing.assert_allclose(res.sensitivity, ref_p, atol=1e-6)
    np.testing.assert_allclose(res.specificity, ref_q, atol=1e-6)
    assert res.iterations == ref_iter + 1  # ITK reports the 0-based index
    # the erosion rater is the most specific, the dilation rater the most sensitive
    assert res.sensitivity.argmax() == 0 and res.specificity.argmax() == 1


def test_agrees_with_simpleitk_2d_and_confidence_weight():
    _, raters = _realistic_raters(shape=(60, 50, 1), seed=3)
    raters = raters[..., 0]
    ref_w, ref_p, ref_q, _ = _sitk_staple(raters, confidence_weight=0.7)
    g = raters.mean()  # ITK's default prior...
    res = staple(raters, prior=0.7 * g)  # ...times ConfidenceWeight
    assert np.abs(res.probability - ref_w).mean() < 1e-6
    np.testing.assert_allclose(res.sensitivity, ref_p, atol=1e-6)
    np.testing.assert_allclose(res.specificity, ref_q, atol=1e-6)


@pytest.mark.parametrize("k", [4, 22])  # 22 raters exercises the np.unique path
def test_matches_naive_per_voxel_em(k):
    rng = np.random.default_rng(k)
    truth = ndimage.gaussian_filter(rng.random((24, 20)), 2) > 0.52
    sens = rng.uniform(0.6, 0.95, k)
    spec = rng.uniform(0.85, 0.99, k)
    u = rng.random((k,) + truth.shape)
    raters = np.where(truth, u < sens[:, None, None], u > spec[:, None, None])
    res = staple(raters, max_iter=8, tol=1e-15)
    assert res.iterations >= 5
    w, p, q = _naive_staple(raters, raters.mean(), res.iterations)
    np.testing.assert_allclose(res.probability, w, atol=1e-9)
    np.testing.assert_allclose(res.sensitivity, p, atol=1e-12)
    np.testing.assert_allclose(res.specificity, q, atol=1e-12)


def test_two_perfect_raters_and_one_random_rater():
    rng = np.random.default_rng(7)
    truth = ndimage.gaussian_filter(rng.random((40, 40, 20)), 2) > 0.51
    random_rater = rng.random(truth.shape) < 0.3  # ignores the image
    res = staple(np.stack([truth, truth, random_rater]))
    np.testing.assert_array_equal(res.consensus(), truth)
    np.testing.assert_allclose(res.sensitivity[:2], 1.0, atol=1e-6)
    np.testing.assert_allclose(res.specificity[:2], 1.0, atol=1e-6)
    true_sens = random_rater[truth].mean()  # ~0.3
    true_spec = 1 - random_rater[~truth].mean()  # ~0.7
    assert res.sensitivity[2] == pytest.approx(true_sens, abs=0.01)
    assert res.specificity[2] == pytest.approx(true_spec, abs=0.01)
    assert abs(true_sens - 0.3) < 0.03 and abs(true_spec - 0.7) < 0.03


def test_spatial_prior_constant_equals_scalar_prior():
    _, raters = _realistic_raters(shape=(20, 24, 18), seed=5)
    scalar = staple(raters, prior=0.2)
    spatial = staple(raters, prior=np.full(raters.shape[1:], 0.2))
    np.testing.assert_allclose(spatial.probability, scalar.probability, atol=1e-12)
    np.testing.assert_allclose(spatial.sensitivity, scalar.sensitivity, atol=1e-12)
    assert spatial.iterations == scalar.iterations


def test_consensus_close_to_truth_and_to_majority_vote():
    truth, raters = _realistic_raters(seed=1)
    res = staple(raters)
    assert (res.consensus() == truth).mean() > 0.98
    assert (res.consensus() == majority_vote(raters)).mean() > 0.98
    assert 0.0 <= res.probability.min() and res.probability.max() <= 1.0


def test_degenerate_inputs_and_errors():
    empty = staple(np.zeros((3, 5, 5), bool))
    assert not empty.probability.any() and np.isfinite(empty.sensitivity).all()
    torch = pytest.importorskip("torch")
    _, raters = _realistic_raters(shape=(10, 12, 8))
    np.testing.assert_allclose(
        staple(torch.from_numpy(raters)).probability, staple(raters).probability
    )
    with pytest.raises(ValueError, match="prior"):
        staple(raters, prior=1.5)
    with pytest.raises(ValueError, match="prior"):
        staple(raters, prior=np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match="max_iter"):
        staple(raters, max_iter=0)
    with pytest.raises(ValueError, match="binary"):
        staple(raters * 2)
