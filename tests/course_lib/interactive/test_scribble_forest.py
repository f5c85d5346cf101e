"""Strokes, simulated scribbles and the scribble-trained forest on small synthetic slices."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.core.gates import GateFailed, check_gate, negative_control
from course_lib.interactive.features import filter_bank
from course_lib.interactive.scribble_forest import (
    ScribbleForest,
    Stroke,
    mean_dice,
    paint,
    rasterize_stroke,
    simulated_strokes,
)


@pytest.fixture
def phantom():
    """Three classes: background-ish left (1), right (2), a disc (3); noisy intensities."""
    rng = np.random.default_rng(1)
    x, y = np.meshgrid(np.arange(48), np.arange(40), indexing="ij")
    truth = np.where(x < 24, 1, 2)
    truth[(x - 24) ** 2 + (y - 20) ** 2 < 81] = 3
    means = np.array([0.0, 0.2, 0.8, 0.5])
    image = means[truth] + 0.15 * rng.normal(size=truth.shape)
    return image, truth


def test_rasterize_point_line_and_clipping():
    assert rasterize_stroke((5, 5), [(2, 2)], radius=0).sum() == 1
    disc = rasterize_stroke((5, 5), [(2, 2)], radius=1)
    assert disc.sum() == 5 and disc[2, 2] and disc[1, 2] and disc[2, 3] and not disc[1, 1]
    line = rasterize_stroke((10, 6), [(2, 2), (6, 2)], radius=0)
    assert np.array_equal(np.argwhere(line), [[x, 2] for x in range(2, 7)])
    corner = rasterize_stroke((5, 5), [(0, 0), (-3, -3)], radius=1)  # leaves the slice
    assert corner.sum() == 3 and corner[0, 0]


def test_paint_later_strokes_win_and_zero_means_unpainted():
    strokes = [Stroke(1, ((1, 1), (5, 1)), 0), Stroke(2, ((3, 0), (3, 3)), 0)]
    scribbles = paint((8, 8), strokes)
    assert scribbles[3, 1] == 2 and scribbles[1, 1] == 1 and scribbles[7, 7] == 0
    assert set(np.unique(scribbles)) == {0, 1, 2}


@pytest.mark.parametrize(
    "label, points, radius", [(0, ((1, 1),), 1), (1, (), 1), (1, ((1, 1),), -1)]
)
def test_bad_strokes_are_rejected(label, points, radius):
    with pytest.raises(ValueError):
        Stroke(label, points, radius)


def test_simulated_strokes_are_reproducible_and_stay_inside_their_class(phantom):
    _, truth = phantom
    strokes = simulated_strokes(truth, (1, 2, 3), n_per_class=4, seed=3)
    again = simulated_strokes(truth, (1, 2, 3), n_per_class=4, seed=3)
    other = simulated_strokes(truth, (1, 2, 3), n_per_class=4, seed=4)
    assert strokes == again and strokes != other
    assert [s.label for s in strokes] == [1, 2, 3] * 4
    for stroke in strokes:
        covered = rasterize_stroke(truth.shape, stroke.points, stroke.radius)
        assert covered.any() and np.all(truth[covered] == stroke.label)
    with pytest.raises(ValueError, match="does not occur"):
        simulated_strokes(truth, (1, 7), n_per_class=1, seed=0)


def test_forest_learns_from_scribbles_and_shuffled_labels_do_not(phantom):
    image, truth = phantom
    features = filter_bank(image, sigmas=(1.0, 2.0))
    strokes = simulated_strokes(truth, (1, 2, 3), n_per_class=3, seed=0)
    scribbles = paint(truth.shape, strokes)
    forest = ScribbleForest(features, n_estimators=20, seed=0).fit(scribbles)
    learned = mean_dice(forest.predict(), truth, (1, 2, 3), np.ones_like(truth, bool))
    assert learned > 0.85
    # The chapter's negative control: the same strokes with their classes permuted.
    rng = np.random.default_rng(0)
    permuted = [
        Stroke(int(label), s.points, s.radius)
        for s, label in zip(strokes, rng.permutation([s.label for s in strokes]))
    ]
    shuffled = ScribbleForest(features, n_estimators=20, seed=0).fit(paint(truth.shape, permuted))
    control = mean_dice(shuffled.predict(), truth, (1, 2, 3), np.ones_like(truth, bool))
    assert control < learned - 0.3
    check_gate("forest Dice - 0.5", learned, 0.5)
    negative_control("labels shuffled", lambda: check_gate("forest Dice - 0.5", control, 0.5))
    with pytest.raises(GateFailed):
        check_gate("forest Dice - 0.5", control, 0.5)


def test_prediction_is_zero_outside_the_mask_and_transfers(phantom):
    image, truth = phantom
    features = filter_bank(image, sigmas=(1.0,))
    mask = np.zeros(truth.shape, bool)
    mask[5:40, 5:35] = True
    scribbles = paint(truth.shape, simulated_strokes(truth, (1, 2, 3), 2, seed=1))
    forest = ScribbleForest(features, mask, n_estimators=10, seed=0).fit(scribbles)
    prediction = forest.predict()
    assert np.all(prediction[~mask] == 0) and set(np.unique(prediction[mask])) <= {1, 2, 3}
    proba = forest.predict_proba()
    np.testing.assert_allclose(proba[mask].sum(axis=1), 1.0)
    np.testing.assert_array_equal(forest.predict_other(features, mask), prediction)
    with pytest.raises(ValueError, match="same bank"):
        forest.predict_other(features[..., :2], mask)


def test_forest_errors_say_what_to_do(phantom):
    image, truth = phantom
    forest = ScribbleForest(image[..., None], n_estimators=5)
    with pytest.raises(RuntimeError, match="fit"):
        forest.predict()
    one_class = paint(truth.shape, [Stroke(1, ((3, 3),), 1)])
    with pytest.raises(ValueError, match="two classes"):
        forest.fit(one_class)
    with pytest.raises(ValueError, match="shape"):
        ScribbleForest(image[..., None], mask=np.ones((3, 3), bool))


def test_mean_dice_perfect_swapped_and_masked():
    truth = np.array([[1, 1, 2, 2], [1, 1, 2, 2]])
    everywhere = np.ones_like(truth, bool)
    assert mean_dice(truth, truth, (1, 2), everywhere) == 1.0
    assert mean_dice(3 - truth, truth, (1, 2), everywhere) == 0.0
    half = np.array([[1, 1, 1, 1], [1, 1, 2, 2]])
    assert mean_dice(half, truth, (1, 2), everywhere) == pytest.approx((0.8 + 2 / 3) / 2)


def test_extra_samples_from_another_slice_are_used(phantom):
    image, truth = phantom
    features = filter_bank(image, sigmas=(1.0,))
    source = ScribbleForest(features, n_estimators=10, seed=0)
    source_samples = source.samples(paint(truth.shape, simulated_strokes(truth, (1, 2, 3), 2, 0)))
    one_class = paint(truth.shape, [Stroke(1, ((3, 3),), 1)])
    # one painted class alone cannot train; with the other slice's pixels it can
    forest = ScribbleForest(features, n_estimators=10, seed=0).fit(one_class, source_samples)
    assert set(forest.forest.classes_) == {1, 2, 3}
    with pytest.raises(ValueError, match="extra_samples"):
        forest.fit(one_class, (source_samples[0][:, :2], source_samples[1]))
