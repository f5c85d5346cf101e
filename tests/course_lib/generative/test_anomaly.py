"""Tests of course_lib.generative.anomaly: regions, slabs, anomaly maps and latent paths."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import ndimage

from course_lib.generative.anomaly import (
    REGION_ROWS,
    LatentExplorer,
    anomaly_map,
    eroded_mask,
    latent_code,
    region_masks,
    slab_slices,
)


def fake_subject(tumor: bool = False) -> SimpleNamespace:
    """A 20 x 24 x 6 'subject' (2 mm): ventricle slab, WM band, GM rim, one lesion."""
    shape = (20, 24, 6)
    labels = np.zeros(shape, np.uint8)
    labels[2:18, 2:22] = 2  # GM
    labels[4:16, 4:20] = 3  # WM
    labels[8:12, 10:14] = 1  # CSF (ventricle)
    regions = np.zeros(shape, np.uint8)
    regions[labels > 0] = 1  # frontal
    regions[:, 12:][labels[:, 12:] > 0] = 4  # occipital half
    regions[8:12, 10:14] = 7  # ventricles
    regions[2:4, 2:6] = 5  # a bit of deep GM
    brain = labels > 0
    lesion = np.zeros(shape, bool)
    lesion[5:7, 5:7, 2:4] = True
    t1 = np.where(labels == 3, 2.0, np.where(labels == 2, 1.0, 0.3)).astype(np.float32)
    t1[lesion] = 1.0
    tumor_labels = None
    if tumor:
        tumor_labels = np.zeros(shape, np.uint8)
        tumor_labels[13:15, 16:18, 1:3] = 2
    return SimpleNamespace(
        labels=labels,
        regions=regions,
        brain_mask=brain,
        spacing=2.0,
        lesion_mask=lesion,
        tumor_labels=tumor_labels,
        seed=0,
        images={"T1w": 100 * t1},
        shape=shape,
    )


def test_region_masks_follow_labels_and_distance():
    subject = fake_subject()
    masks = region_masks(subject, periventricular_mm=4.0)
    assert tuple(masks) == REGION_ROWS
    assert np.array_equal(masks["white matter"], subject.labels == 3)
    assert np.array_equal(masks["ventricles"], subject.regions == 7)
    pv = masks["periventricular WM"]
    assert pv.any() and not (pv & ~masks["white matter"]).any()
    # 4 mm = 2 voxels from the ventricle slab [8:12, 10:14]: voxel (7, 11) in, (5, 11) out
    assert pv[7, 11, 0] and pv[12, 12, 0] and not pv[5, 11, 0]
    assert np.array_equal(masks["cortex"], (subject.labels == 2) & np.isin(subject.regions, (1, 4)))
    assert masks["subcortical/brainstem"].sum() == 2 * 4 * 6
    with pytest.raises(ValueError, match="periventricular_mm must be > 0"):
        region_masks(subject, periventricular_mm=0.0)


def test_slab_slices_shapes_masks_and_truth():
    subjects = [fake_subject(), fake_subject(tumor=True)]
    slab = slab_slices(subjects, ("T1w",), slice(1, 5), crop=(slice(0, 16), slice(0, 24)))
    assert len(slab) == 8 and slab.images.shape == (8, 1, 16, 24)
    assert slab.images.dtype == np.float32
    assert np.array_equal(slab.subject_index, [0, 0, 0, 0, 1, 1, 1, 1])
    assert np.all(slab.images[:, 0][~slab.brain] == 0.0)
    whole = slab_slices(subjects[:1], ("T1w",), slice(0, 6))  # every voxel of subject 0
    inside = whole.images[:, 0][whole.brain]
    assert abs(inside.mean()) < 1e-4 and abs(inside.std() - 1) < 1e-3  # z-scored per subject
    # slices are (Z, X, Y): subject 0's lesion at X 5:7, Y 5:7, Z 2:4 -> slab slices 1, 2
    assert slab.anomaly[1, 5, 5] and slab.anomaly[2, 6, 6] and not slab.anomaly[0].any()
    # the tumour counts as an anomaly too (subject 1, Z 1:3 -> slab slices 4, 5)
    assert slab.anomaly[4, 13, 16] and slab.anomaly[5, 14, 17]
    assert set(slab.regions) == set(REGION_ROWS)
    assert slab.regions["white matter"].shape == (8, 16, 24)
    with pytest.raises(ValueError, match="subjects is empty"):
        slab_slices([], ("T1w",), slice(0, 1))


def test_anomaly_map_signs_smoothing_and_mask():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(3, 2, 12, 12)).astype(np.float32)
    recon = images.copy()
    recon[:, 1, 5, 5] += 2.0  # the image is darker than expected here (channel 1)
    recon[:, 1, 7, 7] -= 1.0  # brighter here
    brain = np.ones((3, 12, 12), bool)
    raw = anomaly_map(images, recon, brain, "negative", sigma=0, erosion=0, channel=1)
    assert (
        raw[0, 5, 5] == pytest.approx(2.0)
        and raw[0, 7, 7] == 0.0
        and raw.sum() == pytest.approx(6.0)
    )
    bright = anomaly_map(images, recon, brain, "positive", sigma=0, erosion=0, channel=1)
    assert bright[1, 7, 7] == pytest.approx(1.0) and bright[1, 5, 5] == 0.0
    both = anomaly_map(images, recon, brain, "absolute", sigma=0, erosion=0, channel=1)
    np.testing.assert_allclose(both, raw + bright)
    assert anomaly_map(images, recon, brain, sigma=0, erosion=0, channel=0).max() == 0.0
    # smoothing is an in-plane 2-D Gaussian per slice (scipy reference on one slice)
    smooth = anomaly_map(images, recon, brain, "absolute", sigma=1.5, erosion=0, channel=1)
    np.testing.assert_allclose(smooth[2], ndimage.gaussian_filter(both[2], 1.5), atol=1e-6)
    # outside the eroded brain mask the score is 0
    brain[:, :, :2] = False
    masked = anomaly_map(images, images + 1.0, brain, "negative", sigma=0, erosion=1, channel=1)
    assert np.all(masked[:, :, :3] == 0.0) and np.all(masked[:, 1:-1, 3:-1] > 0)
    assert np.all(masked[:, 0] == 0.0)  # the slice border is eroded too (in-plane only)


def test_eroded_mask_is_in_plane():
    brain = np.zeros((3, 7, 7), bool)
    brain[:, 1:6, 1:6] = True
    np.testing.assert_array_equal(eroded_mask(brain, 0), brain)
    once = eroded_mask(brain, 1)
    assert once[0].sum() == 9 and once[0, 2:5, 2:5].all()  # every slice, not only the middle
    assert np.array_equal(once[0], once[2])
    assert not eroded_mask(brain, 3).any()
    with pytest.raises(ValueError, match="erosion must be >= 0"):
        eroded_mask(brain, -1)
    with pytest.raises(ValueError, match="brain must be"):
        eroded_mask(brain[0], 1)


def test_anomaly_map_errors():
    x = np.zeros((2, 1, 4, 4))
    with pytest.raises(ValueError, match="must both be"):
        anomaly_map(x, x[:, :, :2], np.ones((2, 4, 4), bool))
    with pytest.raises(ValueError, match="brain must be"):
        anomaly_map(x, x, np.ones((2, 4, 5), bool))
    with pytest.raises(ValueError, match="sign must be"):
        anomaly_map(x, x, np.ones((2, 4, 4), bool), sign="both")


def test_latent_code_interpolates_and_moves_one_dimension():
    z0, z1 = np.zeros((2, 3)), np.ones((2, 3))
    np.testing.assert_allclose(latent_code(z0, z1, 0.0), z0)
    np.testing.assert_allclose(latent_code(z0, z1, 1.0), z1)
    np.testing.assert_allclose(latent_code(z0, z1, 0.25), 0.25)
    moved = latent_code(z0, z1, 0.5, dim=4, offset=2.0)
    assert moved.dtype == np.float32 and moved.shape == (2, 3)
    assert moved[1, 1] == pytest.approx(2.5) and np.sum(moved != 0.5) == 1
    with pytest.raises(ValueError, match="must match"):
        latent_code(z0, np.ones(6), 0.5)
    with pytest.raises(ValueError, match="dim must be in"):
        latent_code(z0, z1, 0.5, dim=6)


def test_latent_explorer_decodes_latent_codes():
    weights = np.arange(24, dtype=np.float32).reshape(4, 6)

    def decode(z):  # a linear "decoder": (1, 4) -> (2, 3) image
        assert z.shape == (1, 4)
        return (z @ weights).reshape(2, 3)

    explorer = LatentExplorer(decode, np.zeros(4), np.ones(4))
    np.testing.assert_allclose(explorer.image(1.0), weights.sum(0).reshape(2, 3))
    np.testing.assert_allclose(explorer.image(0.0, dim=2, offset=1.0), weights[2].reshape(2, 3))
    grid = explorer.grid([0.0, 0.5, 1.0], dim=0, offsets=(-1.0, 0.0))
    assert grid.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(grid[1, 1], 0.5 * weights.sum(0).reshape(2, 3))
