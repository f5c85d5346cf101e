"""Tests of course_lib.metrics.volumes (mL from voxel counts and spacing)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.metrics import volume
from course_lib.metrics.volumes import volume_difference, voxel_volume


def test_volume_in_ml_and_voxels():
    m = np.zeros((10, 10, 10), bool)
    m[:5, :4, :2] = True  # 40 voxels
    assert volume(m) == 40.0
    assert volume(m, spacing=(1.0, 1.0, 1.0)) == pytest.approx(0.040)
    assert volume(m, spacing=(0.5, 2.0, 3.0)) == pytest.approx(40 * 3.0 / 1000)
    assert volume(m, spacing=2.0) == pytest.approx(40 * 8 / 1000)
    assert voxel_volume((0.5, 2.0, 3.0)) == pytest.approx(3.0)
    assert voxel_volume(2.0) == pytest.approx(8.0)


def test_volume_matches_simpleitk_label_statistics():
    sitk = pytest.importorskip("SimpleITK")
    rng = np.random.default_rng(0)
    m = rng.random((12, 9, 7)) < 0.3
    spacing = (1.2, 0.8, 2.5)
    img = sitk.GetImageFromArray(m.astype(np.uint8))
    img.SetSpacing(spacing[::-1])
    stats = sitk.LabelShapeStatisticsImageFilter()
    stats.Execute(img)
    assert volume(m, spacing) == pytest.approx(stats.GetPhysicalSize(1) / 1000)


def test_volume_difference_signs_and_relative():
    truth = np.zeros((4, 5, 6), bool)
    pred = truth.copy()
    truth[:2, :2, :2] = True  # 8 voxels
    pred[:2, :2, :3] = True  # 12 voxels
    vd = volume_difference(pred, truth, spacing=(2.0, 1.0, 1.0))
    assert vd.unit == "mL"
    assert vd.pred_volume == pytest.approx(0.024)
    assert vd.truth_volume == pytest.approx(0.016)
    assert vd.difference == pytest.approx(0.008)
    assert vd.relative == pytest.approx(0.5)
    under = volume_difference(truth, pred)
    assert under.unit == "voxels"
    assert under.difference == -4.0 and under.absolute == 4.0
    assert under.relative == pytest.approx(-1 / 3)
    assert under.absolute_relative == pytest.approx(1 / 3)


def test_volume_difference_empty_masks():
    empty = np.zeros((3, 3), bool)
    one = empty.copy()
    one[1, 1] = True
    assert volume_difference(empty, empty).relative == 0.0
    assert volume_difference(one, empty).relative == math.inf
    assert volume_difference(empty, one).relative == -1.0


def test_shape_mismatch_is_reported():
    with pytest.raises(ValueError, match="same shape"):
        volume_difference(np.zeros((3, 3)), np.zeros((3, 4)))
