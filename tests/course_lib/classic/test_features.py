"""Tests of course_lib.classic.features against naive loops and scikit-image/SciPy references."""

import numpy as np
import pytest
from scipy import ndimage

from course_lib.classic.features import (
    LESION_FEATURES,
    lesion_feature_names,
    lesion_features,
    neighbourhood_features,
    neighbourhood_offsets,
    remove_small_components,
)


@pytest.fixture
def volume():
    return np.random.default_rng(0).standard_normal((2, 6, 7, 5)).astype(np.float32)


def test_offsets_order_and_centre():
    offsets = neighbourhood_offsets(1)
    assert offsets.shape == (27, 3)
    assert offsets[13].tolist() == [0, 0, 0]
    assert offsets[0].tolist() == [-1, -1, -1] and offsets[1].tolist() == [-1, -1, 0]
    assert neighbourhood_offsets(0).tolist() == [[0, 0, 0]]


def test_neighbourhood_matches_naive_loop(volume):
    mask = np.zeros(volume.shape[1:], bool)
    mask[0, 0, 0] = mask[3, 4, 2] = mask[5, 6, 4] = True  # corners test edge padding
    got = neighbourhood_features(volume, mask, radius=1)
    padded = np.pad(volume, ((0, 0), (1, 1), (1, 1), (1, 1)), mode="edge")
    offsets = neighbourhood_offsets(1)
    for row, (i, j, k) in enumerate(np.argwhere(mask)):
        expected = [
            padded[c, i + 1 + dx, j + 1 + dy, k + 1 + dz]
            for c in range(2)
            for dx, dy, dz in offsets
        ]
        np.testing.assert_array_equal(got[row], expected)
    # centre columns are the voxel itself
    np.testing.assert_array_equal(got[:, [13, 27 + 13]], volume[:, mask].T)


def test_neighbourhood_voxels_argument_and_radius0(volume):
    voxels = np.array([[1, 2, 3], [4, 0, 1]])
    got = neighbourhood_features(volume[0], voxels=voxels, radius=0)
    np.testing.assert_array_equal(got[:, 0], volume[0][tuple(voxels.T)])
    assert neighbourhood_features(volume, voxels=voxels, radius=2).shape == (2, 2 * 125)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(radius=-1), "radius"),
        (dict(voxels=np.array([[9, 0, 0]])), "inside"),
        (dict(voxels=np.zeros((2, 2), int)), r"\(N, 3\)"),
        (dict(), "mask"),
    ],
)
def test_neighbourhood_errors(volume, kwargs, match):
    with pytest.raises(ValueError, match=match):
        neighbourhood_features(volume, **kwargs)


def test_lesion_features_in_plane_is_slicewise(volume):
    feats = lesion_features(volume, in_plane=True)
    assert feats.shape == (10,) + volume.shape[1:]
    assert lesion_feature_names(["FLAIR", "T1w"])[:2] == ["FLAIR:intensity", "FLAIR:smooth_1"]
    assert len(lesion_feature_names(["a"])) == len(LESION_FEATURES)
    for k in range(volume.shape[3]):  # reference: 2-D filters on each axial slice
        image = volume[1, :, :, k]
        np.testing.assert_allclose(feats[5, :, :, k], image)
        np.testing.assert_allclose(
            feats[7, :, :, k], ndimage.gaussian_filter(image, 2.0), atol=1e-5
        )
        np.testing.assert_allclose(
            feats[8, :, :, k], ndimage.gaussian_gradient_magnitude(image, 1.0), atol=1e-5
        )
        np.testing.assert_allclose(
            feats[9, :, :, k], image - ndimage.gaussian_filter(image, 4.0), atol=1e-5
        )


def test_local_contrast_detects_a_bright_spot():
    image = np.zeros((21, 21, 3), np.float32)
    image[10, 10, 1] = 5.0
    contrast = lesion_features(image)[4]
    assert contrast[10, 10, 1] > 4.0 and abs(contrast[0, 0, 0]) < 1e-6
    flat = lesion_features(np.ones((9, 9, 9)), in_plane=False)
    np.testing.assert_allclose(flat[4], 0.0, atol=1e-6)  # constant image: no contrast
    np.testing.assert_allclose(flat[3], 0.0, atol=1e-6)  # and no edges


def test_lesion_features_errors():
    with pytest.raises(ValueError, match="sigmas"):
        lesion_features(np.zeros((4, 4, 4)), sigmas=(1.0, 0.0))
    with pytest.raises(ValueError, match=r"\(C, X, Y, Z\)"):
        lesion_features(np.zeros((4, 4)))


@pytest.mark.parametrize("connectivity", [1, 2, 3])
def test_remove_small_components_matches_skimage(connectivity):
    morphology = pytest.importorskip("skimage.morphology")
    mask = np.random.default_rng(1).random((12, 13, 9)) > 0.8
    got = remove_small_components(mask, 4, connectivity=connectivity)
    try:  # scikit-image >= 0.26 removes objects of size <= max_size
        expected = morphology.remove_small_objects(mask, max_size=3, connectivity=connectivity)
    except TypeError:  # older releases remove objects of size < min_size
        expected = morphology.remove_small_objects(mask, min_size=4, connectivity=connectivity)
    np.testing.assert_array_equal(got, expected)
    assert got.sum() < mask.sum()


def test_remove_small_components_edge_cases():
    mask = np.zeros((5, 5), bool)
    mask[0, 0] = True
    mask[2:5, 2:5] = True
    expected = mask.copy()
    expected[0, 0] = False  # the single voxel goes, the 3x3 block stays
    np.testing.assert_array_equal(remove_small_components(mask, 2), expected)
    out = remove_small_components(mask, 1)
    assert out is not mask and np.array_equal(out, mask)
    assert not remove_small_components(np.zeros((3, 3)), 5).any()
    assert remove_small_components(mask.astype(np.uint8), 10).sum() == 0
    with pytest.raises(ValueError, match="binary"):
        remove_small_components(np.array([0, 2]), 1)
    with pytest.raises(ValueError, match="min_size"):
        remove_small_components(mask, -1)
    with pytest.raises(ValueError, match="connectivity"):
        remove_small_components(mask, 2, connectivity=3)


def test_lesion_features_3d_matches_scipy(volume):
    feats = lesion_features(volume[0], sigmas=(1.0, 1.5), context_sigma=2.0, in_plane=False)
    np.testing.assert_allclose(feats[2], ndimage.gaussian_filter(volume[0], 1.5), atol=1e-5)
    np.testing.assert_allclose(
        feats[3], ndimage.gaussian_gradient_magnitude(volume[0], 1.0), atol=1e-5
    )
