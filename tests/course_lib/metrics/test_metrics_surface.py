"""Tests of the surface-distance metrics (mm, anisotropic spacing, 2-D and 3-D).

Independent references:

* surfaces: ``skimage.segmentation.find_boundaries(mode="inner")`` and
  SimpleITK's ``LabelContour`` on a zero-padded copy (both ignore the array
  border otherwise; we count it as background);
* HD: SimpleITK's ``HausdorffDistanceImageFilter``, which works on the sets of
  *all* non-zero voxels, so it is given the surface-voxel images to compare
  like with like (on full masks it differs when one mask has a hole or lies
  inside the other: see ``test_simpleitk_full_masks_differ_with_a_hole``);
* directed distances: SimpleITK's ``SignedMaurerDistanceMap`` of the surface;
* HD95 and ASSD (which SimpleITK does not provide): a brute-force
  ``scipy.spatial.distance.cdist`` over surface-voxel coordinates in mm.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial.distance import cdist
from skimage.segmentation import find_boundaries

from course_lib.metrics import assd, hd95, image_diagonal, surface_distance_metrics
from course_lib.metrics.surface import (
    average_symmetric_surface_distance,
    hausdorff_distance,
    surface_distances,
    surface_voxels,
)


def _blob(shape, seed, quantile=0.65, sigma=1.5):
    rng = np.random.default_rng(seed)
    x = ndimage.gaussian_filter(rng.random(shape), sigma)
    return x > np.quantile(x, quantile)


CASES = [
    pytest.param(_blob((30, 40), 0), _blob((30, 40), 1), (0.7, 1.9), id="2d-aniso"),
    pytest.param(_blob((14, 16, 12), 2), _blob((14, 16, 12), 3), (0.9, 1.2, 3.0), id="3d-aniso"),
    pytest.param(
        np.random.default_rng(4).random((8, 9, 10)) < 0.1,
        np.random.default_rng(5).random((8, 9, 10)) < 0.05,
        (1.0, 0.5, 2.0),
        id="3d-salt",
    ),
    pytest.param(
        _blob((12, 12, 12), 6),
        _blob((12, 12, 12), 6) & _blob((12, 12, 12), 7),
        (1.0, 1.0, 1.0),
        id="3d-nested-iso",
    ),
]


def _sitk_image(mask, spacing):
    sitk = pytest.importorskip("SimpleITK")
    img = sitk.GetImageFromArray(mask.astype(np.uint8))
    img.SetSpacing([float(s) for s in spacing[::-1]])  # SimpleITK orders axes x, y, z
    return img


def _reference_surface(mask, connectivity=1):
    padded = np.pad(mask, 1).astype(np.uint8)
    inner = find_boundaries(padded, connectivity=connectivity, mode="inner")
    return inner[(slice(1, -1),) * mask.ndim]


def _brute_force(a, b, spacing):
    """Directed distances between surface-voxel centres, by cdist, in mm."""
    pa = np.argwhere(_reference_surface(a)) * np.asarray(spacing)
    pb = np.argwhere(_reference_surface(b)) * np.asarray(spacing)
    d = cdist(pa, pb)
    return d.min(axis=1), d.min(axis=0)


@pytest.mark.parametrize("connectivity", [1, 2, 3])
def test_surface_voxels_match_skimage(connectivity):
    m = _blob((10, 12, 9), 8)
    m[0, :, :4] = True  # touches the array border
    np.testing.assert_array_equal(
        surface_voxels(m, connectivity), _reference_surface(m, connectivity)
    )


def test_surface_voxels_match_simpleitk_label_contour():
    sitk = pytest.importorskip("SimpleITK")
    m = _blob((10, 12, 9), 9)
    padded = sitk.GetImageFromArray(np.pad(m, 1).astype(np.uint8))
    for fully, conn in ((False, 1), (True, 3)):
        contour = sitk.GetArrayFromImage(sitk.LabelContour(padded, fullyConnected=fully))
        np.testing.assert_array_equal(surface_voxels(m, conn), contour[1:-1, 1:-1, 1:-1] > 0)


@pytest.mark.parametrize("a, b, spacing", CASES)
def test_against_brute_force_cdist(a, b, spacing):
    ab, ba = _brute_force(a, b, spacing)
    d = surface_distances(a, b, spacing)
    np.testing.assert_allclose(np.sort(d.pred_to_truth), np.sort(ab), atol=1e-9)
    np.testing.assert_allclose(np.sort(d.truth_to_pred), np.sort(ba), atol=1e-9)
    hd_ref = max(ab.max(), ba.max())
    hd95_ref = max(np.percentile(ab, 95), np.percentile(ba, 95))
    assd_ref = (ab.sum() + ba.sum()) / (ab.size + ba.size)
    assert hausdorff_distance(a, b, spacing) == pytest.approx(hd_ref)
    assert hd95(a, b, spacing) == pytest.approx(hd95_ref)
    assert assd(a, b, spacing) == pytest.approx(assd_ref)
    assert surface_distance_metrics(a, b, spacing) == pytest.approx(
        {"hausdorff": hd_ref, "hd95": hd95_ref, "assd": assd_ref}
    )
    assert hd95(a, b, spacing) == pytest.approx(hd95(b, a, spacing))  # symmetric


@pytest.mark.parametrize("a, b, spacing", CASES)
def test_hausdorff_against_simpleitk_on_surfaces(a, b, spacing):
    sitk = pytest.importorskip("SimpleITK")
    f = sitk.HausdorffDistanceImageFilter()
    f.Execute(_sitk_image(surface_voxels(a), spacing), _sitk_image(surface_voxels(b), spacing))
    d = surface_distances(a, b, spacing)
    assert d.hausdorff() == pytest.approx(f.GetHausdorffDistance(), rel=1e-6)
    # ITK's "average Hausdorff distance" is the mean of the two directed means,
    # not the pooled mean (ASSD); compare like with like.
    mean_of_means = 0.5 * (d.pred_to_truth.mean() + d.truth_to_pred.mean())
    assert mean_of_means == pytest.approx(f.GetAverageHausdorffDistance(), rel=1e-6)


@pytest.mark.parametrize("a, b, spacing", CASES[:2])
def test_directed_distances_against_maurer_map(a, b, spacing):
    sitk = pytest.importorskip("SimpleITK")
    sb = surface_voxels(b)
    maurer = sitk.SignedMaurerDistanceMap(
        _sitk_image(sb, spacing), squaredDistance=False, useImageSpacing=True
    )
    dist_to_sb = np.where(sb, 0.0, np.abs(sitk.GetArrayFromImage(maurer)))
    ours = surface_distances(a, b, spacing).pred_to_truth
    np.testing.assert_allclose(ours, dist_to_sb[surface_voxels(a)], atol=1e-4)  # float32 map


def test_simpleitk_full_masks_differ_with_a_hole():
    """A disk vs the same disk with a hole: full-voxel-set HD sees ~the hole radius,
    the surface HD sees the distance from the hole's rim to the outer contour."""
    sitk = pytest.importorskip("SimpleITK")
    yy, xx = np.mgrid[:41, :41]
    r = np.hypot(yy - 20, xx - 20)
    disk, holed = r <= 15, (r <= 15) & (r > 3)
    f = sitk.HausdorffDistanceImageFilter()
    f.Execute(_sitk_image(disk, (1, 1)), _sitk_image(holed, (1, 1)))
    assert f.GetHausdorffDistance() < 4.0
    assert hausdorff_distance(disk, holed) > 10.0


