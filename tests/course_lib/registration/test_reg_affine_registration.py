"""Affine registration recovers known transforms (2-D and 3-D synthetic blobs)."""

import numpy as np
import pytest

from course_lib.registration import (
    affine_matrix,
    apply_affine,
    decompose_affine,
    landmark_grid,
    register_affine,
    target_registration_error,
)
from course_lib.registration.affine_registration import N_FREE_PARAMS


def _blob_function(d, extent, seed=0, n=8):
    """A smooth asymmetric test object g(world mm) made of Gaussian blobs."""
    rng = np.random.default_rng(seed)
    blobs = [
        (
            rng.uniform(-0.5, 0.5, d) * extent,
            rng.uniform(0.1, 0.25, d) * extent.mean(),
            rng.uniform(0.5, 1.0),
        )
        for _ in range(n)
    ]

    def g(world):
        return sum(a * np.exp(-0.5 * (((world - c) / s) ** 2).sum(-1)) for c, s, a in blobs)

    return g


def _pair(shape, spacing, transform, seed=0):
    """fixed(x) = g(x) and moving(y) = g(T^-1 y), both sampled exactly (no interpolation),
    so that fixed(x) = moving(T x): the registration should return T."""
    d = len(shape)
    aff = np.eye(d + 1)
    aff[:d, :d] *= spacing
    aff[:d, d] = -(np.array(shape) - 1) / 2 * spacing
    g = _blob_function(d, (np.array(shape) - 1) / 2 * spacing, seed)
    idx = np.indices(shape).reshape(d, -1).T
    world = apply_affine(aff, idx)
    fixed = g(world).reshape(shape).astype(np.float32)
    moving = g(apply_affine(np.linalg.inv(transform), world)).reshape(shape).astype(np.float32)
    points = landmark_grid(fixed > 0.2 * fixed.max(), aff, 2 * spacing)
    return fixed, moving, aff, points


T2 = affine_matrix([3.0, -2.0, 0.15, 1.08, 0.94, 0.05])
T3 = affine_matrix([3.0, -2.0, 4.0, 0.08, -0.05, 0.1, 1.06, 0.95, 1.03, 0.04, -0.03, 0.02])


@pytest.mark.parametrize("metric", ["ncc", "ssd", "mi"])
def test_recovers_known_2d_affine(metric):
    fixed, moving, aff, pts = _pair((64, 64), 1.0, T2)
    before = target_registration_error(pts, apply_affine(T2, pts), np.eye(3)).mean()
    res = register_affine(
        fixed, moving, aff, aff, metric=metric, factors=(2, 1), iterations=(100, 60), progress=False
    )
    tre = target_registration_error(pts, apply_affine(T2, pts), res.matrix)
    assert before > 3.0
    assert tre.mean() < 0.2, tre.mean()  # mm, with 1-mm pixels
    truth = decompose_affine(T2)
    np.testing.assert_allclose(res.params[:2], truth[:2], atol=0.25)  # mm
    np.testing.assert_allclose(res.params[2:], truth[2:], atol=0.01)  # rad, unitless
    assert len(res.cost_history) == sum(res.iterations) == len(res.level_history)
    assert res.cost_history[-1] < res.cost_history[0]


def test_recovers_known_3d_affine():
    fixed, moving, aff, pts = _pair((32, 32, 32), 2.0, T3)
    res = register_affine(
        fixed, moving, aff, aff, metric="ncc", factors=(2, 1), iterations=(100, 60), progress=False
    )
    tre = target_registration_error(pts, apply_affine(T3, pts), res.matrix)
    assert tre.mean() < 0.3, tre.mean()  # mm, with 2-mm voxels
    assert res.matrix.shape == (4, 4) and res.params.shape == (12,)


def test_grids_with_different_spacing():
    """Moving on a finer, shifted grid than fixed: world coordinates make it work."""
    d = 2
    shape_f, shape_m = (48, 48), (80, 72)
    aff_f = np.diag([2.0, 2.0, 1.0])
    aff_f[:2, 2] = -47.0
    aff_m = np.diag([1.2, 1.3, 1.0])
    aff_m[:2, 2] = [-45.0, -44.0]
    g = _blob_function(d, np.array([40.0, 40.0]), seed=3)
    fixed = g(apply_affine(aff_f, np.indices(shape_f).reshape(2, -1).T)).reshape(shape_f)
    world_m = apply_affine(aff_m, np.indices(shape_m).reshape(2, -1).T)
    moving = g(apply_affine(np.linalg.inv(T2), world_m)).reshape(shape_m)
    res = register_affine(
        fixed,
        moving,
        aff_f,
        aff_m,
        metric="ncc",
        factors=(2, 1),
        iterations=(100, 60),
        progress=False,
    )
    pts = landmark_grid(fixed > 0.2 * fixed.max(), aff_f, 4.0)
    assert target_registration_error(pts, apply_affine(T2, pts), res.matrix).mean() < 0.3


