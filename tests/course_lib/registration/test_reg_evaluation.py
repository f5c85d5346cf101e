"""Target registration error and landmark grids."""

import numpy as np
import pytest

from course_lib.registration import (
    affine_matrix,
    apply_affine,
    landmark_grid,
    target_registration_error,
)


def test_tre_is_zero_for_the_true_transform_and_the_offset_otherwise():
    rng = np.random.default_rng(0)
    pf = rng.uniform(-50, 50, (20, 3))
    t = affine_matrix([2, -1, 3, 0.1, 0.05, -0.1, 1.1, 0.9, 1.0, 0.02, 0, 0])
    pm = apply_affine(t, pf)
    np.testing.assert_allclose(target_registration_error(pf, pm, t), 0.0, atol=1e-12)
    shifted = t.copy()
    shifted[:3, 3] += [3.0, 4.0, 0.0]
    np.testing.assert_allclose(target_registration_error(pf, pm, shifted), 5.0)
    tre = target_registration_error(pf, pm, lambda p: apply_affine(t, p) + [0, 0, 2.0])
    np.testing.assert_allclose(tre, 2.0)


def test_tre_shape_errors():
    with pytest.raises(ValueError, match="same shape"):
        target_registration_error(np.zeros((3, 3)), np.zeros((4, 3)), np.eye(4))
    with pytest.raises(ValueError, match="transform"):
        target_registration_error(np.zeros((3, 2)), np.zeros((3, 2)), np.eye(4))


def test_landmark_grid_lies_in_the_mask_in_world_mm():
    mask = np.zeros((40, 30, 20), dtype=bool)
    mask[10:30, 5:25, 4:16] = True
    aff = np.diag([2.0, 2.0, 2.0, 1.0])
    aff[:3, 3] = [-40.0, -30.0, -20.0]
    pts = landmark_grid(mask, aff, step_mm=8.0)
    assert len(pts) > 10
    vox = np.rint(apply_affine(np.linalg.inv(aff), pts)).astype(int)
    assert mask[tuple(vox.T)].all()
    steps = np.unique(np.diff(np.unique(pts[:, 0])))
    np.testing.assert_allclose(steps, 8.0)
