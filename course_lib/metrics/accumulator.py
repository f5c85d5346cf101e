"""Per-subject metric bookkeeping: a summary helper and an accumulator.

Metrics are pure functions of one subject; a study needs them for many
subjects, then mean, standard deviation and median -- the ``62.3 (16.4)``
entries of challenge tables. This module separates the two (the MONAI habit:
``compute_dice`` plus ``DiceMetric``). Surface distances are ``inf`` when one
mask is empty and some ratios may be ``nan`` on purpose, so every summary must
state what it does with non-finite values: :func:`summarize` makes that an
explicit argument.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Union

import numpy as np

from course_lib.metrics._arrays import to_numpy

__all__ = ["summarize", "MetricAccumulator"]

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


def _as_float(name: str, value: Any) -> float:
    try:
        arr = to_numpy(value)
        if arr.size != 1:
            raise TypeError
        return float(arr.reshape(()))
    except (TypeError, ValueError):
        raise TypeError(
            f"metric {name!r} must be a single number, got {type(value).__name__} "
            f"{value!r}; for a LesionDetection pass `result.as_dict()`."
        ) from None


class MetricAccumulator:
    """Collect metrics subject by subject, then aggregate them.

    Parameters
    ----------
    metrics : sequence of str, optional
        Fix the metric names; ``add`` then rejects other names (catches typos).
        By default the names are those seen, in order of first appearance.

    Examples
    --------
    >>> acc = MetricAccumulator()
    >>> acc.add(subject="s01", dice=0.8, hd95=4.0)
    >>> acc.add({"dice": 0.6, "hd95": float("inf")}, subject="s02")
    >>> acc.aggregate()["hd95"]["n_nonfinite"]
    1
    >>> acc.to_dict()["dice"]
    [0.8, 0.6]
    """

    def __init__(self, metrics: Sequence[str] | None = None) -> None:
        self._fixed = list(metrics) if metrics is not None else None
        self._names: list[str] = list(self._fixed or [])
        self._rows: list[dict[str, float]] = []
        self._subjects: list[str] = []

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def metric_names(self) -> list[str]:
        """Names of the metrics, in column order."""
        return list(self._names)

    def add(self, values: Mapping[str, Any] | None = None, /, *, subject: str | None = None,
            **metrics: Any) -> None:
        """Record the metrics of one subject.

        Parameters
        ----------
        values : mapping of str to float, optional
            Metrics as a dict (e.g. from :func:`surface_distance_metrics`).
        subject : str, optional
            Subject id (default ``"subject_<index>"``).
        **metrics : float
            More metrics by keyword; floats, NumPy scalars or 0-d tensors.
        """
        row = {**(dict(values) if values is not None else {}), **metrics}
        if not row:
            raise ValueError("add() needs at least one metric, e.g. add(dice=0.8).")
        clean = {}
        for name, value in row.items():
            if self._fixed is not None and name not in self._fixed:
                raise KeyError(
                    f"unknown metric {name!r}; this accumulator was created with "
                    f"metrics={self._fixed}."
                )
            clean[name] = _as_float(name, value)
        self._names.extend(name for name in clean if name not in self._names)
        self._rows.append(clean)
        self._subjects.append(subject if subject is not None else f"subject_{len(self._rows) - 1}")

    def values(self, name: str) -> np.ndarray:
        """Per-subject values of one metric (``nan`` where a subject lacks it)."""
        if name not in self._names:
            raise KeyError(f"no metric {name!r}; known: {self._names}.")
        return np.array([row.get(name, math.nan) for row in self._rows])

    def aggregate(
        self, nonfinite: NonFinite = "omit", ddof: int = 1
    ) -> dict[str, dict[str, float]]:
        """Summary statistics per metric, see :func:`summarize`.

        Returns
        -------
        dict
            ``{metric: {"mean", "std", "median", "min", "max", "n", "n_nonfinite"}}``.
        """
        return {name: summarize(self.values(name), nonfinite, ddof) for name in self._names}

    def to_dict(self) -> dict[str, list]:
        """The per-subject table as columns: ``{"subject": [...], metric: [...]}``.

        Ready for ``pandas.DataFrame(acc.to_dict())``; missing values are ``nan``.
        """
        table: dict[str, list] = {"subject": list(self._subjects)}
        for name in self._names:
            table[name] = self.values(name).tolist()
        return table

    def reset(self) -> None:
        """Forget every recorded subject (keeps fixed metric names)."""
        self._rows.clear()
        self._subjects.clear()
        self._names = list(self._fixed or [])
