"""Tests for course_lib.simulation.anatomy and .regions (ICBM152 at 2 mm)."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.simulation import REGION_NAMES, load_icbm152


def test_grid_and_dtypes(anatomy):
    assert anatomy.shape == (99, 117, 95)
    assert anatomy.spacing == 2.0 and anatomy.resolution == 2
    np.testing.assert_allclose(anatomy.affine[:3, :3], 2 * np.eye(3))
    for name in ("t1", "gm", "wm", "csf"):
        assert getattr(anatomy, name).dtype == np.float32
    assert anatomy.mask.dtype == bool and anatomy.labels.dtype == np.uint8
    assert set(np.unique(anatomy.labels)) == {0, 1, 2, 3}


def test_csf_is_mask_minus_gm_wm(anatomy):
    expected = np.clip(anatomy.mask.astype(np.float32) - anatomy.gm - anatomy.wm, 0, 1)
    np.testing.assert_allclose(anatomy.csf, expected, atol=1e-6)
    assert (anatomy.labels[~anatomy.mask] == 0).all()


def test_arrays_are_read_only_and_cached(anatomy):
    assert load_icbm152(2) is anatomy
    with pytest.raises(ValueError):
        anatomy.gm[0, 0, 0] = 1.0


def test_regions_cover_brain_with_plausible_volumes(anatomy):
    volumes_ml = {n: (anatomy.regions == k).sum() * 8 / 1000 for k, n in enumerate(REGION_NAMES)}
    assert (anatomy.regions[anatomy.mask] > 0).all()
    assert all(volumes_ml[n] > 10 for n in REGION_NAMES[1:])  # every region is present
    # lateral ventricles of an adult template: tens of mL, CSF only
    assert 10 < volumes_ml["ventricles"] < 60
    assert (anatomy.labels[anatomy.region_mask("ventricles")] == 1).all()
    # frontal lobe is anterior of the occipital lobe (MNI y)
    y = anatomy.affine[1, 1] * np.arange(anatomy.shape[1]) + anatomy.affine[1, 3]
    frontal_y = y[np.nonzero(anatomy.region_mask("frontal"))[1]].mean()
    occipital_y = y[np.nonzero(anatomy.region_mask("occipital"))[1]].mean()
    assert frontal_y > 0 > -60 > occipital_y


def test_periventricular_wm(anatomy):
    band = anatomy.periventricular_wm(10.0)
    assert band.any() and (anatomy.labels[band] == 3).all()
    assert (anatomy.ventricle_distance[band] <= 10.0).all()
    with pytest.raises(ValueError, match="max_distance_mm"):
        anatomy.periventricular_wm(0)


@pytest.mark.parametrize("bad", [3, 0, 1.5, "2", True])
def test_bad_resolution_names_allowed_values(bad):
    with pytest.raises(ValueError, match=r"\(1, 2\)"):
        load_icbm152(bad)
