"""Tests for course_lib.selfsupervised.slices on a hand-made subject."""

from types import SimpleNamespace

import numpy as np
import pytest

from course_lib.selfsupervised.slices import axial_slices, concatenate


def _subject(tumour=True):
    shape = (20, 24, 10)
    brain = np.zeros(shape, bool)
    brain[4:16, 2:22, 1:9] = True
    rng = np.random.default_rng(0)
    images = {c: (rng.normal(size=shape) + 10).astype(np.float32) for c in ("T1w", "FLAIR")}
    labels = None
    if tumour:
        labels = np.zeros(shape, np.int64)
        labels[6:12, 6:12, 4:6] = 1  # 36 voxels in slices 4 and 5
        labels[6, 6, 7] = 1  # 1 voxel in slice 7: ambiguous, dropped
        images["FLAIR"][labels > 0] += 5
    return SimpleNamespace(
        images=images, brain_mask=brain, tumor_labels=labels, shape=shape, seed=3, center="toy"
    )


def test_labels_sizes_and_dropped_slices():
    s = axial_slices(_subject(), size=8, step=1, min_tumour_voxels=20, subject_index=2)
    assert s.images.shape == (7, 2, 8, 8) and s.images.dtype == np.float32
    assert list(s.z) == [1, 2, 3, 4, 5, 6, 8]  # 0 and 9 hold no brain, 7 is ambiguous
    assert list(s.labels) == [0, 0, 0, 1, 1, 0, 0]
    assert set(s.subject) == {2} and set(s.center) == {"toy"}
    # z-scored inside the brain: the brain's mean is about 0, outside is exactly 0
    assert abs(s.images[:, 0].mean()) < 0.5


def test_tumour_free_subject_and_concatenate_and_take():
    a = axial_slices(_subject(False), size=8, step=2)
    assert set(a.labels) == {0}
    both = concatenate([a, axial_slices(_subject(), size=8, step=2, subject_index=1)])
    assert len(both) == len(a) + 4 and set(both.subject) == {0, 1}
    assert len(both.take(both.labels == 1)) == 1


def test_missing_contrast_names_the_fix():
    with pytest.raises(ValueError, match="contrasts="):
        axial_slices(_subject(), contrasts=("T2w",))
