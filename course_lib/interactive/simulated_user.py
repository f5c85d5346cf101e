"""A simulated user for chapter 13: paint, look at the prediction, paint where it is wrong.

Interactive training works because the user sees the forest's prediction after every stroke and
puts the next stroke where the prediction is wrong [1]_. :func:`corrective_strokes` imitates that
user from a ground truth: one stroke per class, started on a pixel of that class which the
current prediction gets wrong. :func:`run_session` replays a whole session -- a first random
stroke per class, then ``n_rounds - 1`` rounds of corrective (or, for comparison, random)
strokes -- and scores the prediction after every round, so notebooks and tests can replay it
deterministically from a seed.

References
----------
.. [1] S. Berg et al., "ilastik: interactive machine learning for (bio)image analysis",
   Nature Methods 16, 1226-1232, 2019. doi:10.1038/s41592-019-0582-9
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from numpy.typing import NDArray

from course_lib.interactive.scribble_forest import (
    ScribbleForest,
    Stroke,
    class_interior,
    mean_dice,
    paint,
    simulated_strokes,
    walk_stroke,
)

__all__ = ["corrective_strokes", "SessionTrace", "run_session"]


def corrective_strokes(
    truth: NDArray,
    prediction: NDArray,
    mask: NDArray,
    classes: Sequence[int],
    rng: np.random.Generator,
    length: int = 12,
    radius: float = 1.0,
) -> list[Stroke]:
    """One stroke per class, each starting on a pixel of that class the prediction gets wrong.

    The start is drawn at random among the class's misclassified pixels inside ``mask``
    (preferring those where the brush fits inside the class); the stroke then walks inside the
    class. A class without errors gets a stroke at a random pixel of its interior.
    """
    truth, prediction, mask = np.asarray(truth), np.asarray(prediction), np.asarray(mask, bool)
    strokes = []
    for label in classes:
        region = truth == label
        interior = class_interior(truth, label, radius)
        wrong = region & (prediction != label) & mask
        for candidates, allowed, brush in (
            (wrong & interior, interior, radius),
            (wrong, region, 0.0),
            (interior, interior, radius),
        ):
            if candidates.any():
                starts = np.argwhere(candidates)
                start = starts[rng.integers(len(starts))]
                strokes.append(walk_stroke(allowed, start, label, rng, length, brush))
                break
    return strokes


@dataclass
class SessionTrace:
    """What a replayed session did: its strokes and the mean Dice after every round."""

    strokes: list[Stroke] = field(default_factory=list)
    dice: list[float] = field(default_factory=list)
    prediction: NDArray | None = None


def run_session(
    features: NDArray,
    mask: NDArray,
    truth: NDArray,
    classes: Sequence[int],
    n_rounds: int,
    seed: int,
    corrective: bool = True,
    n_estimators: int = 50,
    length: int = 12,
    radius: float = 1.0,
) -> SessionTrace:
    """Replay a painting session of ``n_rounds`` rounds (one stroke per class per round).

    Round 1 paints one random stroke per class (:func:`simulated_strokes`); every later round
    adds :func:`corrective_strokes` for the current prediction (``corrective=True``) or more
    random strokes (``corrective=False``). After each round the forest is refitted on all
    strokes and scored with :func:`mean_dice` on the mask's pixels that are not painted.

    Returns
    -------
    SessionTrace
        ``dice[r]`` is the score after round ``r + 1``; ``prediction`` the final one.
    """
    if isinstance(n_rounds, bool) or int(n_rounds) != n_rounds or n_rounds < 1:
        raise ValueError(f"`n_rounds` must be a positive integer, got {n_rounds!r}.")
    truth, mask = np.asarray(truth), np.asarray(mask, bool)
    rng = np.random.default_rng(seed)
    forest = ScribbleForest(features, mask, n_estimators=n_estimators, seed=seed)
    trace = SessionTrace()
    for round_ in range(int(n_rounds)):
        if round_ == 0 or not corrective:
            new = simulated_strokes(truth, classes, 1, int(rng.integers(2**31)), length, radius)
        else:
            new = corrective_strokes(truth, trace.prediction, mask, classes, rng, length, radius)
        trace.strokes.extend(new)
        scribbles = paint(truth.shape, trace.strokes)
        trace.prediction = forest.fit(scribbles).predict()
        trace.dice.append(mean_dice(trace.prediction, truth, classes, mask & (scribbles == 0)))
    return trace
