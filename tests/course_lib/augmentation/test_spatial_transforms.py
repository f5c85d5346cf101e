"""Flip, Affine and ElasticDeformation: identities, conventions, and scipy references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

import course_lib.augmentation as A


def test_flip_twice_is_identity(sample):
    ndim = sample["image"].ndim - 1
    flip = A.Flip(axes=tuple(range(ndim)))
    once = flip(sample)
    twice = flip(once)
    assert not torch.equal(once["image"], sample["image"])
    assert torch.equal(twice["image"], sample["image"])
    assert torch.equal(twice["label"], sample["label"])


def test_flip_matches_numpy(sample3d):
    out = A.Flip(axes=(1, 2))(sample3d)
    np.testing.assert_array_equal(out["image"].numpy(), sample3d["image"].numpy()[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(out["label"].numpy(), sample3d["label"].numpy()[:, ::-1, ::-1])


def test_flip_rejects_missing_axis(sample2d):
    with pytest.raises(ValueError, match="do not exist"):
        A.Flip(axes=2)(sample2d)
    with pytest.raises(ValueError, match="distinct spatial axes"):
        A.Flip(axes=(0, 0))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_affine_identity_is_exact(sample, dtype):
    sample = {"image": sample["image"].to(dtype), "label": sample["label"]}
    out = A.Affine()(sample)
    assert torch.equal(out["image"], sample["image"])
    assert torch.equal(out["label"], sample["label"])


def test_affine_matches_scipy(sample):
    """Pull-back resampling equals scipy.ndimage.affine_transform (order 1, edge mode)."""
    ndim = sample["image"].ndim - 1
    rot = 17.0 if ndim == 2 else (10.0, -7.0, 17.0)
    t = A.Affine(
        rotation_deg=rot,
        scale=(1.1, 0.9, 1.0)[:ndim],
        translation_vox=(1.5, -2.0, 0.5)[:ndim],
        padding_mode="border",
    )
    img = sample["image"].double()
    out = t({"image": img})["image"][0].numpy()
    m, tr = t.matrix(ndim)
    c = (np.asarray(img.shape[1:]) - 1) / 2
    inv = np.linalg.inv(m)
    ref = ndimage.affine_transform(
        img[0].numpy(), inv, offset=c - inv @ (c + tr), order=1, mode="nearest"
    )
    np.testing.assert_allclose(out, ref, atol=1e-10)


def test_affine_conventions_2d():
    """+90 deg turns axis 0 towards -axis 1 (the lecture's R = [[c, s], [-s, c]], as in
    registration); translation moves content to higher indices."""
    image = torch.zeros(1, 11, 11)
    label = torch.zeros(11, 11, dtype=torch.int64)
    image[0, 8, 5] = 1.0  # 3 voxels from the centre (5, 5) along axis 0
    label[8, 5] = 2
    s = {"image": image, "label": label}
    rot = A.Affine(rotation_deg=90.0)(s)
    assert torch.nonzero(rot["image"][0] > 0.5).tolist() == [[5, 2]]
    assert torch.nonzero(rot["label"]).tolist() == [[5, 2]]
    moved = A.Affine(translation_vox=(-2.0, 1.0))(s)
    assert torch.nonzero(moved["label"]).tolist() == [[6, 6]]
    dot = torch.zeros(1, 11, 11)
    dot[0, 7, 5] = 1.0  # 2 voxels from the centre: scale 2 puts it 4 voxels away
    big = A.Affine(scale=2.0)({"image": dot})["image"][0]
    assert big[9, 5].item() == pytest.approx(1.0)
    assert big[8, 5].item() == pytest.approx(0.5)  # samples input position 6.5
    assert big[7, 5].item() == pytest.approx(0.0)


def test_affine_3d_rotation_about_axis_2_equals_2d_per_slice(sample3d):
    out3 = A.Affine(rotation_deg=(0.0, 0.0, 20.0))({"image": sample3d["image"]})["image"]
    for k in range(sample3d["image"].shape[-1]):
        sl = {"image": sample3d["image"][..., k]}
        out2 = A.Affine(rotation_deg=20.0)(sl)["image"]
        torch.testing.assert_close(out3[..., k], out2, atol=1e-6, rtol=0)


def test_affine_label_uses_nearest_neighbour(sample2d):
    out = A.Affine(rotation_deg=33.0, scale=1.2)(sample2d)
    # every output label is the input label at the rounded sampling position
    m, tr = A.Affine(rotation_deg=33.0, scale=1.2).matrix(2)
    c = (np.asarray(sample2d["label"].shape) - 1) / 2
    inv = np.linalg.inv(m)
    ref = ndimage.affine_transform(
        sample2d["label"].numpy(), inv, offset=c - inv @ (c + tr), order=0, mode="constant", cval=0
    )
    agree = (out["label"].numpy() == ref).mean()
    assert agree > 0.98  # rounding ties (x.5 positions) may differ between libraries
    assert out["label"].dtype == torch.int64


def test_affine_argument_errors(sample3d):
    with pytest.raises(ValueError, match="scale"):
        A.Affine(scale=0.0)
    with pytest.raises(ValueError, match="angle"):
        A.Affine(rotation_deg=(1.0, 2.0))(sample3d)
    with pytest.raises(ValueError, match="padding_mode"):
        A.Affine(padding_mode="wrap")


def test_elastic_zero_displacement_is_identity(sample):
    ndim = sample["image"].ndim - 1
    out = A.ElasticDeformation(np.zeros((ndim,) + (4,) * ndim))(sample)
    assert torch.equal(out["image"], sample["image"])
    assert torch.equal(out["label"], sample["label"])


def test_elastic_constant_displacement_is_a_translation(sample):
    """out(x) = in(x + u); the B-spline weights sum to 1, so constant nodes give a constant u,
    which equals Affine(translation_vox=-u)."""
    ndim = sample["image"].ndim - 1
    u = np.array([1.0, -2.0, 1.0][:ndim])
    ctrl = np.broadcast_to(u.reshape((ndim,) + (1,) * ndim), (ndim,) + (5,) * ndim)
    out = A.ElasticDeformation(ctrl)(sample)
    ref = A.Affine(translation_vox=tuple(-u))(sample)
    torch.testing.assert_close(out["image"], ref["image"], atol=1e-5, rtol=0)
    assert torch.equal(out["label"], ref["label"])


def test_dense_displacement_is_the_cubic_b_spline_of_the_nodes():
    """Independent reference: scipy's cubic B-spline basis on uniform knots, node i at i."""
    from scipy.interpolate import BSpline

    ctrl = np.random.default_rng(0).normal(size=(2, 5, 6))
    shape = (21, 31)
    field = A.dense_displacement(ctrl, shape)
    assert field.shape == (2, 21, 31)
    basis = []
    for g, n in zip(ctrl.shape[1:], shape):
        positions = np.linspace(1.0, g - 2.0, n)  # the image spans nodes 1 .. g-2
        basis.append(
            np.nan_to_num(
                np.stack(
                    [
                        BSpline.basis_element(np.arange(i - 2, i + 3), extrapolate=False)(positions)
                        for i in range(g)
                    ],
                    axis=1,
                )
            )
        )
    reference = np.einsum("cij,xi,yj->cxy", ctrl, basis[0], basis[1])
    np.testing.assert_allclose(field, reference, atol=1e-6)


