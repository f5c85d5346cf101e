"""Tests of lesion-wise detection (connected components) against hand counts and
an independent brute-force implementation with ``skimage.measure.label``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage.measure import label as sk_label

from course_lib.metrics import label_lesions, lesion_detection


def _hand_case():
    truth = np.zeros((10, 10), bool)
    pred = np.zeros((10, 10), bool)
    truth[1:3, 1:3] = True  # T1, 4 voxels
    truth[1:3, 6:8] = True  # T2, 4 voxels
    truth[6:8, 1:3] = True  # T3, missed
    pred[2:4, 2:4] = True  # P1 overlaps T1 by one voxel
    pred[6:8, 6:8] = True  # P2 false positive
    pred[2, 7] = True  # P3 single voxel inside T2
    return pred, truth


def test_hand_counted_detection():
    pred, truth = _hand_case()
    r = lesion_detection(pred, truth)
    assert (r.n_truth, r.n_pred, r.n_detected, r.n_true_positive, r.n_false_positive) == (
        3,
        3,
        2,
        2,
        1,
    )
    assert r.tpr == pytest.approx(2 / 3)
    assert r.ppv == pytest.approx(2 / 3)
    assert r.fpr == pytest.approx(1 / 3)
    assert r.f1 == pytest.approx(2 / 3)
    assert r.as_dict()["n_truth"] == 3


def test_min_overlap_fraction():
    pred, truth = _hand_case()
    r = lesion_detection(pred, truth, min_overlap=0.5)
    assert r.n_detected == 0  # T1 and T2 are covered by 1/4 only
    assert r.n_true_positive == 1  # P3 lies entirely inside T2
    assert r.tpr == 0.0 and r.ppv == pytest.approx(1 / 3) and r.f1 == 0.0
    assert lesion_detection(pred, truth, min_overlap=0.25).n_detected == 2
    with pytest.raises(ValueError, match="min_overlap"):
        lesion_detection(pred, truth, min_overlap=2)


def test_connectivity():
    m = np.zeros((5, 5), bool)
    m[0, 0] = m[1, 1] = True  # diagonal neighbours
    assert label_lesions(m, connectivity=1)[1] == 2
    assert label_lesions(m, connectivity=2)[1] == 1
    assert label_lesions(m)[1] == 1  # default: full connectivity
    v = np.zeros((3, 3, 3), bool)
    v[0, 0, 0] = v[1, 1, 1] = True  # corner neighbours in 3-D
    assert [label_lesions(v, c)[1] for c in (1, 2, 3)] == [2, 2, 1]
    with pytest.raises(ValueError, match="connectivity"):
        label_lesions(v, connectivity=4)


def test_empty_cases():
    empty = np.zeros((6, 6, 6), bool)
    one = empty.copy()
    one[3, 3, 3] = True
    both = lesion_detection(empty, empty)
    assert (both.tpr, both.ppv, both.fpr, both.f1) == (1.0, 1.0, 0.0, 1.0)
    missed = lesion_detection(empty, one)  # nothing predicted
    assert (missed.tpr, missed.f1, missed.n_truth, missed.n_pred) == (0.0, 0.0, 1, 0)
    assert missed.fpr == 1.0  # zero_division=0 -> ppv 0
    spurious = lesion_detection(one, empty)  # low-lesion-load case
    assert (spurious.tpr, spurious.fpr, spurious.f1) == (0.0, 1.0, 0.0)
    assert spurious.n_false_positive == 1
    nan = lesion_detection(empty, one, zero_division=np.nan)
    assert np.isnan(nan.ppv) and nan.tpr == 0.0


def _brute_force(pred, truth, connectivity, min_overlap):
    lp = sk_label(pred, connectivity=connectivity)
    lt = sk_label(truth, connectivity=connectivity)
    detected = sum(
        1
        for j in range(1, lt.max() + 1)
        if (pred[lt == j]).any() and pred[lt == j].mean() >= min_overlap
    )
    tp = sum(
        1
        for j in range(1, lp.max() + 1)
        if (truth[lp == j]).any() and truth[lp == j].mean() >= min_overlap
    )
    return lt.max(), lp.max(), detected, tp


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("connectivity", [1, 3])
@pytest.mark.parametrize("min_overlap", [0.0, 0.3])
def test_against_brute_force_3d(seed, connectivity, min_overlap):
    rng = np.random.default_rng(seed)
    truth = ndimage.gaussian_filter(rng.random((16, 18, 14)), 1.2) > 0.56
    pred = ndimage.gaussian_filter(rng.random((16, 18, 14)), 1.2) > 0.56
    pred |= truth & (rng.random(truth.shape) < 0.3)
    n_t, n_p, det, tp = _brute_force(pred, truth, connectivity, min_overlap)
    assert n_t > 3 and n_p > 3
    r = lesion_detection(pred, truth, connectivity=connectivity, min_overlap=min_overlap)
    assert (r.n_truth, r.n_pred, r.n_detected, r.n_true_positive) == (n_t, n_p, det, tp)
    assert r.tpr == pytest.approx(det / n_t)
    assert r.fpr == pytest.approx((n_p - tp) / n_p)
    ppv = tp / n_p
    assert r.f1 == pytest.approx(2 * r.tpr * ppv / (r.tpr + ppv) if r.tpr + ppv else 0.0)
