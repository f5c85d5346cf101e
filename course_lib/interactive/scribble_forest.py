"""Scribbles and the random forest that learns from them (chapter 13, the lecture's ilastik).

A *scribble* is a brush stroke the user paints on a slice with a class in mind. The painted
pixels are the only training data: a random forest [1]_ on the pixels' multi-scale features
(:mod:`course_lib.interactive.features`) is refitted after every stroke and predicts the class
of every pixel of the slice, as ilastik's pixel classification does [2]_ [3]_.

* :class:`Stroke` -- one stroke: a class and a polyline of ``(x, y)`` pixel positions;
* :func:`rasterize_stroke` -- the pixels a stroke covers with a round brush;
* :func:`paint` -- a scribble label map (0 = not painted) from a list of strokes;
* :func:`simulated_strokes` -- strokes a user could paint without looking at a prediction,
  drawn from a ground truth with a seed (random walks inside each class), so that notebooks and
  tests replay the same session (:mod:`course_lib.interactive.simulated_user` paints where the
  prediction is wrong instead);
* :class:`ScribbleForest` -- fit on painted pixels, predict a label map inside a mask;
* :func:`mean_dice` -- mean Dice over the classes, the chapter's score.

Arrays are indexed ``(X, Y)`` like an axial slice ``volume[:, :, k]``; labels are ``1..C``.

References
----------
.. [1] L. Breiman, "Random forests", Machine Learning 45, 5-32, 2001.
   doi:10.1023/A:1010933404324
.. [2] C. Sommer, C. Straehle, U. Koethe, F. A. Hamprecht, "ilastik: Interactive learning and
   segmentation toolkit", IEEE ISBI 2011, 230-233. doi:10.1109/ISBI.2011.5872394
.. [3] S. Berg et al., "ilastik: interactive machine learning for (bio)image analysis",
   Nature Methods 16, 1226-1232, 2019. doi:10.1038/s41592-019-0582-9
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from sklearn.ensemble import RandomForestClassifier

from course_lib.metrics.overlap import dice

__all__ = [
    "Stroke",
    "rasterize_stroke",
    "paint",
    "class_interior",
    "walk_stroke",
    "simulated_strokes",
    "ScribbleForest",
    "mean_dice",
]


@dataclass(frozen=True)
class Stroke:
    """One brush stroke: the class painted and the polyline followed, ``(N, 2)`` as ``(x, y)``."""

    label: int
    points: tuple[tuple[float, float], ...]
    radius: float = 1.0

    def __post_init__(self):
        if isinstance(self.label, bool) or int(self.label) != self.label or self.label < 1:
            raise ValueError(f"a stroke's label must be a class number >= 1, got {self.label!r}.")
        if len(self.points) == 0:
            raise ValueError("a stroke needs at least one point (x, y).")
        if self.radius < 0:
            raise ValueError(f"the brush radius must be >= 0 pixels, got {self.radius!r}.")


def rasterize_stroke(
    shape: tuple[int, int], points: Sequence[Sequence[float]], radius: float = 1.0
) -> NDArray[np.bool_]:
    """Pixels within ``radius`` of the polyline through ``points`` (``(x, y)``), clipped to ``shape``.

    The segments are sampled every half pixel; each sample paints the disc of pixel centres at
    distance ``<= radius`` (radius 0 paints the nearest pixel only).
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    samples = [points[:1]]
    for start, end in zip(points[:-1], points[1:]):
        steps = max(int(np.ceil(2 * np.linalg.norm(end - start))), 1)
        t = np.arange(1, steps + 1)[:, None] / steps
        samples.append(start + t * (end - start))
    samples = np.concatenate(samples)
    r = int(np.ceil(radius))
    offsets = np.array([(dx, dy) for dx in range(-r, r + 1) for dy in range(-r, r + 1)])
    mask = np.zeros(shape, dtype=bool)
    for offset in offsets:
        pixels = np.rint(samples).astype(int) + offset
        keep = np.linalg.norm(pixels - samples, axis=1) <= radius + 1e-9
        keep &= (pixels >= 0).all(axis=1) & (pixels[:, 0] < shape[0]) & (pixels[:, 1] < shape[1])
        mask[pixels[keep, 0], pixels[keep, 1]] = True
    return mask


