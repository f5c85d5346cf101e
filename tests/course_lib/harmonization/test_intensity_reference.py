"""WhiteStripe and Nyúl against a stored reference from an independent implementation.

``data/intensity_reference.json`` holds synthetic inputs and the outputs of the
``intensity-normalization`` package (3.0.1), computed once by
``data/make_intensity_reference.py`` (its docstring says how). A hand-checked Nyúl case
is below as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from course_lib.harmonization import NyulStandardizer, find_white_stripe

REFERENCE = json.loads((Path(__file__).parent / "data" / "intensity_reference.json").read_text())


def test_nyul_matches_intensity_normalization():
    ref = REFERENCE["nyul"]
    nyul = NyulStandardizer(
        percentiles=ref["percentiles"], standard_scale=tuple(ref["standard_scale"])
    )
    nyul.fit([np.array(x) for x in ref["train"]])
    # the package computes in float32: agreement to ~1e-5 of the 1-100 range
    np.testing.assert_allclose(nyul.standard_landmarks_, ref["standard_landmarks"], atol=1e-4)
    test = np.array(ref["test"])
    # landmarks come from the test image; the probes (inside and outside its 1-99 % range,
    # where both continue the end segments) are mapped with them
    image = np.concatenate([test, ref["probes"]])
    mask = np.r_[np.ones(test.size, bool), np.zeros(len(ref["probes"]), bool)]
    mapped = nyul.transform(image, mask)[test.size :]
    np.testing.assert_allclose(mapped, ref["mapped_probes"], rtol=1e-5, atol=1e-3)


def test_nyul_by_hand():
    # intensities 1..101: the p-th percentile is 1 + p exactly (linear interpolation)
    nyul = NyulStandardizer(percentiles=(10, 50, 90), standard_scale=(0.0, 100.0))
    nyul.fit([np.arange(1.0, 102.0)])
    np.testing.assert_allclose(nyul.standard_landmarks_, [0.0, 50.0, 100.0])
    # a new image 0, 2, ..., 200: landmarks 20, 100, 180 go to 0, 50, 100; the slope is
    # 50 / 80 on both segments and continues beyond them: 0 -> -12.5, 60 -> 25, 200 -> 112.5
    image = np.arange(0.0, 201.0, 2.0)
    probes = np.array([0.0, 20.0, 60.0, 100.0, 180.0, 200.0])
    mask = np.r_[np.ones(image.size, bool), np.zeros(probes.size, bool)]
    out = nyul.transform(np.r_[image, probes], mask)[image.size :]
    np.testing.assert_allclose(out, [-12.5, 0.0, 25.0, 50.0, 100.0, 112.5])


@pytest.mark.parametrize("case", range(len(REFERENCE["white_stripe"])))
def test_white_stripe_matches_intensity_normalization(case):
    ref = REFERENCE["white_stripe"][case]
    values = np.array(ref["values"])
    stripe = find_white_stripe(values, None, contrast="T1w", width=0.05)
    # the modes differ by the resolution of the package's 80-point KDE grid at most
    grid_step = np.ptp(values[values <= np.percentile(values, 96)]) / 79
    assert abs(stripe.mode - ref["mode"]) <= grid_step
    # so the stripes differ a little: their means agree within 3 % of the GM-WM distance
    # (the inputs have GM at 90, WM at 160), their spreads within 25 %
    assert abs(stripe.mean - ref["mean"]) <= 0.03 * (160.0 - 90.0)
    assert stripe.std == pytest.approx(ref["std"], rel=0.25)
