"""Summaries over subjects: mean, standard deviation and median with an explicit rule for
non-finite values.

Metrics are pure functions of one subject; a study needs them for many
subjects, then mean, standard deviation and median -- the ``62.3 (16.4)``
entries of challenge tables. Surface distances are ``inf`` when one
mask is empty and some ratios may be ``nan`` on purpose, so every summary must
state what it does with non-finite values: :func:`summarize` makes that an
explicit argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Union

import numpy as np

__all__ = ["summarize"]

NonFinite = Union[Literal["omit", "propagate", "raise"], float]


def summarize(
    values: Iterable[float], nonfinite: NonFinite = "omit", ddof: int = 1
) -> dict[str, float]:
    """Mean, standard deviation and median of per-subject values.

    Parameters
    ----------
    values : iterable of float
        One value per subject (e.g. Dice or HD95 in mm).
    nonfinite : {"omit", "propagate", "raise"} or float
        What to do with ``nan`` and ``inf`` values: ``"omit"`` (default) leaves
        them out and counts them in ``n_nonfinite``; ``"propagate"`` keeps them
        (the mean becomes inf/nan); ``"raise"`` raises ``ValueError``; a number
        replaces them (e.g. :func:`course_lib.metrics.image_diagonal` for an
        infinite Hausdorff distance, or 0.0 for an undefined score).
    ddof : int
        Delta degrees of freedom of the standard deviation (1: sample std).

    Returns
    -------
    dict
        ``mean``, ``std``, ``median``, ``min``, ``max`` (``nan`` when no value
        is left, ``std`` also when fewer than ``ddof + 1``), ``n`` (values used)
        and ``n_nonfinite`` (non-finite values seen).
    """
    x = np.asarray([float(v) for v in values], dtype=np.float64)
    bad = ~np.isfinite(x)
    n_bad = int(bad.sum())
    if isinstance(nonfinite, str):
        if nonfinite == "omit":
            x = x[~bad]
        elif nonfinite == "raise":
            if n_bad:
                raise ValueError(
                    f"{n_bad} non-finite value(s) (nan/inf) found; choose "
                    "nonfinite='omit', 'propagate' or a replacement number."
                )
        elif nonfinite != "propagate":
            raise ValueError(
                f"`nonfinite` must be 'omit', 'propagate', 'raise' or a number, got {nonfinite!r}."
            )
    else:
        x = np.where(bad, float(nonfinite), x)
    n = int(x.size)
    nan = float("nan")
    with np.errstate(invalid="ignore"):
        return {
            "mean": float(x.mean()) if n else nan,
            "std": float(x.std(ddof=ddof)) if n > ddof else nan,
            "median": float(np.median(x)) if n else nan,
            "min": float(x.min()) if n else nan,
            "max": float(x.max()) if n else nan,
            "n": n,
            "n_nonfinite": n_bad,
        }
