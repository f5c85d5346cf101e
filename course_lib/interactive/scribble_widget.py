"""The painting widget of chapter 13: scribble on a slice, watch the forest's prediction update.

:class:`ScribbleSession` holds the logic and is tested without a browser: add a stroke, and the
forest (:class:`~course_lib.interactive.scribble_forest.ScribbleForest`) is refitted on every
painted pixel and predicts the whole slice. :meth:`ScribbleSession.widget` wires it to the mouse
in JupyterLab with ipympl (a matplotlib canvas that receives mouse events) and ipywidgets: pick a
class, press and drag on the left image; on release the stroke is added, the forest retrains and
the right image shows the new prediction. Without a browser (nbconvert, CI) the same session is
driven by :meth:`ScribbleSession.add_stroke` and drawn with :meth:`ScribbleSession.draw`.

The left panel fills the left half of the canvas and the right panel the right half
(``aspect="auto"``, figure proportions matched to the slice), so a pixel of the canvas maps
linearly to a pixel of the slice; the real-browser test relies on this to paint.
"""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from numpy.typing import NDArray

from course_lib.interactive.scribble_forest import ScribbleForest, Stroke, mean_dice, paint

__all__ = ["CLASS_COLORS", "ScribbleSession"]

#: Colours of classes 1, 2, 3 (scribbles and predictions): blue, orange, green.
CLASS_COLORS = ((0.12, 0.47, 0.71), (1.0, 0.5, 0.05), (0.17, 0.63, 0.17))


def _label_cmap(n_classes: int) -> ListedColormap:
    return ListedColormap([(0, 0, 0, 0)] + [(*CLASS_COLORS[i % 3], 1.0) for i in range(n_classes)])