def test_dense_displacement_uses_the_simulators_b_spline(monkeypatch):
    """One B-spline code in the library: the simulator's bspline_weights (issue 21)."""
    import course_lib.augmentation.elastic as elastic

    calls = []
    original = elastic.bspline_weights
    monkeypatch.setattr(
        elastic, "bspline_weights", lambda *a, **k: calls.append(a) or original(*a, **k)
    )
    A.dense_displacement(np.zeros((3, 4, 5, 6)), (7, 8, 9))
    assert len(calls) == 3


def test_elastic_argument_errors(sample2d):
    with pytest.raises(ValueError, match=">= 4 nodes"):
        A.ElasticDeformation(np.zeros((2, 3, 3)))(sample2d)
    with pytest.raises(ValueError, match="for a 2-D image"):
        A.ElasticDeformation(np.zeros((3, 4, 4, 4)))(sample2d)
    with pytest.raises(ValueError, match="num_control_points"):
        A.RandomElasticDeformation(3)


def test_random_elastic_draws_clipped_gaussian_nodes(sample2d):
    t = A.RandomElasticDeformation(num_control_points=6, std_vox=2.0, max_vox=3.0)
    t(sample2d, rng=0)
    ctrl = t.last_transform.control_displacements
    assert ctrl.shape == (2, 6, 6) and np.abs(ctrl).max() <= 3.0


def test_near_identity_warps_resample_faithfully(sample):
    """The resampling path itself (no identity shortcut) keeps values to float precision."""
    ndim = sample["image"].ndim - 1
    tiny_rot = A.Affine(rotation_deg=1e-9 if ndim == 2 else (1e-9, 0.0, 0.0))(sample)
    tiny_elastic = A.ElasticDeformation(np.full((ndim,) + (4,) * ndim, 1e-9))(sample)
    for out in (tiny_rot, tiny_elastic):
        torch.testing.assert_close(out["image"], sample["image"], atol=1e-6, rtol=0)
        assert torch.equal(out["label"], sample["label"])


def test_random_flip_is_left_right_only_by_default(sample3d):
    flip = A.RandomFlip()
    axes = set()
    for seed in range(20):
        flip(sample3d, rng=seed)
        axes.update(flip.last_transform.axes)
    assert axes == {0}
