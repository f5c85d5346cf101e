"""The painting session's logic, and its widget wired to (synthetic) mouse events."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.interactive.features import filter_bank
from course_lib.interactive.scribble_forest import Stroke, simulated_strokes
from course_lib.interactive.scribble_widget import ScribbleSession


@pytest.fixture
def session():
    rng = np.random.default_rng(2)
    x, y = np.meshgrid(np.arange(40), np.arange(30), indexing="ij")
    truth = np.where(x < 20, 1, 2)
    image = np.where(truth == 1, 0.2, 0.8) + 0.1 * rng.normal(size=truth.shape)
    return ScribbleSession(
        image,
        filter_bank(image, (1.0,)),
        np.ones(truth.shape, bool),
        {1: "dark", 2: "bright"},
        truth=truth,
        n_estimators=10,
    )


def test_prediction_appears_once_two_classes_are_painted(session):
    strokes = simulated_strokes(session.truth, (1, 2), n_per_class=2, seed=0)
    session.add_stroke(strokes[0])
    assert not session.prediction.any() and "paint at least two classes" in session.status()
    session.add_stroke(strokes[1])
    assert session.prediction.all() and session.dice() > 0.9
    assert session.status().startswith("2 strokes (dark 1, bright 1)")
    assert "mean Dice vs truth" in session.status() and len(session.history) == 1
    session.undo()
    assert not session.prediction.any() and len(session.strokes) == 1
    with pytest.raises(ValueError, match="not one of"):
        session.add_stroke(Stroke(3, ((1, 1),)))


def test_draw_returns_a_two_panel_figure(session):
    import matplotlib.pyplot as plt

    session.add_stroke(Stroke(1, ((5, 5), (5, 10))))
    session.add_stroke(Stroke(2, ((30, 5), (30, 10))))
    figure = session.draw()
    assert len(figure.axes) == 2
    plt.close(figure)


def test_widget_turns_mouse_drags_into_strokes(session):
    pytest.importorskip("ipympl")
    from matplotlib.backend_bases import MouseEvent

    box = session.widget()
    canvas = box.children[1]
    choice = box.children[0].children[0]
    status = box.children[2]
    axes = canvas.figure.axes[0]

    def drag(points):
        events = ["button_press_event"] + ["motion_notify_event"] * (len(points) - 1)
        for name, (x, y) in zip(events + ["button_release_event"], points + points[-1:]):
            px, py = axes.transData.transform((x, y))
            canvas.callbacks.process(name, MouseEvent(name, canvas, px, py, button=1))

    drag([(5, 5), (5, 10), (6, 15)])
    assert len(session.strokes) == 1 and session.strokes[0].label == 1
    choice.value = 2
    drag([(30, 5), (31, 20)])
    assert [s.label for s in session.strokes] == [1, 2]
    np.testing.assert_allclose(session.strokes[1].points[0], (30, 5), atol=1e-6)
    assert "mean Dice vs truth" in status.value and session.dice() > 0.9
