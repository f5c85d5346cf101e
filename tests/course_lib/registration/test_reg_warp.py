"""Warping in voxel and world coordinates, checked against scipy.ndimage."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from course_lib.registration import affine_matrix, resample, warp_displacement
from course_lib.registration.warp import warp_affine, warp_voxels


def _grid_affine(spacing, origin, angle=0.0):
    """3-D voxel -> world matrix with the given spacing, origin and a rotation about z."""
    a = np.eye(4)
    c, s = np.cos(angle), np.sin(angle)
    a[:3, :3] = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ np.diag(spacing)
    a[:3, 3] = origin
    return a


def test_identity_warp_is_exact_for_labels_and_images():
    gen = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 7, (2, 1, 13, 17, 11), generator=gen, dtype=torch.int64)
    out = warp_voxels(labels, torch.eye(4), mode="nearest")
    assert out.dtype == labels.dtype and torch.equal(out, labels)
    image = torch.rand(2, 3, 13, 17, 11, generator=gen, dtype=torch.float64)
    img32 = image.float()
    assert torch.equal(warp_voxels(img32, np.eye(4)), img32)
    aff = _grid_affine([1.5, 2.0, 3.0], [-20.0, 4.0, 7.0], angle=0.3)
    assert torch.equal(warp_affine(img32[0, 0], aff, aff, image.shape[2:]), img32[0, 0])
    # through grid_sample (an identity that requires grad): exact up to rounding
    eye = torch.eye(4, dtype=torch.float64, requires_grad=True)
    assert (warp_voxels(image, eye) - image).abs().max() < 1e-12
    eye32 = torch.eye(4, requires_grad=True)
    assert (warp_voxels(img32, eye32) - img32).abs().max() < 2e-5
    lab = resample(labels[0, 0].numpy().astype(np.uint8), aff, aff, labels.shape[2:])
    assert lab.dtype == np.uint8 and np.array_equal(lab, labels[0, 0].numpy())


def test_zero_displacement_is_identity():
    image = torch.rand(1, 1, 9, 10, 11, dtype=torch.float64)
    out = warp_voxels(image, torch.zeros(1, 3, 9, 10, 11, dtype=torch.float64))
    assert (out - image).abs().max() < 1e-12


@pytest.mark.parametrize("ndim", [2, 3])
def test_voxel_warp_matches_scipy(ndim):
    rng = np.random.default_rng(ndim)
    shape = (14, 12, 10)[:ndim]
    image = rng.random(shape)
    params = (
        [1.5, -2.0, 0.3, 1.1, 0.9, 0.1]
        if ndim == 2
        else [1.5, -2.0, 0.7, 0.1, -0.2, 0.15, 1.1, 0.9, 1.05, 0.05, 0.0, -0.1]
    )
    m = affine_matrix(params)
    out = warp_voxels(torch.from_numpy(image)[None, None], m)[0, 0].numpy()
    ref = ndimage.affine_transform(image, m, order=1, mode="grid-constant")
    np.testing.assert_allclose(out, ref, atol=1e-12)
    near = warp_voxels(torch.from_numpy(image)[None, None], m, mode="nearest")[0, 0].numpy()
    ref0 = ndimage.affine_transform(image, m, order=0, mode="grid-constant")
    assert np.mean(near == ref0) > 0.99  # ties at exact .5 may round differently
    disp = rng.normal(size=(ndim,) + shape) * 1.5
    out = warp_voxels(torch.from_numpy(image)[None, None], torch.from_numpy(disp)[None])
    ref = ndimage.map_coordinates(image, np.indices(shape) + disp, order=1, mode="grid-constant")
    np.testing.assert_allclose(out[0, 0].numpy(), ref, atol=1e-12)


def test_world_warp_between_grids_of_different_spacing_is_consistent():
    """A linear intensity ramp is reproduced exactly by linear interpolation, so
    resampling it between two different grids must give the ramp at the mapped points."""
    coef = np.array([0.3, -0.2, 0.5])

    def ramp(world):
        return world @ coef + 2.0

    mov_aff = _grid_affine([1.0, 1.5, 2.0], [-20.0, -25.0, -30.0], angle=0.2)
    mov_shape = (41, 35, 31)
    idx = np.indices(mov_shape).reshape(3, -1).T
    world_m = idx @ mov_aff[:3, :3].T + mov_aff[:3, 3]
    moving = ramp(world_m).reshape(mov_shape)
    fix_aff = _grid_affine([2.5, 2.5, 3.0], [-10.0, -12.0, -15.0], angle=-0.1)
    fix_shape = (9, 10, 9)
    t = affine_matrix([1.0, -2.0, 0.5, 0.05, -0.03, 0.1, 1.05, 0.95, 1.0, 0.02, 0.0, 0.0])
    out = warp_affine(torch.from_numpy(moving), mov_aff, fix_aff, fix_shape, transform=t)
    fidx = np.indices(fix_shape).reshape(3, -1).T
    world_f = fidx @ fix_aff[:3, :3].T + fix_aff[:3, 3]
    mapped = world_f @ t[:3, :3].T + t[:3, 3]
    inv = np.linalg.inv(mov_aff)
    vox = mapped @ inv[:3, :3].T + inv[:3, 3]
    inside = np.all((vox >= 0) & (vox <= np.array(mov_shape) - 1), axis=1)
    assert inside.mean() > 0.9  # the test grids overlap
    np.testing.assert_allclose(out.numpy().ravel()[inside], ramp(mapped)[inside], atol=1e-9)
    # the same through a displacement: u = (T - I) X, no affine afterwards
    disp = (mapped - world_f).T.reshape((3,) + fix_shape)
    out2 = warp_displacement(torch.from_numpy(moving), torch.from_numpy(disp), mov_aff, fix_aff)
    np.testing.assert_allclose(out2.numpy(), out.numpy(), atol=1e-9)
    out3 = resample(moving, mov_aff, fix_aff, fix_shape, transform=t)
    np.testing.assert_allclose(out3, out.numpy(), atol=1e-9)


def test_displacement_then_affine_composition():
    rng = np.random.default_rng(7)
    aff = _grid_affine([2.0, 2.0, 2.0], [-10.0, -10.0, -10.0])
    moving = torch.from_numpy(rng.random((12, 12, 12)))
    t = affine_matrix([2.0, 0, 0, 0, 0, 0.1, 1, 1, 1, 0, 0, 0])
    shift = np.array([1.0, -2.0, 0.5])
    disp = torch.from_numpy(np.broadcast_to(shift[:, None, None, None], (3, 12, 12, 12)).copy())
    t_shift = np.eye(4)
    t_shift[:3, 3] = shift
    a = warp_displacement(moving, disp, aff, aff, transform=t)
    b = warp_affine(moving, aff, aff, (12, 12, 12), transform=t @ t_shift)
    assert (a - b).abs().max() < 1e-10


def test_gradients_flow_to_the_transform():
    image = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    theta = torch.eye(3, dtype=torch.float64, requires_grad=True)
    out = warp_affine(image, np.eye(3), np.eye(3), (16, 16), transform=theta + 0.01)
    out.sum().backward()
    assert theta.grad is not None and torch.isfinite(theta.grad).all()
    assert theta.grad.abs().sum() > 0


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="Did you mean"):
        warp_voxels(torch.rand(1, 1, 4, 4), torch.eye(3), mode="linera")
    with pytest.raises(ValueError, match="mode='nearest'"):
        warp_voxels(torch.ones(1, 1, 4, 4, dtype=torch.int64), torch.eye(3))
    with pytest.raises(ValueError, match="transform must be"):
        warp_voxels(torch.rand(1, 1, 4, 4), torch.eye(5))
    with pytest.raises(ValueError, match="moving_affine"):
        warp_affine(torch.rand(4, 4), np.eye(4), np.eye(3), (4, 4))


def test_batched_transforms_for_augmentation():
    """One image, a batch of voxel-space matrices: each output uses its own matrix."""
    gen = torch.Generator().manual_seed(1)
    image = torch.rand(1, 2, 12, 14, generator=gen)
    mats = torch.stack(
        [torch.from_numpy(affine_matrix([1.0, -0.5, a, 1, 1, 0])).float() for a in (0.0, 0.2, -0.3)]
    )
    out = warp_voxels(image, mats)
    assert out.shape == (3, 2, 12, 14)
    for b in range(3):
        assert torch.allclose(out[b], warp_voxels(image, mats[b])[0], atol=1e-6)
    labels = torch.randint(0, 4, (3, 1, 12, 14), generator=gen).to(torch.uint8)
    warped = warp_voxels(labels, mats, mode="nearest")
    assert warped.dtype == torch.uint8 and set(warped.unique().tolist()) <= {0, 1, 2, 3}