class ScribbleSession:
    """An interactive-training session on one slice.

    Parameters
    ----------
    image : ndarray, shape (X, Y)
        The slice shown to the user.
    features : ndarray, shape (X, Y, F)
        Its per-pixel features.
    mask : ndarray of bool, shape (X, Y)
        Pixels to classify.
    class_names : mapping of int to str
        The classes the user paints, e.g. ``{1: "CSF", 2: "GM", 3: "WM"}``.
    truth : ndarray of int, shape (X, Y), optional
        Ground truth; when given, the status line shows the mean Dice (a teaching aid: a real
        user has no ground truth).
    n_estimators, seed : int
        Passed to the forest.
    radius : float
        Brush radius (pixels) of strokes painted with the mouse.
    """

    def __init__(
        self,
        image: NDArray,
        features: NDArray,
        mask: NDArray,
        class_names: Mapping[int, str],
        truth: NDArray | None = None,
        n_estimators: int = 50,
        seed: int = 0,
        radius: float = 1.0,
    ):
        self.image = np.asarray(image, dtype=np.float32)
        if self.image.ndim != 2:
            raise ValueError(f"`image` must be one 2-D slice, got shape {self.image.shape}.")
        self.forest = ScribbleForest(features, mask, n_estimators=n_estimators, seed=seed)
        if self.forest.mask.shape != self.image.shape:
            raise ValueError(
                f"`features`/`mask` cover {self.forest.mask.shape}, the image {self.image.shape}."
            )
        if len(class_names) < 2:
            raise ValueError("give at least two classes to paint, e.g. {1: 'CSF', 2: 'GM'}.")
        self.class_names = dict(class_names)
        self.truth = None if truth is None else np.asarray(truth)
        self.radius = float(radius)
        self.strokes: list[Stroke] = []
        self.prediction = np.zeros(self.image.shape, dtype=np.int64)
        self.history: list[float] = []

    # ------------------------------------------------------------------ logic (tested)
    @property
    def scribbles(self) -> NDArray[np.int64]:
        """The label map of every stroke so far (0 = not painted)."""
        return paint(self.image.shape, self.strokes)

    def add_stroke(self, stroke: Stroke) -> NDArray[np.int64]:
        """Add a stroke, refit the forest if two classes are painted, return the prediction."""
        if stroke.label not in self.class_names:
            raise ValueError(
                f"stroke class {stroke.label} is not one of {sorted(self.class_names)}."
            )
        self.strokes.append(stroke)
        return self._refit()

    def undo(self) -> NDArray[np.int64]:
        """Remove the last stroke and refit."""
        if self.strokes:
            self.strokes.pop()
        return self._refit()

    def _refit(self) -> NDArray[np.int64]:
        scribbles = self.scribbles
        painted = np.unique(scribbles[scribbles > 0])
        if len(painted) >= 2:
            self.prediction = self.forest.fit(scribbles).predict()
        else:
            self.prediction = np.zeros(self.image.shape, dtype=np.int64)
        if self.truth is not None and len(painted) >= 2:
            self.history.append(self.dice())
        return self.prediction

    def dice(self) -> float:
        """Mean Dice of the current prediction against the truth over the painted-for classes."""
        if self.truth is None:
            raise ValueError("this session has no ground truth; pass `truth=` to score it.")
        return mean_dice(self.prediction, self.truth, sorted(self.class_names), self.forest.mask)

    def status(self) -> str:
        """One line: strokes per class, painted pixels, and the Dice when a truth is known."""
        counts = {c: sum(s.label == c for s in self.strokes) for c in self.class_names}
        parts = ", ".join(f"{self.class_names[c]} {n}" for c, n in counts.items())
        text = (
            f"{len(self.strokes)} strokes ({parts}); "
            f"{int((self.scribbles > 0).sum())} painted pixels"
        )
        if not self.prediction.any():
            return text + "; paint at least two classes to train the forest"
        if self.truth is not None:
            text += f"; mean Dice vs truth {self.dice():.3f}"
        return text

    # ------------------------------------------------------------------ drawing
    def draw(self, axes: Sequence[plt.Axes] | None = None) -> plt.Figure:
        """Left: the slice with the scribbles; right: the forest's prediction."""
        if axes is None:
            figure = plt.figure(figsize=self._figsize())
            axes = self._add_axes(figure)
        figure = axes[0].figure
        cmap = _label_cmap(len(self.class_names))
        low, high = np.percentile(self.image[self.forest.mask], [1, 99])
        for ax, labels, title in (
            (axes[0], self.scribbles, "scribbles"),
            (axes[1], self.prediction, "forest prediction"),
        ):
            ax.clear()
            ax.imshow(self.image.T, origin="lower", cmap="gray", vmin=low, vmax=high, aspect="auto")
            ax.imshow(
                np.ma.masked_equal(labels.T, 0),
                origin="lower",
                cmap=cmap,
                vmin=0,
                vmax=len(self.class_names),
                alpha=1.0 if labels is not self.prediction else 0.6,
                aspect="auto",
                interpolation="nearest",
            )
            ax.set_axis_off()
            ax.text(0.02, 0.97, title, transform=ax.transAxes, color="w", va="top", fontsize=9)
        return figure

    def _figsize(self) -> tuple[float, float]:
        height = 3.2
        return (2 * height * self.image.shape[0] / self.image.shape[1], height)

    @staticmethod
    def _add_axes(figure: plt.Figure) -> list[plt.Axes]:
        return [figure.add_axes((0, 0, 0.5, 1)), figure.add_axes((0.5, 0, 0.5, 1))]

    # ------------------------------------------------------------------ widget (browser)
    def widget(self):
        """The interactive widget: class buttons, undo/clear, the canvas and a status line."""
        import ipywidgets as widgets
        import matplotlib
        from matplotlib.figure import Figure

        backend = matplotlib.get_backend()
        from ipympl.backend_nbagg import Canvas, FigureManager

        if matplotlib.get_backend() != backend:  # importing ipympl switches pyplot to it:
            matplotlib.use(backend)  # switch back, so later plt figures stay inline images

        figure = Figure(figsize=self._figsize(), dpi=72)
        canvas = Canvas(figure)
        with warnings.catch_warnings():  # ipympl's toolbar passes traitlets an old-style argument
            warnings.simplefilter("ignore", DeprecationWarning)
            FigureManager(canvas, 0)
        canvas.toolbar_visible = False
        canvas.header_visible = False
        canvas.footer_visible = False
        canvas.resizable = False
        axes = self._add_axes(figure)

        choice = widgets.ToggleButtons(
            options=[(name, label) for label, name in self.class_names.items()],
            description="paint:",
        )
        undo = widgets.Button(description="undo last stroke")
        clear = widgets.Button(description="clear")
        status = widgets.Label(value=self.status())
        current: list[tuple[float, float]] = []
        line = {"artist": None}

        def redraw():
            self.draw(axes)
            status.value = self.status()
            canvas.draw_idle()

        def on_press(event):
            if event.inaxes is not axes[0] or event.xdata is None:
                return
            current.clear()
            current.append((event.xdata, event.ydata))
            color = CLASS_COLORS[(choice.value - 1) % 3]
            (line["artist"],) = axes[0].plot([event.xdata], [event.ydata], color=color, lw=3)

        def on_move(event):
            if not current or event.inaxes is not axes[0] or event.xdata is None:
                return
            current.append((event.xdata, event.ydata))
            line["artist"].set_data(*zip(*current))
            canvas.draw_idle()

        def on_release(event):
            if not current:
                return
            points = tuple(current)
            current.clear()
            self.add_stroke(Stroke(int(choice.value), points, self.radius))
            redraw()

        def on_undo(_):
            self.undo()
            redraw()

        def on_clear(_):
            self.strokes.clear()
            self._refit()
            redraw()

        canvas.mpl_connect("button_press_event", on_press)
        canvas.mpl_connect("motion_notify_event", on_move)
        canvas.mpl_connect("button_release_event", on_release)
        undo.on_click(on_undo)
        clear.on_click(on_clear)
        redraw()
        return widgets.VBox([widgets.HBox([choice, undo, clear]), canvas, status])
