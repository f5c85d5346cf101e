"""Tests of course_lib.simulation.long_range: midline-centred slices and the symmetric/asymmetric task."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from course_lib.simulation.long_range import (
    CLASS_NAMES,
    SliceStack,
    axial_slices,
    make_asymmetry_dataset,
)

# A 2-mm grid like ICBM152's: voxel i = 49 is world x = 0, j = 67 is y = 0, k = 36 is z = 0.
AFFINE = np.array([[2.0, 0, 0, -98], [0, 2.0, 0, -134], [0, 0, 2.0, -72], [0, 0, 0, 1]])
SHAPE = (99, 117, 60)


def fake_subject(seed: int = 0, asymmetric_feature: bool = False) -> SimpleNamespace:
    """A left-right symmetric 'head': an ellipsoid brain with WM core, optional feature."""
    i, j, k = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    x, y, z = 2.0 * i - 98, 2.0 * j - 134, 2.0 * k - 72
    r = (x / 70) ** 2 + ((y + 17) / 90) ** 2 + (z / 80) ** 2
    brain = r < 1.0
    labels = np.where(brain, np.where(r < 0.5, 3, 2), 0).astype(np.uint8)
    image = np.where(brain, 100.0 + 50.0 * (labels == 3) + y / 10.0, 0.0).astype(np.float32)
    if asymmetric_feature:
        image[(np.abs(x - 30) < 4) & (np.abs(y + 17) < 4)] += 500.0  # right side only
    return SimpleNamespace(
        images={"FLAIR": image}, brain_mask=brain, labels=labels, affine=AFFINE, seed=seed
    )


@pytest.fixture(scope="module")
def stack() -> SliceStack:
    return axial_slices(
        [fake_subject(0), fake_subject(1)], size=32, pixel_mm=6.0, z_range_mm=(0.0, 10.0)
    )


def test_axial_slices_shapes_and_zscore(stack):
    # z = 0, 2, ..., 10 mm: 6 planes per subject
    assert stack.images.shape == (12, 32, 32) and stack.brain.shape == (12, 32, 32)
    assert stack.images.dtype == np.float32 and stack.white_matter.dtype == bool
    assert np.array_equal(stack.subject_index, np.repeat([0, 1], 6))
    assert np.all(stack.images[~stack.brain] == 0.0)
    assert stack.white_matter[stack.brain].any() and not stack.white_matter[~stack.brain].any()
    assert abs(float(stack.images[stack.brain].mean())) < 0.5  # z-scored in the brain
    assert len(stack.select([1])) == 6


def test_axial_slices_are_centred_on_the_midline(stack):
    # the fake head is mirror-symmetric about x = 0: so must every resampled slice be
    np.testing.assert_allclose(stack.images, stack.images[:, :, ::-1], atol=1e-4)
    np.testing.assert_array_equal(stack.white_matter, stack.white_matter[:, :, ::-1])
    # world x grows with the column: a feature at x = +30 mm lands right of the centre
    one = axial_slices(
        [fake_subject(asymmetric_feature=True)], size=32, pixel_mm=6.0, z_range_mm=(0.0, 0.0)
    )
    row, col = np.unravel_index(np.argmax(one.images[0]), (32, 32))
    assert col == pytest.approx(15.5 + 30 / 6.0, abs=1.0)
    assert row == pytest.approx(15.5, abs=1.0)  # y = -17 mm is the image centre
    # anterior (larger y) is at the top: the y/10 ramp decreases down the rows
    column = one.images[0][:, 8][one.brain[0][:, 8]]
    assert column[0] > column[-1]


def test_axial_slices_errors():
    with pytest.raises(ValueError, match="subjects is empty"):
        axial_slices([])
    with pytest.raises(ValueError, match="size must be an even"):
        axial_slices([fake_subject()], size=33)
    with pytest.raises(ValueError, match="no 'T1w' image"):
        axial_slices([fake_subject()], contrast="T1w")
    with pytest.raises(ValueError, match="No voxel plane"):
        axial_slices([fake_subject()], z_range_mm=(500.0, 600.0))


def make(stack, **kw):
    options = dict(n=200, seed=3, min_offset_px=4, min_shift_px=5.0, jitter_px=1.0)
    options.update(kw)
    return make_asymmetry_dataset(stack, **options)


def test_dataset_is_balanced_and_deterministic(stack):
    data = make(stack)
    assert data.images.shape == (200, 1, 32, 32) and data.images.dtype == np.float32
    assert np.bincount(data.labels).tolist() == [100, 100] and len(CLASS_NAMES) == 2
    again = make(stack)
    np.testing.assert_array_equal(data.images, again.images)
    np.testing.assert_array_equal(data.labels, again.labels)
    assert not np.array_equal(make(stack, seed=4).images, data.images)


def test_lesion_geometry_defines_the_classes(stack):
    data = make(stack)
    size = 32
    (r1, c1), (r2, c2) = data.centres[:, 0].T, data.centres[:, 1].T
    mirror_error = np.hypot(r2 - r1, c2 - (size - 1 - c1))
    symmetric = data.labels == 0
    assert np.all(mirror_error[symmetric] <= np.sqrt(2) * 2.0 + 1e-9)  # jitter + sub-pixel
    assert np.all(mirror_error[~symmetric] >= 5.0 - np.sqrt(2) - 1e-9)
    # one lesion per hemisphere, both away from the midline
    assert np.all((c1 - 15.5) * (c2 - 15.5) < 0)
    assert np.all(np.abs(np.stack([c1, c2]) - 15.5) >= 4 - 1.0)
    # both lesions are visible as bright spots
    peaks = data.images[np.arange(200), 0, np.round(r1).astype(int), np.round(c1).astype(int)]
    assert np.all(peaks > 1.0)
    assert np.allclose(data.distances(), np.hypot(r1 - r2, c1 - c2))


def test_no_local_cue_single_lesion_statistics_match(stack):
    """Each lesion alone has the same position law in both classes (only the pair differs)."""
    data = make(stack, n=2000)
    offsets = np.abs(data.centres[:, :, 1] - 15.5)  # distance to the midline, (n, 2)
    rows = data.centres[:, :, 0]
    for values in (offsets, rows):
        sym, asym = values[data.labels == 0].ravel(), values[data.labels == 1].ravel()
        assert abs(sym.mean() - asym.mean()) < 0.3
        assert abs(sym.std() - asym.std()) < 0.3


def test_dataset_errors(stack):
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        make(stack, n=1)
    with pytest.raises(ValueError, match="min_shift_px > 2"):
        make(stack, min_shift_px=1.0, jitter_px=1.0)
    with pytest.raises(ValueError, match="bilateral white matter"):
        make(stack, min_offset_px=30)
