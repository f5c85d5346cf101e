"""Tests for course_lib.evaluation.challenge: leaderboards, bootstrap rank stability, threshold team."""

import numpy as np
import pytest
from scipy import ndimage
from scipy.stats import kendalltau, rankdata

from course_lib.evaluation.challenge import (
    bootstrap_ranking,
    leaderboard,
    rank_methods,
    score_matrix,
    threshold_lesions,
)


def test_rank_methods_aggregate_then_rank_matches_sorted_means():
    scores = {"a": [0.5, 0.6, 0.7], "b": [0.9, 0.8, 0.7], "c": [0.1, 0.2, 0.3]}
    np.testing.assert_array_equal(rank_methods(scores), [2.0, 1.0, 3.0])
    # lower is better (e.g. Hausdorff distance): order reverses
    np.testing.assert_array_equal(rank_methods(scores, higher_is_better=False), [2.0, 3.0, 1.0])


def test_schemes_can_disagree():
    # A wins most cases narrowly but collapses on one; B is steady.
    scores = {"A": [0.90, 0.90, 0.90, 0.00], "B": [0.80, 0.80, 0.80, 0.80]}
    np.testing.assert_array_equal(rank_methods(scores, scheme="aggregate-then-rank"), [2, 1])
    np.testing.assert_array_equal(rank_methods(scores, scheme="rank-then-aggregate"), [1, 2])


def test_ties_share_the_average_rank():
    scores = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(rank_methods(scores), [1.5, 1.5, 3.0])


def test_rank_then_aggregate_matches_scipy_reference():
    rng = np.random.default_rng(1)
    m = rng.random((5, 12))
    expected = rankdata(np.mean([rankdata(-m[:, j]) for j in range(12)], axis=0))
    np.testing.assert_allclose(rank_methods(m, scheme="rank-then-aggregate"), expected)


def test_leaderboard_orders_methods_and_formats():
    board = leaderboard({"t1": [0.2, 0.4], "t2": [0.6, 0.8], "t3": [0.5, 0.5]}, metric="Dice")
    assert board.methods == ("t2", "t3", "t1")
    assert board.winner == "t2"
    np.testing.assert_allclose(board.mean, [0.7, 0.5, 0.3])
    np.testing.assert_allclose(
        board.std, [np.std([0.6, 0.8], ddof=1), 0.0, np.std([0.2, 0.4], ddof=1)]
    )
    np.testing.assert_allclose(board.mean_case_rank, [1.0, 2.0, 3.0])
    text = board.format()
    assert text.splitlines()[2].split()[:3] == ["1", "t2", "0.700"]


def test_score_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="same cases"):
        score_matrix({"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError, match="inf"):
        score_matrix({"a": [1, np.inf], "b": [1, 2]})
    with pytest.raises(ValueError, match=">= 2 methods"):
        score_matrix({"a": [1, 2]})
    with pytest.raises(ValueError, match="scheme"):
        rank_methods({"a": [1], "b": [2]}, scheme="best-of")


def test_bootstrap_dominant_method_never_loses():
    rng = np.random.default_rng(0)
    base = rng.random(20)
    scores = {"weak": base, "strong": base + 0.1, "mid": base + 0.05}
    result = bootstrap_ranking(scores, n_bootstrap=200, seed=3)
    assert result.winner == "strong"
    assert result.winner_change_rate == 0.0
    np.testing.assert_allclose(result.winner_frequency, [0.0, 1.0, 0.0])
    np.testing.assert_allclose(result.rank_frequency.sum(axis=1), 1.0)
    np.testing.assert_allclose(result.kendall_tau, 1.0)


def test_bootstrap_exchangeable_methods_change_winner_often():
    rng = np.random.default_rng(5)
    scores = rng.normal(0.7, 0.1, size=(2, 30))  # two methods of equal quality
    result = bootstrap_ranking(scores, n_bootstrap=2000, seed=0)
    assert 0.15 < result.winner_change_rate < 0.85
    assert result.winner_frequency.sum() == pytest.approx(1.0)


def test_bootstrap_is_reproducible_under_the_seed_and_varies_with_it():
    rng = np.random.default_rng(2)
    scores = rng.random((4, 15))
    a = bootstrap_ranking(scores, n_bootstrap=300, seed=11)
    b = bootstrap_ranking(scores, n_bootstrap=300, seed=11)
    c = bootstrap_ranking(scores, n_bootstrap=300, seed=12)
    np.testing.assert_array_equal(a.ranks, b.ranks)
    assert a.winner_change_rate == b.winner_change_rate
    assert not np.array_equal(a.ranks, c.ranks)


def test_bootstrap_matches_a_plain_loop_and_scipy_kendall():
    rng = np.random.default_rng(4)
    scores = rng.random((3, 8))
    result = bootstrap_ranking(scores, n_bootstrap=25, seed=7, scheme="rank-then-aggregate")
    index = np.random.default_rng(7).integers(0, 8, size=(25, 8))
    for b in range(25):
        expected = rank_methods(scores[:, index[b]], scheme="rank-then-aggregate")
        np.testing.assert_array_equal(result.ranks[b], expected)
        tau = kendalltau(result.ranks[b], result.full_ranks).statistic
        assert result.kendall_tau[b] == pytest.approx(tau)


def test_threshold_lesions_finds_bright_blobs_and_filters_small_ones():
    rng = np.random.default_rng(0)
    image = rng.normal(100.0, 5.0, size=(30, 30, 30))
    brain = np.ones_like(image, dtype=bool)
    image[5:9, 5:9, 5:9] = 200.0  # a 64-voxel lesion
    image[20, 20, 20] = 200.0  # a 1-voxel speck
    found = threshold_lesions(image, brain, z=3.0)
    assert found[5:9, 5:9, 5:9].all() and found[20, 20, 20]
    cleaned = threshold_lesions(image, brain, z=3.0, min_voxels=5)
    assert cleaned[5:9, 5:9, 5:9].all() and not cleaned[20, 20, 20]
    grown = threshold_lesions(image, brain, z=3.0, min_voxels=5, dilation=1)
    np.testing.assert_array_equal(grown, ndimage.binary_dilation(cleaned))
    assert grown.sum() > cleaned.sum()


def test_threshold_lesions_stays_in_the_brain_and_checks_arguments():
    image = np.zeros((10, 10))
    image[4:6, 4:6] = 10.0
    brain = np.zeros_like(image, dtype=bool)
    brain[2:8, 2:8] = True
    out = threshold_lesions(image, brain, z=1.0, dilation=3)
    assert not out[~brain].any()
    with pytest.raises(ValueError, match="brain_mask"):
        threshold_lesions(image, np.zeros_like(brain))
    with pytest.raises(ValueError, match="min_voxels"):
        threshold_lesions(image, brain, min_voxels=0)
    with pytest.raises(ValueError, match="dilation"):
        threshold_lesions(image, brain, dilation=-1)
