"""Voxel tables over simulated subjects and the subject-level split."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.simulation.datasets import VoxelFeatureDataset, split_subjects


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


@pytest.mark.parametrize("target, classes", [("lesion", {0, 1}), ("regions", set(range(8)))])
def test_voxel_targets(lesion_subject, target, classes):
    ds = VoxelFeatureDataset([lesion_subject], contrasts=("T1w",), target=target)
    assert set(np.unique(ds.y)) <= classes and len(np.unique(ds.y)) >= len(classes) - 1


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
        VoxelFeatureDataset([lesion_subject], contrasts=("T1ce",))
    with pytest.raises(ValueError, match="target"):
        VoxelFeatureDataset([lesion_subject], target="tumor")