def test_hand_made_cases():
    a = np.zeros((6, 6), bool)
    b = a.copy()
    a[0, 0] = True
    b[3, 4] = True
    assert hausdorff_distance(a, b) == pytest.approx(5.0)  # 3-4-5 triangle
    assert hd95(a, b) == assd(a, b) == pytest.approx(5.0)
    assert hausdorff_distance(a, b, spacing=(2.0, 0.5)) == pytest.approx(math.hypot(6, 2))
    # 3x3 square centred in a 7x7 square: rings 2 voxels apart.
    small, big = np.zeros((9, 9), bool), np.zeros((9, 9), bool)
    small[3:6, 3:6] = True
    big[1:8, 1:8] = True
    d = surface_distances(small, big)
    assert d.pred_to_truth.size == 8 and d.truth_to_pred.size == 24
    assert d.hausdorff() == pytest.approx(math.sqrt(8))
    expected_assd = (8 * 2 + 12 * 2 + 8 * math.sqrt(5) + 4 * math.sqrt(8)) / 32
    assert d.assd() == pytest.approx(expected_assd)
    # anisotropic 3-D single voxels: offset (2, 0, 1) voxels at (0.5, 1, 3) mm
    c, e = np.zeros((3, 3, 3), bool), np.zeros((3, 3, 3), bool)
    c[0, 0, 0] = e[2, 0, 1] = True
    assert average_symmetric_surface_distance(c, e, (0.5, 1.0, 3.0)) == pytest.approx(math.sqrt(10))


def test_empty_and_single_voxel_conventions():
    empty = np.zeros((5, 5, 5), bool)
    one = empty.copy()
    one[2, 2, 2] = True
    for fn in (hausdorff_distance, hd95, assd):
        assert fn(empty, empty, (1, 2, 3)) == 0.0
        assert fn(one, one, (1, 2, 3)) == 0.0
        assert fn(one, empty) == math.inf
        assert fn(empty, one) == math.inf
    assert surface_distance_metrics(empty, one) == {
        "hausdorff": math.inf,
        "hd95": math.inf,
        "assd": math.inf,
    }


def test_crop_gives_identical_result_and_border_is_surface():
    a, b = _blob((20, 18, 16), 12), _blob((20, 18, 16), 13)
    a[:, :, 0] = True  # reaches the array border
    sp = (1.1, 0.6, 2.2)
    cropped, full = surface_distances(a, b, sp), surface_distances(a, b, sp, crop=False)
    np.testing.assert_array_equal(cropped.pred_to_truth, full.pred_to_truth)
    np.testing.assert_array_equal(cropped.truth_to_pred, full.truth_to_pred)
    small = np.zeros((30, 30), bool)
    small[10:13, 14:16] = True
    far = np.roll(small, 9, axis=0)
    assert hausdorff_distance(small, far) == pytest.approx(9.0)


def test_spacing_and_argument_errors():
    a = _blob((8, 8), 14)
    assert hd95(a, a, spacing=2.0) == 0.0
    with pytest.raises(ValueError, match="one value per axis"):
        hd95(a, a, spacing=(1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="positive"):
        hd95(a, a, spacing=(1.0, 0.0))
    with pytest.raises(ValueError, match="connectivity"):
        surface_voxels(a, connectivity=3)
    with pytest.raises(ValueError, match="percentile"):
        hausdorff_distance(a, a, percentile=120)


def test_image_diagonal():
    assert image_diagonal((3, 5), (2.0, 1.0)) == pytest.approx(math.hypot(4, 4))
    assert image_diagonal((197, 233, 189)) == pytest.approx(math.sqrt(196**2 + 232**2 + 188**2))
