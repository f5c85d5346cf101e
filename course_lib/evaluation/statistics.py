"""Reporting a comparison with its uncertainty (every chapter that compares two methods).

The course's convention, stated once:

* a **spread** is the sample standard deviation (``ddof=1``) and is printed with its ``n``;
* a **comparison** of method A with method B is the *paired* difference A - B on the same
  held-out subjects and seeds. The unit that generalises is the **subject** (a new patient):
  differences are first averaged over seeds, and the 95 % confidence interval is Student's
  t over subjects. The variability due to training (the **seed**) is reported beside it as
  the standard deviation over seeds of the subject-averaged difference. With one subject,
  the interval is over seeds (and says so).

>>> import numpy as np
>>> a = np.array([[0.80, 0.82, 0.78], [0.81, 0.83, 0.79]])   # (seeds, subjects)
>>> b = a - 0.02
>>> print(paired_difference(a, b))
+0.020 (95 % CI [+0.020, +0.020] over 3 subjects; sd over 2 seeds 0.000; A better in 6/6 pairs)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["PairedDifference", "paired_difference", "mean_sd"]


@dataclass(frozen=True)
class PairedDifference:
    """A - B on paired results, with its uncertainty (see the module docstring).

    Attributes
    ----------
    mean : float
        Mean difference over all pairs.
    ci_low, ci_high : float
        95 % (or ``confidence``) Student-t interval of the mean over ``unit``.
    n : int
        Number of units the interval is computed over.
    unit : str
        ``"subjects"`` (seed-averaged differences) or ``"seeds"`` (one subject).
    seed_sd : float
        Standard deviation (ddof=1) over seeds of the subject-averaged difference;
        ``nan`` with one seed.
    n_seeds : int
    wins, n_pairs : int
        Pairs (seed, subject) where A > B, and the number of pairs.
    p_value : float
        Two-sided one-sample t-test of the unit differences against 0 (``nan`` if n < 2).
    """

    mean: float
    ci_low: float
    ci_high: float
    n: int
    unit: str
    seed_sd: float
    n_seeds: int
    wins: int
    n_pairs: int
    p_value: float

    def format(self, digits: int = 3) -> str:
        """One line, e.g. ``+0.020 (95 % CI [+0.010, +0.030] over 6 subjects; ...)``."""
        f = f"+.{digits}f"
        text = (
            f"{self.mean:{f}} (95 % CI [{self.ci_low:{f}}, {self.ci_high:{f}}] over "
            f"{self.n} {self.unit}"
        )
        if self.unit == "subjects" and self.n_seeds > 1:
            text += f"; sd over {self.n_seeds} seeds {self.seed_sd:.{digits}f}"
        return text + f"; A better in {self.wins}/{self.n_pairs} pairs)"

    def __str__(self) -> str:
        return self.format()


def _as_table(values: Any, name: str) -> np.ndarray:
    table = np.asarray(values, dtype=float)
    if table.ndim == 1:
        table = table[None, :]  # one seed, several subjects
    if table.ndim != 2 or table.size == 0:
        raise ValueError(
            f"{name} must be (subjects,) or (seeds, subjects), got shape {np.shape(values)}"
        )
    if not np.all(np.isfinite(table)):
        raise ValueError(
            f"{name} has non-finite values; decide how to score them first "
            "(see course_lib.metrics conventions)"
        )
    return table


def paired_difference(a: Any, b: Any, confidence: float = 0.95) -> PairedDifference:
    """Paired difference A - B with a confidence interval over subjects (or seeds).

    Parameters
    ----------
    a, b : array-like, shape (subjects,) or (seeds, subjects)
        Scores of the two methods on the same held-out subjects (columns) and, when 2-D,
        the same training seeds (rows).
    confidence : float
        Coverage of the interval (0.95).

    Returns
    -------
    PairedDifference
    """
    a, b = _as_table(a, "a"), _as_table(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must be paired (same shape), got {a.shape} and {b.shape}")
    d = a - b
    n_seeds, n_subjects = d.shape
    units = d.mean(axis=0) if n_subjects > 1 else d[:, 0]
    unit = "subjects" if n_subjects > 1 else "seeds"
    n = len(units)
    mean = float(units.mean())
    if n > 1:
        sem = float(units.std(ddof=1)) / np.sqrt(n)
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sem
        p = float(stats.ttest_1samp(units, 0.0).pvalue) if sem > 0 else (0.0 if mean else 1.0)
    else:
        half, p = float("nan"), float("nan")
    seed_sd = float(d.mean(axis=1).std(ddof=1)) if n_seeds > 1 else float("nan")
    return PairedDifference(
        mean=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        n=n,
        unit=unit,
        seed_sd=seed_sd,
        n_seeds=n_seeds,
        wins=int((d > 0).sum()),
        n_pairs=int(d.size),
        p_value=p,
    )


def mean_sd(values: Any, digits: int = 3) -> str:
    """``"0.812 ± 0.012 (n = 3)"``: mean and sample standard deviation (ddof=1) of values."""
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("mean_sd needs at least one value")
    sd = float(x.std(ddof=1)) if x.size > 1 else float("nan")
    return f"{x.mean():.{digits}f} ± {sd:.{digits}f} (n = {x.size})"
