"""Real-browser test of chapter 13's painting widget in JupyterLab: paint strokes with the mouse
on the ipympl canvas, and check that the forest retrains and the prediction changes.

A small notebook (written into the server's copy of ``notebooks/``) builds the widget on a
synthetic three-class slice, so the test does not wait for the whole chapter to run; it drives the
same ``ScribbleSession.widget()`` the chapter displays.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

_spec = importlib.util.spec_from_file_location(
    "course_browser_jupyterlab", Path(__file__).with_name("test_jupyterlab.py")
)
_lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_lab)

NOTEBOOK = "_scribble_widget_browser_test.ipynb"
SHAPE = (60, 40)  # (X, Y) of the synthetic slice
SOURCE = """
import numpy as np
from course_lib.interactive.features import filter_bank
from course_lib.interactive.scribble_widget import ScribbleSession

x, y = np.meshgrid(np.arange(60), np.arange(40), indexing="ij")
truth = np.where(x < 30, 1, 2)
truth[(x - 30) ** 2 + (y - 20) ** 2 < 100] = 3
image = np.array([0.0, 0.2, 0.8, 0.5])[truth] + 0.1 * np.random.default_rng(0).normal(size=truth.shape)
session = ScribbleSession(image, filter_bank(image, (1.0, 2.0)), np.ones(truth.shape, bool),
                          {1: "dark", 2: "bright", 3: "disc"}, truth=truth, n_estimators=10)
session.widget()
"""


def _canvas_hash(canvas) -> str:
    return hashlib.sha256(canvas.screenshot()).hexdigest()[:16]


def _paint(page, canvas, points) -> None:
    """Press, drag through ``points`` (slice pixels (x, y)) and release on the left panel."""
    box = canvas.bounding_box()
    half = box["width"] / 2  # the left panel fills the left half of the canvas

    def to_page(x, y):
        return (
            box["x"] + (x + 0.5) / SHAPE[0] * half,
            box["y"] + box["height"] * (1 - (y + 0.5) / SHAPE[1]),  # origin="lower"
        )

    page.mouse.move(*to_page(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*to_page(*point), steps=4)
    page.mouse.up()


def _wait_for_status(status, pattern: str, timeout_s: float = 60.0) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        text = status.inner_text()
        if re.search(pattern, text) or time.monotonic() > deadline:
            return text
        time.sleep(0.3)


def _paint_class_and_score(
    page, output, canvas, status, label: str, points, expected_counts: str, screenshot: Path
) -> tuple[float, str]:
    """Select class ``label``, paint ``points``, wait for the retrained forest's Dice.

    Returns the Dice the widget reports and a hash of the canvas after the redraw.
    """
    output.locator(".widget-toggle-button", has_text=label).click()
    _paint(page, canvas, points)
    n_strokes = expected_counts.split()[0]
    text = _wait_for_status(status, rf"^{n_strokes} strokes.*Dice")
    match = re.search(r"mean Dice vs truth (\d\.\d+)", text)
    assert text.startswith(expected_counts) and match, text
    page.wait_for_timeout(1500)
    canvas_hash = _canvas_hash(canvas)
    output.screenshot(path=str(screenshot))
    return float(match.group(1)), canvas_hash


def test_painting_strokes_retrains_the_forest_and_changes_the_prediction(
    context, jupyter_lab, screenshots
):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOURCE.strip())])
    notebook.metadata["kernelspec"] = {
        "name": "ml-medical-course",
        "display_name": "Python (ML medical course)",
        "language": "python",
    }
    nbformat.write(notebook, Path(jupyter_lab.notebooks) / NOTEBOOK)
    page = context.new_page()
    seconds = _lab.open_and_run_all(page, jupyter_lab, NOTEBOOK, screenshots)

    output = page.locator(".jp-OutputArea-output:has(.jupyter-matplotlib)").first
    output.wait_for(timeout=60_000)
    output.scroll_into_view_if_needed()
    canvas = output.locator(".jupyter-matplotlib-canvas-div canvas").last
    canvas.wait_for(timeout=30_000)
    status = output.locator(".widget-label", has_text="strokes")
    assert _wait_for_status(status, r"^0 strokes").startswith("0 strokes"), status.inner_text()
    page.wait_for_timeout(1000)
    before = _canvas_hash(canvas)
    output.screenshot(path=str(screenshots / "lab-13-widget-before.png"))

    # 1. a stroke of the default class (dark) on the left: no forest yet (one class only)
    _paint(page, canvas, [(5, 8), (10, 10), (15, 12), (20, 10)])
    text = _wait_for_status(status, r"^1 strokes")
    assert text.startswith("1 strokes (dark 1, bright 0, disc 0)"), text
    assert "paint at least two classes" in text

    # 2. switch to "bright" and paint on the right: the forest trains, a prediction appears
    two_classes, after_two = _paint_class_and_score(
        page,
        output,
        canvas,
        status,
        "bright",
        [(45, 8), (50, 10), (55, 12)],
        "2 strokes (dark 1, bright 1, disc 0)",
        screenshots / "lab-13-widget-two-classes.png",
    )
    assert after_two != before, "the canvas did not change after the forest was trained"

    # 3. paint the disc: the prediction gains the third class and the Dice rises
    three_classes, after_three = _paint_class_and_score(
        page,
        output,
        canvas,
        status,
        "disc",
        [(27, 18), (30, 20), (33, 22)],
        "3 strokes (dark 1, bright 1, disc 1)",
        screenshots / "lab-13-widget-three-classes.png",
    )
    assert after_three != after_two, "the prediction did not change after the third stroke"
    assert three_classes > two_classes + 0.1, (two_classes, three_classes)
    assert context.log.outside() == [], context.log.outside()
    print(
        f"scribble widget: ran in {seconds:.1f} s; Dice {two_classes:.3f} with two classes "
        f"painted, {three_classes:.3f} with three"
    )
