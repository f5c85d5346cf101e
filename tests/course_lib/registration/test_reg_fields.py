"""Scaling and squaring, Jacobian determinant, folding, regularisers."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from course_lib.registration import folding_fraction, integrate_velocity, jacobian_determinant
from course_lib.registration.fields import bending_energy, diffusion_energy
from course_lib.registration.warp import warp_voxels


def _smooth_field(shape, amplitude, seed=0, sigma=4.0):
    rng = np.random.default_rng(seed)
    f = np.stack([ndimage.gaussian_filter(rng.normal(size=shape), sigma) for _ in shape])
    return f * amplitude / np.abs(f).max()


def test_jacobian_of_affine_displacement_is_its_determinant():
    lin = np.array([[1.1, 0.2, 0.0], [0.0, 0.9, 0.1], [0.05, 0.0, 1.2]])
    x = np.indices((8, 9, 10)).astype(float)
    u = np.einsum("ij,j...->i...", lin - np.eye(3), x)
    np.testing.assert_allclose(jacobian_determinant(u), np.linalg.det(lin), atol=1e-12)
    # same field in world mm on an anisotropic grid gives the same determinant
    aff = np.diag([2.0, 1.0, 3.0, 1.0])
    u_mm = np.einsum("ij,j...->i...", aff[:3, :3], u)
    np.testing.assert_allclose(jacobian_determinant(u_mm, aff), np.linalg.det(lin), atol=1e-12)


def test_folding_field_is_flagged_and_smooth_field_is_not():
    smooth = _smooth_field((24, 24, 24), amplitude=1.0)
    assert folding_fraction(jacobian_determinant(smooth)) == 0.0
    # a local fold: points pushed past their neighbours along axis 0
    x = np.arange(24, dtype=float)
    fold = np.zeros((3, 24, 24, 24))
    fold[0] += (6.0 * np.exp(-0.5 * ((x - 12) / 2.0) ** 2))[:, None, None]
    fold[0] *= np.exp(-0.5 * ((x - 12) / 5.0) ** 2)[None, :, None]
    jac = jacobian_determinant(fold)
    frac = folding_fraction(jac)
    assert 0 < frac < 0.5
    away = np.zeros(jac.shape, dtype=bool)
    away[:4] = True  # far from the fold along axis 0
    assert folding_fraction(jac, mask=away) == 0.0


def test_jacobian_2d_and_torch_input():
    u = torch.zeros(1, 2, 5, 6, dtype=torch.float64)
    u[0, 1] = 0.5 * torch.arange(6, dtype=torch.float64)  # stretch axis 1 by 1.5
    jac = jacobian_determinant(u)
    assert isinstance(jac, torch.Tensor) and jac.shape == (1, 5, 6)
    assert torch.allclose(jac, torch.full_like(jac, 1.5))


def test_scaling_and_squaring():
    zero = torch.zeros(1, 3, 6, 7, 8)
    assert integrate_velocity(zero).abs().max() == 0
    const = torch.ones(1, 3, 6, 7, 8) * torch.tensor([0.5, -1.0, 2.0]).view(1, 3, 1, 1, 1)
    assert torch.allclose(integrate_velocity(const), const, atol=1e-5)  # a translation
    v = torch.from_numpy(_smooth_field((20, 20, 20), amplitude=3.0, seed=1)[None])
    u = integrate_velocity(v, steps=7)
    # exp(v) is invertible: its inverse is exp(-v), so u(x) + u_inv(x + u(x)) = 0
    u_inv = integrate_velocity(-v, steps=7)
    residual = u + warp_voxels(u_inv, u, padding="border")
    assert residual[..., 4:-4, 4:-4, 4:-4].abs().max() < 0.05
    assert folding_fraction(jacobian_determinant(u[0].numpy())) == 0.0


def test_svf_does_not_fold_where_the_displacement_does():
    v = _smooth_field((32, 32), amplitude=5.0, seed=2, sigma=2.0)
    assert folding_fraction(jacobian_determinant(v)) > 0  # used directly as displacement
    u = integrate_velocity(torch.from_numpy(v)[None], steps=8)[0].numpy()
    assert folding_fraction(jacobian_determinant(u)) < folding_fraction(jacobian_determinant(v))


def test_regularisers():
    x = torch.from_numpy(np.indices((10, 11, 12)).astype(float))[None]
    const = torch.ones(1, 3, 10, 11, 12, dtype=torch.float64)
    affine_field = 0.1 * x.flip(1)
    rough = torch.from_numpy(np.random.default_rng(3).normal(size=(1, 3, 10, 11, 12)))
    assert float(diffusion_energy(const)) == 0.0
    assert float(bending_energy(affine_field)) == pytest.approx(0.0, abs=1e-20)
    assert float(diffusion_energy(affine_field)) > 0
    assert float(bending_energy(rough)) > float(bending_energy(0.5 * rough)) > 0
    # units: a field of 1 voxel/voxel is 1 mm/mm whatever the spacing
    ramp = torch.zeros(1, 2, 8, 8, dtype=torch.float64)
    ramp[0, 0] = torch.arange(8, dtype=torch.float64)[:, None]
    assert float(diffusion_energy(ramp, spacing=2.0)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="field must be"):
        diffusion_energy(torch.zeros(1, 2, 4, 4, 4))
