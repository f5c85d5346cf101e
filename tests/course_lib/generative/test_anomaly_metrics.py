"""Tests of course_lib.generative.anomaly_metrics: AUROC, AUPRC, Dice at a threshold, subject scores."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score

from course_lib.generative.anomaly_metrics import (
    best_dice_threshold,
    dice_per_subject,
    pixel_auprc,
    pixel_auroc,
    region_auroc_table,
    subject_scores,
)
from course_lib.metrics import dice


def noisy_maps(seed=1, shape=(4, 10, 10), prevalence=0.2, signal=1.2):
    rng = np.random.default_rng(seed)
    truth = rng.random(shape) < prevalence
    scores = rng.normal(size=shape) + signal * truth
    return rng, truth, scores


def test_pixel_auroc_matches_mann_whitney():
    rng = np.random.default_rng(1)
    truth = rng.random((4, 10, 10)) < 0.2
    scores = rng.normal(size=truth.shape) + 1.2 * truth
    scores[0, 0, :5] = 0.5  # ties
    mask = rng.random(truth.shape) < 0.8
    u = stats.mannwhitneyu(scores[mask & truth], scores[mask & ~truth]).statistic
    expected = u / ((mask & truth).sum() * (mask & ~truth).sum())
    assert pixel_auroc(scores, truth, mask) == pytest.approx(expected)
    assert pixel_auroc(scores, truth) > 0.7
    assert np.isnan(pixel_auroc(scores, np.zeros_like(truth)))
    with pytest.raises(ValueError, match="one shape"):
        pixel_auroc(scores[0], truth)


def test_region_auroc_table_rows_and_missing_regions():
    rng = np.random.default_rng(2)
    truth = np.zeros((2, 10, 10), bool)
    truth[:, 2:5, 2:5] = True
    brain = np.ones_like(truth)
    good = truth + 0.1 * rng.normal(size=truth.shape)
    bad = rng.normal(size=truth.shape)
    left = np.zeros_like(truth)
    left[:, :, :5] = True
    regions = {"left": left, "right": ~left}
    table = region_auroc_table({"good": good, "bad": bad}, truth, brain, regions, min_positives=5)
    assert table["left"]["good"] == pytest.approx(1.0)
    assert table["left"]["bad"] == pytest.approx(pixel_auroc(bad, truth, left))
    assert table["left"]["positives"] == 18
    assert np.isnan(table["right"]["good"]) and table["right"]["positives"] == 0


def test_pixel_auprc_is_sklearns_average_precision_and_sees_rarity():
    rng, truth, scores = noisy_maps(prevalence=0.05)
    mask = rng.random(truth.shape) < 0.9
    assert pixel_auprc(scores, truth, mask) == pytest.approx(
        average_precision_score(truth[mask], scores[mask])
    )
    # a constant score ranks nothing: its AUPRC is the fraction of anomalous pixels
    assert pixel_auprc(np.zeros_like(scores), truth, mask) == pytest.approx(truth[mask].mean())
    assert pixel_auprc(truth.astype(float), truth) == pytest.approx(1.0)
    assert np.isnan(pixel_auprc(scores, np.zeros_like(truth)))


def test_best_dice_threshold_equals_a_brute_force_search():
    rng, truth, scores = noisy_maps(seed=3)
    mask = rng.random(truth.shape) < 0.8
    best, threshold = best_dice_threshold(scores, truth, mask)
    brute = max((dice((scores >= t) & mask, truth & mask), t) for t in np.unique(scores[mask]))
    assert best == pytest.approx(brute[0])
    assert dice((scores >= threshold) & mask, truth & mask) == pytest.approx(best)
    assert best_dice_threshold(truth.astype(float), truth) == (
        pytest.approx(1.0),
        pytest.approx(1.0),
    )
    assert all(np.isnan(best_dice_threshold(scores, np.zeros_like(truth))))


def test_dice_per_subject_splits_by_subject():
    rng, truth, scores = noisy_maps(seed=4, shape=(6, 8, 8))
    subject = np.array([0, 0, 1, 1, 2, 2])
    mask = np.ones_like(truth)
    mask[:, 0] = False
    per = dice_per_subject(scores, truth, 0.6, subject, mask)
    assert per.shape == (3,)
    for k in range(3):
        rows = subject == k
        assert per[k] == pytest.approx(
            dice((scores[rows] >= 0.6) & mask[rows], truth[rows] & mask[rows])
        )
    with pytest.raises(ValueError, match="must match"):
        dice_per_subject(scores, truth, 0.6, subject[:5])


def test_subject_scores_average_the_highest_pixels():
    scores = np.zeros((4, 10, 10))
    scores[0, 0, :3] = (3.0, 2.0, 1.0)  # subject 0: three high pixels
    scores[2, 5, 5] = 7.0  # subject 1: one
    mask = np.ones(scores.shape, bool)
    subject = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(subject_scores(scores, mask, subject, top_fraction=0.01), [2.5, 3.5])
    np.testing.assert_allclose(subject_scores(scores, mask, subject, top_fraction=1e-6), [3.0, 7.0])
    mask[2, 5, 5] = False  # a masked pixel does not count
    assert subject_scores(scores, mask, subject, top_fraction=1e-6)[1] == 0.0
    with pytest.raises(ValueError, match="top_fraction"):
        subject_scores(scores, mask, subject, top_fraction=0.0)
    with pytest.raises(ValueError, match="no pixel"):
        subject_scores(scores, np.zeros_like(mask), subject)
