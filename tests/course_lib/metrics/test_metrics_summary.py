"""Tests of summarize() (aggregation over subjects)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.metrics import summarize


def test_summarize_matches_numpy():
    x = [0.5, 0.7, 0.9, 0.6]
    s = summarize(x)
    assert s["mean"] == pytest.approx(np.mean(x))
    assert s["std"] == pytest.approx(np.std(x, ddof=1))
    assert s["median"] == pytest.approx(np.median(x))
    assert (s["min"], s["max"], s["n"], s["n_nonfinite"]) == (0.5, 0.9, 4, 0)
    assert summarize(x, ddof=0)["std"] == pytest.approx(np.std(x))


def test_summarize_nonfinite_policies():
    x = [2.0, math.inf, 4.0, math.nan]
    omit = summarize(x)
    assert (omit["mean"], omit["n"], omit["n_nonfinite"]) == (3.0, 2, 2)
    assert math.isnan(summarize(x, "propagate")["mean"])
    assert summarize([1.0, math.inf], "propagate")["mean"] == math.inf
    replaced = summarize(x, nonfinite=10.0)
    assert replaced["mean"] == pytest.approx(26 / 4) and replaced["n"] == 4
    with pytest.raises(ValueError, match="non-finite"):
        summarize(x, "raise")
    with pytest.raises(ValueError, match="nonfinite"):
        summarize(x, "drop")
    nothing = summarize([math.inf])
    assert nothing["n"] == 0 and math.isnan(nothing["mean"]) and math.isnan(nothing["std"])
    assert math.isnan(summarize([1.0])["std"]) and summarize([1.0])["mean"] == 1.0
