"""Nonlinear registration on a small synthetic 2-D deformation (and a 3-D smoke test)."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from course_lib.registration import (
    affine_matrix,
    integrate_velocity,
    register_nonlinear,
    warp_displacement,
)
from course_lib.registration.warp import warp_voxels


def _texture(shape, seed=0):
    rng = np.random.default_rng(seed)
    img = ndimage.gaussian_filter(rng.random(shape), 2.0)
    return ((img - img.min()) / (img.max() - img.min())).astype(np.float32)


def _deformed_pair(shape=(64, 64), amplitude=2.5, seed=0):
    """moving(y) = fixed(y + w(y)) with a smooth diffeomorphic w (voxels, 1-mm grid)."""
    fixed = _texture(shape, seed)
    rng = np.random.default_rng(seed + 1)
    v = np.stack([ndimage.gaussian_filter(rng.normal(size=shape), 6.0) for _ in shape])
    v *= amplitude / np.abs(v).max()
    w = integrate_velocity(torch.from_numpy(v)[None]).numpy()[0]
    moving = warp_voxels(
        torch.from_numpy(fixed)[None, None], torch.from_numpy(w)[None], padding="border"
    )[0, 0].numpy()
    return fixed, moving, w


def _inner(a, border=6):
    return a[(Ellipsis,) + (slice(border, -border),) * 2]


@pytest.mark.parametrize("model", ["svf", "displacement"])
def test_nonlinear_registration_recovers_a_smooth_deformation(model):
    fixed, moving, w = _deformed_pair()
    res = register_nonlinear(
        fixed,
        moving,
        model=model,
        gamma=0.01,
        metric="ssd",
        factors=(4, 2, 1),
        iterations=(60, 60, 40),
        lr=0.1,
        progress=False,
    )
    err_before = np.abs(_inner(moving - fixed)).mean()
    err_after = np.abs(_inner(res.warped - fixed)).mean()
    assert err_after < 0.35 * err_before, (err_before, err_after)
    # the estimated field is close to the inverse of w, i.e. about -w
    u_err = np.linalg.norm(_inner(res.displacement + w), axis=0).mean()
    assert u_err < 0.4 * np.linalg.norm(_inner(w), axis=0).mean()
    assert res.folding_fraction == 0.0
    assert res.displacement.shape == (2, 64, 64) and res.jacobian.shape == (64, 64)
    assert (res.velocity is not None) == (model == "svf")


def test_gamma_trades_accuracy_for_smoothness():
    fixed, moving, _ = _deformed_pair(amplitude=3.0, seed=3)
    kw = dict(
        model="displacement",
        metric="ssd",
        factors=(2, 1),
        iterations=(40, 30),
        lr=0.1,
        progress=False,
    )
    loose = register_nonlinear(fixed, moving, gamma=0.001, **kw)
    stiff = register_nonlinear(fixed, moving, gamma=1.0, **kw)
    err_loose = np.abs(_inner(loose.warped - fixed)).mean()
    assert err_loose < np.abs(_inner(stiff.warped - fixed)).mean()
    assert np.std(_inner(loose.jacobian)) > np.std(_inner(stiff.jacobian))


def test_warped_output_is_consistent_with_the_returned_map():
    fixed = _texture((20, 18, 16), seed=4)
    moving = np.roll(fixed, 1, axis=0)
    aff = np.diag([2.0, 2.0, 2.0, 1.0])
    t = affine_matrix([0.5, 0, 0, 0, 0, 0.02, 1, 1, 1, 0, 0, 0])
    res = register_nonlinear(
        fixed,
        moving,
        aff,
        aff,
        affine=t,
        metric="lncc",
        regulariser="bending",
        gamma=1.0,
        factors=(2,),
        iterations=(3,),
        progress=False,
        metric_kwargs={"window": 5},
    )
    assert res.displacement.shape == (3, 20, 18, 16)
    again = warp_displacement(
        torch.from_numpy(moving), torch.from_numpy(res.displacement), aff, aff, transform=t
    ).numpy()
    np.testing.assert_allclose(again, res.warped, atol=1e-6)
    assert np.all(np.isfinite(res.jacobian))


def test_argument_errors():
    img = np.zeros((8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="Did you mean 'svf'"):
        register_nonlinear(img, img, model="sfv", progress=False)
    with pytest.raises(ValueError, match="gamma"):
        register_nonlinear(img, img, gamma=-1.0, progress=False)
    with pytest.raises(ValueError, match="regulariser"):
        register_nonlinear(img, img, regulariser="elastic", progress=False)


def test_coarser_field_grid():
    fixed, moving, w = _deformed_pair(seed=5)
    res = register_nonlinear(
        fixed,
        moving,
        gamma=0.01,
        metric="ssd",
        factors=(2, 1),
        iterations=(60, 40),
        lr=0.1,
        field_factor=2,
        progress=False,
    )
    assert res.displacement.shape == (2, 64, 64)
    assert np.abs(_inner(res.warped - fixed)).mean() < 0.5 * np.abs(_inner(moving - fixed)).mean()
    with pytest.raises(ValueError, match="field_factor"):
        register_nonlinear(fixed, moving, field_factor=0, progress=False)