def paint(shape: tuple[int, int], strokes: Sequence[Stroke]) -> NDArray[np.int64]:
    """The scribble label map of ``strokes``: 0 where nothing is painted; later strokes win."""
    scribbles = np.zeros(shape, dtype=np.int64)
    for stroke in strokes:
        scribbles[rasterize_stroke(shape, stroke.points, stroke.radius)] = stroke.label
    return scribbles


def class_interior(truth: NDArray, label: int, radius: float = 1.0) -> NDArray[np.bool_]:
    """Pixels of class ``label`` where a brush of ``radius`` stays inside the class.

    The class eroded by ``ceil(radius)`` pixels; the class itself when the erosion empties it
    (a thin class such as cortex on a 2-mm slice).
    """
    region = np.asarray(truth) == label
    if not region.any():
        raise ValueError(f"class {label} does not occur in `truth`; paint only present classes.")
    eroded = ndimage.binary_erosion(region, iterations=int(np.ceil(radius))) if radius else region
    return eroded if eroded.any() else region


def walk_stroke(
    allowed: NDArray,
    start: Sequence[int],
    label: int,
    rng: np.random.Generator,
    length: int = 12,
    radius: float = 1.0,
) -> Stroke:
    """A stroke from ``start``: up to ``length`` one-pixel steps, turning a little at each step,
    stopping before it leaves ``allowed`` (a boolean map of pixels the stroke may visit)."""
    allowed = np.asarray(allowed, bool)
    position = np.asarray(start, dtype=float)
    angle = rng.uniform(0, 2 * np.pi)
    points = [tuple(position)]
    for _ in range(int(length)):
        angle += rng.normal(0.0, 0.5)
        step = position + np.array([np.cos(angle), np.sin(angle)])
        x, y = np.rint(step).astype(int)
        if not (0 <= x < allowed.shape[0] and 0 <= y < allowed.shape[1]) or not allowed[x, y]:
            break
        position = step
        points.append(tuple(position))
    return Stroke(int(label), tuple(points), radius)


def simulated_strokes(
    truth: NDArray,
    classes: Sequence[int],
    n_per_class: int,
    seed: int,
    length: int = 12,
    radius: float = 1.0,
) -> list[Stroke]:
    """Strokes a user might paint without looking at any prediction: random walks in each class.

    Each stroke starts at a random pixel of the class interior (:func:`class_interior`) and
    walks (:func:`walk_stroke`) without leaving it, so the brush stays inside the class. Strokes
    alternate between the classes (class 1, 2, ..., 1, 2, ...), as a user adds one example of
    each class in turn.

    Parameters
    ----------
    truth : ndarray of int, shape (X, Y)
        Ground-truth labels of the slice.
    classes : sequence of int
        The classes to paint (each must be present in ``truth``).
    n_per_class : int
        Strokes per class (>= 1).
    seed : int
        Random seed: the same arguments give the same strokes.
    length : int
        Maximum number of steps of a stroke.
    radius : float
        Brush radius in pixels.

    Returns
    -------
    list of Stroke
        ``n_per_class * len(classes)`` strokes; the first ``k * len(classes)`` are the session
        after ``k`` strokes per class.
    """
    truth = np.asarray(truth)
    if truth.ndim != 2:
        raise ValueError(f"`truth` must be a 2-D label slice, got shape {truth.shape}.")
    if isinstance(n_per_class, bool) or int(n_per_class) != n_per_class or n_per_class < 1:
        raise ValueError(f"`n_per_class` must be a positive integer, got {n_per_class!r}.")
    rng = np.random.default_rng(seed)
    inside = {label: class_interior(truth, label, radius) for label in classes}
    strokes = []
    for _ in range(int(n_per_class)):
        for label in classes:
            candidates = np.argwhere(inside[label])
            start = candidates[rng.integers(len(candidates))]
            strokes.append(walk_stroke(inside[label], start, label, rng, length, radius))
    return strokes


