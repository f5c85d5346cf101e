"""Tests of the intraclass correlation against Shrout & Fleiss (1979) and a
least-squares two-way ANOVA computed independently."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.metrics import icc
from course_lib.metrics.agreement import icc_mean_squares

# Shrout & Fleiss 1979 (doi:10.1037/0033-2909.86.2.420), Table 2: 6 targets x 4 judges.
SF_TABLE2 = np.array(
    [
        [9, 2, 5, 8],
        [6, 1, 3, 2],
        [8, 4, 6, 8],
        [7, 1, 2, 6],
        [10, 5, 6, 9],
        [6, 2, 4, 7],
    ],
    dtype=float,
)


def test_shrout_fleiss_published_values():
    # Their Table 3 ANOVA: BMS 11.24, JMS 32.49, EMS 1.02; Table 4: ICC(2,1) .29, ICC(3,1) .71.
    ms = icc_mean_squares(SF_TABLE2)
    assert (round(ms.rows, 2), round(ms.columns, 2), round(ms.error, 2)) == (11.24, 32.49, 1.02)
    assert round(icc(SF_TABLE2, "ICC(2,1)"), 2) == 0.29
    assert round(icc(SF_TABLE2, "ICC(3,1)"), 2) == 0.71
    assert icc(SF_TABLE2) == icc(SF_TABLE2, "ICC(2,1)")


def _anova_by_least_squares(x):
    """Residual and effect mean squares from an explicit two-way design matrix."""
    n, k = x.shape
    y = x.ravel()
    rows = np.kron(np.eye(n), np.ones((k, 1)))
    cols = np.kron(np.ones((n, 1)), np.eye(k))
    design = np.hstack([rows, cols[:, 1:]])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    sse = np.sum((y - fitted) ** 2)
    ss_total = np.sum((y - y.mean()) ** 2)
    fit_rows = rows @ np.linalg.lstsq(rows, y, rcond=None)[0]
    fit_cols = cols @ np.linalg.lstsq(cols, y, rcond=None)[0]
    ss_rows = np.sum((fit_rows - y.mean()) ** 2)
    ss_cols = np.sum((fit_cols - y.mean()) ** 2)
    assert ss_rows + ss_cols + sse == pytest.approx(ss_total)  # balanced design
    return ss_rows / (n - 1), ss_cols / (k - 1), sse / ((n - 1) * (k - 1))


@pytest.mark.parametrize("seed", [0, 1])
def test_against_least_squares_anova(seed):
    rng = np.random.default_rng(seed)
    subject = rng.gamma(2.0, 5.0, size=(15, 1))  # lesion loads in mL
    x = subject * rng.normal(1.0, 0.1, size=(15, 5)) + rng.normal(0, 1, size=(15, 5))
    x[:, 2] += 3.0  # one biased rater
    msr, msc, mse = _anova_by_least_squares(x)
    ms = icc_mean_squares(x)
    assert (ms.rows, ms.columns, ms.error) == pytest.approx((msr, msc, mse))
    n, k = x.shape
    assert icc(x, "ICC(2,1)") == pytest.approx(
        (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    )
    assert icc(x, "ICC(3,1)") == pytest.approx((msr - mse) / (msr + (k - 1) * mse))


def test_agreement_versus_consistency():
    rng = np.random.default_rng(2)
    v = rng.gamma(2.0, 5.0, size=20)
    perfect = np.column_stack([v, v, v])
    assert icc(perfect) == pytest.approx(1.0)
    assert icc(perfect, "ICC(3,1)") == pytest.approx(1.0)
    offset = np.column_stack([v, v + 5.0])  # a constant bias
    assert icc(offset, "ICC(3,1)") == pytest.approx(1.0)  # consistent
    assert icc(offset, "ICC(2,1)") < 0.9  # but not in agreement
    noise = rng.normal(size=(50, 3))  # raters unrelated to subjects
    assert abs(icc(noise)) < 0.2


def test_errors():
    with pytest.raises(ValueError, match="kind"):
        icc(SF_TABLE2, "ICC(1,1)")
    with pytest.raises(ValueError, match="2-D table"):
        icc(np.arange(5.0))
    with pytest.raises(ValueError, match="NaN"):
        icc(np.array([[1.0, np.nan], [2.0, 3.0]]))
    assert np.isnan(icc(np.ones((4, 3))))
