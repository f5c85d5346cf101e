"""The simulated user: corrective strokes start on misclassified pixels; sessions replay exactly."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.interactive.features import filter_bank
from course_lib.interactive.scribble_forest import rasterize_stroke
from course_lib.interactive.simulated_user import corrective_strokes, run_session


@pytest.fixture
def phantom():
    rng = np.random.default_rng(5)
    x, y = np.meshgrid(np.arange(48), np.arange(40), indexing="ij")
    truth = np.where(x < 24, 1, 2)
    truth[(x - 24) ** 2 + (y - 20) ** 2 < 81] = 3
    image = np.array([0.0, 0.2, 0.8, 0.5])[truth] + 0.25 * rng.normal(size=truth.shape)
    return filter_bank(image, (1.0, 2.0)), np.ones(truth.shape, bool), truth


def test_corrective_strokes_start_where_the_prediction_is_wrong(phantom):
    _, mask, truth = phantom
    prediction = np.where(truth == 3, 2, truth)  # the disc is missed entirely
    strokes = corrective_strokes(truth, prediction, mask, (1, 2, 3), np.random.default_rng(0))
    assert [s.label for s in strokes] == [1, 2, 3]
    start = np.rint(strokes[2].points[0]).astype(int)
    assert truth[tuple(start)] == 3 and prediction[tuple(start)] != 3
    for stroke in strokes:  # every stroke stays inside its class
        covered = rasterize_stroke(truth.shape, stroke.points, stroke.radius)
        assert np.all(truth[covered] == stroke.label)


def test_sessions_replay_exactly_and_corrective_dice_rises(phantom):
    features, mask, truth = phantom
    trace = run_session(features, mask, truth, (1, 2, 3), n_rounds=5, seed=3, n_estimators=10)
    again = run_session(features, mask, truth, (1, 2, 3), n_rounds=5, seed=3, n_estimators=10)
    assert trace.strokes == again.strokes and trace.dice == again.dice
    assert len(trace.strokes) == 15 and len(trace.dice) == 5
    assert trace.dice[-1] > trace.dice[0]
    random = run_session(
        features, mask, truth, (1, 2, 3), 5, seed=3, corrective=False, n_estimators=10
    )
    assert random.strokes[:3] == trace.strokes[:3]  # same first round, then they differ
    assert random.strokes[3:] != trace.strokes[3:]
    with pytest.raises(ValueError, match="n_rounds"):
        run_session(features, mask, truth, (1, 2, 3), n_rounds=0, seed=0)
