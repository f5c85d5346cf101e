"""Torch datasets over simulated subjects and the subject-level split."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.simulation.datasets import (PatchDataset, SliceDataset, VoxelFeatureDataset,
                                            split_subjects)


def test_voxel_features(lesion_subject):
    ds = VoxelFeatureDataset([lesion_subject, lesion_subject], contrasts=("T1w", "T2w", "FLAIR"))
    n_brain = int((lesion_subject.brain_mask & (lesion_subject.labels > 0)).sum())
    assert ds.X.shape == (2 * n_brain, 3) and ds.X.dtype == np.float32
    assert ds.y.dtype == np.int64 and set(np.unique(ds.y)) == {0, 1, 2}
    np.testing.assert_allclose(ds.X[:n_brain].mean(0), 0, atol=1e-3)  # z-scored in the mask
    np.testing.assert_allclose(ds.X[:n_brain].std(0), 1, atol=1e-3)
    x, y = ds[5]
    assert x.shape == (3,) and x.dtype == torch.float32 and y.dtype == torch.int64
    wm = ds.y == 2
    assert ds.X[wm, 0].mean() > ds.X[ds.y == 1, 0].mean()  # T1w: WM brighter than GM
    assert np.array_equal(np.bincount(ds.subject_index), [n_brain, n_brain])


@pytest.mark.parametrize("target, classes", [("tissue", {0, 1, 2, 3}), ("lesion", {0, 1}),
                                             ("regions", set(range(8)))])
def test_slices(lesion_subject, target, classes):
    ds = SliceDataset([lesion_subject], contrasts=("T1w", "FLAIR"), target=target)
    image, label = ds[len(ds) // 2]
    assert image.shape == (2, 112, 128) and image.dtype == torch.float32
    assert label.shape == (112, 128) and label.dtype == torch.int64
    assert set(torch.unique(label).tolist()) <= classes
    assert 40 < len(ds) <= lesion_subject.shape[2]
    everything = set()
    for i in range(len(ds)):
        everything |= set(torch.unique(ds[i][1]).tolist())
    assert everything == classes


def test_tumor_slices(tumor_subject):
    ds = SliceDataset([tumor_subject], contrasts=("T1ce", "FLAIR"), target="tumor", axis=1)
    labels = set()
    for i in range(len(ds)):
        labels |= set(torch.unique(ds[i][1]).tolist())
    assert labels == {0, 1, 2, 3}  # BraTS 4 -> 3


def test_patches_are_balanced_and_centred(lesion_subject):
    ds = PatchDataset([lesion_subject], contrasts=("FLAIR", "T1w"), patch_size=40, n_patches=200,
                      positive_fraction=0.5, seed=1)
    assert len(ds) == 200 and ds.labels.mean() == 0.5
    patch, label = ds[0]
    assert patch.shape == (2, 40, 40) and patch.dtype == torch.float32 and label.dtype == torch.float32
    for i in range(20):
        k, x, y, z = ds.centres[i]
        assert lesion_subject.lesion_mask[x, y, z] == bool(ds.labels[i])
    # lesion centres are bright on FLAIR
    centre = np.array([ds[i][0][0, 20, 20].item() for i in range(len(ds))])
    assert centre[ds.labels == 1].mean() > centre[ds.labels == 0].mean() + 1.0
    again = PatchDataset([lesion_subject], contrasts=("FLAIR", "T1w"), n_patches=200, seed=1)
    assert np.array_equal(again.centres, ds.centres)


def test_patch_needs_positives(tumor_subject):
    with pytest.raises(ValueError, match="lesion"):
        PatchDataset([tumor_subject], contrasts=("FLAIR",), n_patches=10)


def test_split_subjects_is_disjoint_and_complete():
    items = [f"subject{i}" for i in range(10)]
    train, val, test = split_subjects(items, (0.6, 0.2, 0.2), seed=3)
    assert (len(train), len(val), len(test)) == (6, 2, 2)
    assert set(train) | set(val) | set(test) == set(items)
    assert not (set(train) & set(val) or set(train) & set(test) or set(val) & set(test))
    assert split_subjects(items, seed=3) == (train, val, test)
    assert split_subjects(items, seed=4) != (train, val, test)
    with pytest.raises(ValueError, match="sum to 1"):
        split_subjects(items, (0.5, 0.2))


def test_bad_contrast_or_target(lesion_subject):
    with pytest.raises(ValueError, match="T1ce"):
        SliceDataset([lesion_subject], contrasts=("T1ce",))
    with pytest.raises(ValueError, match="target"):
        VoxelFeatureDataset([lesion_subject], target="tumor")
