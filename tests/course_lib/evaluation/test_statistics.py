import doctest

import numpy as np
import pytest
from scipy import stats

import course_lib.evaluation.statistics as statistics
from course_lib.evaluation.statistics import mean_sd, paired_difference


def test_doctest():
    assert doctest.testmod(statistics).failed == 0


def test_interval_over_subjects_matches_scipy():
    rng = np.random.default_rng(0)
    a = rng.normal(0.8, 0.05, size=(3, 8))
    b = a - rng.normal(0.02, 0.02, size=(3, 8))
    result = paired_difference(a, b)
    units = (a - b).mean(axis=0)
    low, high = stats.t.interval(0.95, len(units) - 1, loc=units.mean(), scale=stats.sem(units))
    assert result.unit == "subjects" and result.n == 8 and result.n_seeds == 3
    assert result.ci_low == pytest.approx(low) and result.ci_high == pytest.approx(high)
    assert result.p_value == pytest.approx(stats.ttest_1samp(units, 0).pvalue)
    assert result.seed_sd == pytest.approx((a - b).mean(axis=1).std(ddof=1))
    assert result.n_pairs == 24 and 0 <= result.wins <= 24


def test_one_subject_uses_seeds():
    result = paired_difference([[0.8], [0.9], [0.85]], [[0.7], [0.8], [0.8]])
    assert result.unit == "seeds" and result.n == 3
    assert "over 3 seeds" in str(result)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="paired"):
        paired_difference([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="non-finite"):
        paired_difference([1, np.nan], [1, 2])


def test_mean_sd_uses_ddof_1():
    assert mean_sd([1.0, 2.0, 3.0], digits=2) == "2.00 ± 1.00 (n = 3)"