class ScribbleForest:
    """A random forest on per-pixel features, trained on the painted pixels of one slice.

    Parameters
    ----------
    features : ndarray, shape (X, Y, F)
        Features of every pixel (e.g. :func:`~course_lib.interactive.features.filter_bank`).
    mask : ndarray of bool, shape (X, Y), optional
        Pixels to classify (e.g. the brain); default every pixel. Outside it the prediction is 0.
    n_estimators : int
        Trees in the forest (ilastik's default is 100).
    seed : int
        The forest's random state.
    """

    def __init__(
        self,
        features: NDArray,
        mask: NDArray | None = None,
        n_estimators: int = 50,
        seed: int = 0,
    ):
        features = np.asarray(features, dtype=np.float32)
        if features.ndim == 2:
            features = features[..., None]
        if features.ndim != 3:
            raise ValueError(f"`features` must have shape (X, Y, F), got {features.shape}.")
        mask = np.ones(features.shape[:2], bool) if mask is None else np.asarray(mask, bool)
        if mask.shape != features.shape[:2]:
            raise ValueError(
                f"`mask` has shape {mask.shape} but the features cover {features.shape[:2]}."
            )
        self.features = features
        self.mask = mask
        self.n_estimators = int(n_estimators)
        self.seed = int(seed)
        self.forest: RandomForestClassifier | None = None

    def samples(self, scribbles: NDArray) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """The training set a scribble map defines: features and class of every painted pixel."""
        scribbles = np.asarray(scribbles)
        if scribbles.shape != self.mask.shape:
            raise ValueError(
                f"`scribbles` has shape {scribbles.shape}, expected {self.mask.shape}."
            )
        painted = scribbles > 0
        return self.features[painted], scribbles[painted].astype(np.int64)

    def fit(
        self,
        scribbles: NDArray,
        extra_samples: tuple[NDArray, NDArray] | None = None,
    ) -> "ScribbleForest":
        """Refit the forest from scratch on the painted pixels (``scribbles > 0``).

        ``extra_samples`` = ``(features (N, F), labels (N,))`` adds training pixels from other
        slices (e.g. :meth:`samples` of another session): training on similar data.

        Raises
        ------
        ValueError
            If fewer than two classes are painted: a classifier needs examples of both sides.
        """
        x, y = self.samples(scribbles)
        if extra_samples is not None:
            extra_x, extra_y = (np.asarray(a) for a in extra_samples)
            if extra_x.ndim != 2 or extra_x.shape[1] != x.shape[1] or len(extra_x) != len(extra_y):
                raise ValueError(
                    f"`extra_samples` must be (features (N, {x.shape[1]}), labels (N,)), got "
                    f"{extra_x.shape} and {extra_y.shape}."
                )
            x, y = np.concatenate([x, extra_x]), np.concatenate([y, extra_y])
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"paint at least two classes before training (painted: {classes.tolist()})."
            )
        self.forest = RandomForestClassifier(
            n_estimators=self.n_estimators, random_state=self.seed, n_jobs=1
        )
        self.forest.fit(x, y)
        return self

    def predict_proba(self) -> NDArray[np.float64]:
        """Class probabilities inside the mask, ``(X, Y, C)`` (0 outside); classes in ``classes_``."""
        if self.forest is None:
            raise RuntimeError("the forest is not trained yet; call fit(scribbles) first.")
        proba = np.zeros(self.mask.shape + (len(self.forest.classes_),))
        proba[self.mask] = self.forest.predict_proba(self.features[self.mask])
        return proba

    def predict(self) -> NDArray[np.int64]:
        """The most probable class of every pixel inside the mask (0 outside)."""
        proba = self.predict_proba()
        labels = np.zeros(self.mask.shape, dtype=np.int64)
        labels[self.mask] = self.forest.classes_[np.argmax(proba[self.mask], axis=1)]
        return labels

    def predict_other(self, features: NDArray, mask: NDArray) -> NDArray[np.int64]:
        """Apply the trained forest to another slice's features (another subject or center)."""
        if self.forest is None:
            raise RuntimeError("the forest is not trained yet; call fit(scribbles) first.")
        features, mask = np.asarray(features, np.float32), np.asarray(mask, bool)
        if features.shape[-1] != self.features.shape[-1] or features.shape[:2] != mask.shape:
            raise ValueError(
                f"features {features.shape} and mask {mask.shape} do not match the forest's "
                f"{self.features.shape[-1]} features per pixel; compute them with the same bank."
            )
        labels = np.zeros(mask.shape, dtype=np.int64)
        labels[mask] = self.forest.predict(features[mask])
        return labels


def mean_dice(pred: NDArray, truth: NDArray, classes: Sequence[int], mask: NDArray) -> float:
    """Mean over ``classes`` of the Dice of ``pred == c`` against ``truth == c`` inside ``mask``."""
    pred, truth, mask = np.asarray(pred), np.asarray(truth), np.asarray(mask, bool)
    return float(np.mean([dice((pred == c) & mask, (truth == c) & mask) for c in classes]))
