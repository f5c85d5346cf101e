r"""Intraclass correlation (ICC) of measurements such as lesion volumes.

Dice asks whether raters outline the same voxels; the ICC asks whether they
report the same *numbers* (e.g. lesion load per patient), the quantity a
clinical study would use. Shrout & Fleiss [1]_ define six ICCs from a two-way
analysis of variance of an ``(n subjects x k raters)`` table. With the mean
squares

* :math:`MS_R = k \sum_i (\bar x_{i\cdot} - \bar x)^2 / (n - 1)` (subjects, rows),
* :math:`MS_C = n \sum_j (\bar x_{\cdot j} - \bar x)^2 / (k - 1)` (raters, columns),
* :math:`MS_E = \sum_{ij} (x_{ij} - \bar x_{i\cdot} - \bar x_{\cdot j} + \bar x)^2
  / ((n - 1)(k - 1))` (residual),

this module gives the two used for method comparison:

* **ICC(2,1)** -- two-way random effects, *absolute agreement*, single rater:
  :math:`(MS_R - MS_E) / (MS_R + (k - 1) MS_E + k (MS_C - MS_E) / n)`.
  A rater (or method) that is systematically 20 % too large lowers it. This is
  the default: volumes must agree, not merely correlate.
* **ICC(3,1)** -- two-way mixed effects, *consistency*, single rater:
  :math:`(MS_R - MS_E) / (MS_R + (k - 1) MS_E)`. Constant offsets between raters
  do not lower it.

References
----------
.. [1] P. E. Shrout, J. L. Fleiss, "Intraclass correlations: uses in assessing
   rater reliability," Psychological Bulletin 86(2):420-428, 1979.
   doi:10.1037/0033-2909.86.2.420
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np

from course_lib.metrics._arrays import to_numpy

__all__ = ["MeanSquares", "icc_mean_squares", "icc"]

_KINDS = ("ICC(2,1)", "ICC(3,1)")


class MeanSquares(NamedTuple):
    """Two-way ANOVA mean squares of a ratings table (see the module docstring)."""

    rows: float
    columns: float
    error: float
    n: int
    k: int


def icc_mean_squares(ratings: Any) -> MeanSquares:
    """Two-way ANOVA mean squares of an ``(n_subjects, k_raters)`` table.

    Parameters
    ----------
    ratings : array_like, shape (n_subjects, k_raters)
        One measurement per subject (row) and rater or method (column), e.g.
        lesion volumes in mL; n >= 2, k >= 2, all finite.

    Returns
    -------
    MeanSquares
        ``MS_R`` (subjects), ``MS_C`` (raters), ``MS_E`` (residual), n and k.
    """
    x = to_numpy(ratings).astype(np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError(
            f"`ratings` must be a 2-D table (n_subjects >= 2, k_raters >= 2), got shape "
            f"{x.shape}; stack per-rater volumes as columns, e.g. np.column_stack([v1, v2])."
        )
    if not np.isfinite(x).all():
        raise ValueError(
            "`ratings` contains NaN or inf; drop the incomplete subjects (rows) first."
        )
    n, k = x.shape
    grand = x.mean()
    row_means = x.mean(axis=1, keepdims=True)
    col_means = x.mean(axis=0, keepdims=True)
    ms_rows = k * np.sum((row_means - grand) ** 2) / (n - 1)
    ms_cols = n * np.sum((col_means - grand) ** 2) / (k - 1)
    residual = x - row_means - col_means + grand
    ms_error = np.sum(residual**2) / ((n - 1) * (k - 1))
    return MeanSquares(float(ms_rows), float(ms_cols), float(ms_error), n, k)


def icc(ratings: Any, kind: Literal["ICC(2,1)", "ICC(3,1)"] = "ICC(2,1)") -> float:
    """Intraclass correlation of a subjects x raters table (Shrout & Fleiss 1979).

    Parameters
    ----------
    ratings : array_like, shape (n_subjects, k_raters)
        Measurements, e.g. lesion volume (mL) of each case by each rater or method.
    kind : {"ICC(2,1)", "ICC(3,1)"}
        ``"ICC(2,1)"`` (default): absolute agreement, raters a random sample;
        ``"ICC(3,1)"``: consistency, these fixed raters. Formulas in the module
        docstring.

    Returns
    -------
    float
        The ICC, at most 1 (can be negative when raters disagree more than
        subjects differ). ``nan`` when every value is identical (0/0).
    """
    if kind not in _KINDS:
        raise ValueError(f"`kind` must be one of {_KINDS}, got {kind!r}.")
    ms = icc_mean_squares(ratings)
    if kind == "ICC(2,1)":
        denominator = ms.rows + (ms.k - 1) * ms.error + ms.k * (ms.columns - ms.error) / ms.n
    else:
        denominator = ms.rows + (ms.k - 1) * ms.error
    if denominator == 0:
        return float("nan")
    return float((ms.rows - ms.error) / denominator)