def test_fixed_mask_and_sampling_still_recover_the_transform():
    fixed, moving, aff, pts = _pair((64, 64), 1.0, T2, seed=5)
    res = register_affine(
        fixed,
        moving,
        aff,
        aff,
        factors=(2, 1),
        iterations=(100, 60),
        sampling=0.3,
        fixed_mask=fixed > 0.05 * fixed.max(),
        progress=False,
    )
    assert target_registration_error(pts, apply_affine(T2, pts), res.matrix).mean() < 0.3
    with pytest.raises(ValueError, match="fixed_mask"):
        register_affine(fixed, moving, aff, aff, fixed_mask=np.ones((3, 3), bool), progress=False)


def test_rigid_mode_only_moves_rigidly():
    rigid = affine_matrix([4.0, -3.0, 0.12, 1.0, 1.0, 0.0])
    fixed, moving, aff, pts = _pair((64, 64), 1.0, rigid, seed=1)
    res = register_affine(
        fixed, moving, aff, aff, mode="rigid", factors=(2, 1), iterations=(80, 40), progress=False
    )
    np.testing.assert_allclose(res.params[3:], [1.0, 1.0, 0.0], atol=1e-9)  # no zoom/shear
    assert target_registration_error(pts, apply_affine(rigid, pts), res.matrix).mean() < 0.2
    assert N_FREE_PARAMS[3] == {"rigid": 6, "similarity": 7, "rigid+zoom": 9, "affine": 12}


def test_similarity_mode_has_isotropic_zoom():
    fixed, moving, aff, _ = _pair((48, 48), 1.0, T2, seed=2)
    res = register_affine(
        fixed, moving, aff, aff, mode="similarity", factors=(1,), iterations=(5,), progress=False
    )
    assert res.params[3] == pytest.approx(res.params[4])
    assert res.params[5] == pytest.approx(0.0, abs=1e-9)


def test_initial_matrix_is_refined_not_lost():
    fixed, moving, aff, pts = _pair((48, 48), 1.0, T2, seed=6)
    start = T2.copy()
    start[:2, 2] += [1.5, -1.0]  # 1.8 mm off
    res = register_affine(
        fixed, moving, aff, aff, init=start, factors=(2, 1), iterations=(60, 60), progress=False
    )
    before = target_registration_error(pts, apply_affine(T2, pts), start).mean()
    after = target_registration_error(pts, apply_affine(T2, pts), res.matrix).mean()
    assert after < 0.3 < before


def test_argument_errors():
    img = np.zeros((8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="Did you mean 'affine'"):
        register_affine(img, img, mode="afine", progress=False)
    with pytest.raises(ValueError, match="one maximum per pyramid level"):
        register_affine(img, img, factors=(2, 1), iterations=(5, 5, 5), progress=False)
    with pytest.raises(ValueError, match="same dimension"):
        register_affine(img, np.zeros((8, 8, 8)), progress=False)
    with pytest.raises(ValueError, match="sampling=1.0"):
        register_affine(img, img, metric="lncc", sampling=0.5, progress=False)


@pytest.mark.parametrize("mode", ["rigid", "similarity", "rigid+zoom", "affine"])
def test_every_mode_runs_in_3d_and_respects_its_constraints(mode):
    fixed, moving, aff, _ = _pair((16, 16, 16), 2.0, T3, seed=4)
    res = register_affine(
        fixed, moving, aff, aff, mode=mode, factors=(1,), iterations=(4,), progress=False
    )
    zooms, shears = res.params[6:9], res.params[9:]
    if mode in ("rigid", "similarity", "rigid+zoom"):
        np.testing.assert_allclose(shears, 0.0, atol=1e-9)
    if mode == "rigid":
        np.testing.assert_allclose(zooms, 1.0, atol=1e-9)
    if mode == "similarity":
        np.testing.assert_allclose(zooms, zooms[0], atol=1e-9)
    assert len(res.cost_history) == 4
