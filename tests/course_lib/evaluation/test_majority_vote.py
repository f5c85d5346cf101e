"""Tests of majority voting on hand-made rater masks."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.evaluation import majority_vote, stack_masks, vote_fraction


def test_three_raters_by_hand():
    raters = np.array(
        [
            [[1, 1, 0, 0], [0, 1, 0, 1]],
            [[1, 0, 1, 0], [0, 1, 0, 1]],
            [[1, 1, 1, 0], [0, 0, 0, 1]],
        ]
    )
    np.testing.assert_array_equal(
        majority_vote(raters), [[True, True, True, False], [False, True, False, True]]
    )
    np.testing.assert_allclose(vote_fraction(raters)[0], [1, 2 / 3, 2 / 3, 0])
    # unanimity and "any rater" as thresholds
    np.testing.assert_array_equal(majority_vote(raters, threshold=0.9)[0], [1, 0, 0, 0])
    np.testing.assert_array_equal(majority_vote(raters, threshold=0.0)[0], [1, 1, 1, 0])


def test_ties_with_an_even_number_of_raters():
    raters = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]], bool)
    # votes per voxel: 4, 2 (tie), 1, 0
    np.testing.assert_array_equal(majority_vote(raters), [1, 0, 0, 0])
    np.testing.assert_array_equal(majority_vote(raters, ties="foreground"), [1, 1, 0, 0])


def test_tie_detection_is_robust_to_rounding():
    raters = np.zeros((5, 6), bool)
    for j in range(6):
        raters[:j, j] = True  # voxel j has j votes
    # 0.6 * 5 = 3 votes exactly: a tie although 0.6 is not exact in binary
    np.testing.assert_array_equal(majority_vote(raters, 0.6), [0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(majority_vote(raters, 0.6, ties="foreground"), [0, 0, 0, 1, 1, 1])


def test_sequence_and_torch_input():
    a = np.array([[1, 0], [1, 1]], bool)
    b = np.array([[1, 0], [0, 1]], bool)
    c = np.array([[0, 0], [1, 1]], bool)
    expected = majority_vote(np.stack([a, b, c]))
    np.testing.assert_array_equal(majority_vote([a, b, c]), expected)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(majority_vote(torch.from_numpy(np.stack([a, b, c]))), expected)
    assert stack_masks([torch.from_numpy(a), b]).shape == (2, 2, 2)


def test_errors():
    with pytest.raises(ValueError, match="same shape"):
        majority_vote([np.zeros((2, 2)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"shape \(K, \.\.\.\)"):
        majority_vote(np.zeros(4))
    with pytest.raises(ValueError, match="binary"):
        majority_vote(np.full((2, 3), 2))
    with pytest.raises(ValueError, match="threshold"):
        majority_vote(np.zeros((2, 3)), threshold=1.0)
    with pytest.raises(ValueError, match="ties"):
        majority_vote(np.zeros((2, 3)), ties="random")
