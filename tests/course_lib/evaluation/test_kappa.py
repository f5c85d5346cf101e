"""Tests for course_lib.evaluation.kappa (Cohen's and Fleiss' kappa)."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from course_lib.evaluation.kappa import cohen_kappa, fleiss_kappa, pairwise_cohen_kappa


def test_cohen_kappa_matches_scikit_learn():
    rng = np.random.default_rng(0)
    for categories in (2, 3, 5):
        a = rng.integers(categories, size=200)
        b = np.where(rng.random(200) < 0.6, a, rng.integers(categories, size=200))
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_cohen_kappa_extremes_and_chance():
    a = np.array([0, 1, 0, 1, 1, 0])
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    assert cohen_kappa(a, 1 - a) < 0
    assert np.isnan(cohen_kappa([1, 1, 1], [1, 1, 1]))  # one category only: undefined
    rng = np.random.default_rng(1)
    independent = [cohen_kappa(rng.random(2000) < 0.3, rng.random(2000) < 0.3) for _ in range(20)]
    assert abs(np.mean(independent)) < 0.02


def test_fleiss_kappa_textbook_example():
    # 10 items, 14 raters, 5 categories (counts per category): kappa = 0.210
    # (the worked example of Fleiss' kappa on Wikipedia, after Fleiss 1971)
    counts = np.array(
        [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
    )
    ratings = np.stack([np.repeat(np.arange(5), row) for row in counts])
    assert fleiss_kappa(ratings) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_with_two_observers_is_scotts_pi():
    rng = np.random.default_rng(2)
    a = rng.integers(3, size=300)
    b = np.where(rng.random(300) < 0.5, a, rng.integers(3, size=300))
    pooled = np.bincount(np.concatenate([a, b]), minlength=3) / 600
    p_o, p_e = np.mean(a == b), np.sum(pooled**2)
    assert fleiss_kappa(np.column_stack([a, b])) == pytest.approx((p_o - p_e) / (1 - p_e))


def test_pairwise_matrix_and_errors():
    ratings = np.array([[0, 0, 1], [1, 1, 1], [0, 1, 0], [1, 1, 1], [0, 0, 0]])
    k = pairwise_cohen_kappa(ratings)
    assert k.shape == (3, 3) and np.allclose(np.diag(k), 1) and np.allclose(k, k.T)
    assert k[0, 1] == pytest.approx(cohen_kappa(ratings[:, 0], ratings[:, 1]))
    with pytest.raises(ValueError, match="same items"):
        cohen_kappa([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="n_observers"):
        fleiss_kappa(np.zeros((4, 1)))
