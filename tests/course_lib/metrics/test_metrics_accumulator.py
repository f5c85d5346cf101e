"""Tests of summarize() and MetricAccumulator (aggregation over subjects)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.metrics import MetricAccumulator, summarize


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


def test_accumulator_rows_columns_and_aggregate():
    acc = MetricAccumulator()
    acc.add(subject="s01", dice=0.8, hd95=4.0)
    acc.add({"dice": np.float32(0.6), "hd95": math.inf}, subject="s02")
    acc.add(dice=0.7)                                    # hd95 missing -> nan
    assert len(acc) == 3 and acc.metric_names == ["dice", "hd95"]
    table = acc.to_dict()
    assert table["subject"] == ["s01", "s02", "subject_2"]
    assert table["dice"] == pytest.approx([0.8, 0.6, 0.7])
    assert table["hd95"][:2] == [4.0, math.inf] and math.isnan(table["hd95"][2])
    agg = acc.aggregate()
    assert agg["dice"]["mean"] == pytest.approx(0.7)
    assert agg["dice"]["std"] == pytest.approx(0.1)
    assert (agg["hd95"]["n"], agg["hd95"]["n_nonfinite"], agg["hd95"]["mean"]) == (1, 2, 4.0)
    assert acc.aggregate(nonfinite=100.0)["hd95"]["mean"] == pytest.approx(68.0)
    acc.reset()
    assert len(acc) == 0 and acc.metric_names == []


def test_accumulator_accepts_torch_scalars():
    torch = pytest.importorskip("torch")
    acc = MetricAccumulator()
    acc.add(dice=torch.tensor(0.25))
    assert acc.values("dice").tolist() == [0.25]


def test_accumulator_errors():
    acc = MetricAccumulator(metrics=["dice", "hd95"])
    with pytest.raises(KeyError, match="unknown metric 'dcie'"):
        acc.add(dcie=0.5)
    with pytest.raises(TypeError, match="single number"):
        acc.add(dice=[0.1, 0.2])
    with pytest.raises(ValueError, match="at least one metric"):
        acc.add()
    with pytest.raises(KeyError, match="no metric"):
        acc.values("jaccard")
    acc.add(dice=0.5)
    assert acc.metric_names == ["dice", "hd95"]
    assert math.isnan(acc.aggregate()["hd95"]["mean"])
