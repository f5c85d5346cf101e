"""Tests for course_lib.transfer.data: prepared volumes and random / mixed crops."""

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from course_lib.transfer.data import MixedCropDataset, RandomCropDataset, prepare_volume


def test_prepare_volume_crops_to_the_brain_in_multiples_of_8(fake_subject):
    subject = fake_subject()
    v = prepare_volume(subject)
    assert v.image.shape[0] == 2 and v.image.shape[1] % 8 == 0 and v.image.shape[2] % 8 == 0
    assert v.box[2] == slice(1, 5)
    assert v.truth.sum() == subject.lesion_mask.sum() == v.mask.sum()
    assert np.all(v.image[:, ~v.brain] == 0)
    inside = v.image[1][v.brain]  # FLAIR z-scored inside the brain
    assert abs(inside.mean()) < 1e-4 and abs(inside.std() - 1) < 1e-3


def test_random_crops_are_repeatable_and_hit_lesions(fake_subject):
    v = prepare_volume(fake_subject())
    a = RandomCropDataset([v], crop=8, samples_per_epoch=20, positive_fraction=1.0, seed=3)
    b = RandomCropDataset([v], crop=8, samples_per_epoch=20, positive_fraction=1.0, seed=3)
    for i in range(20):
        (xa, ya), (xb, yb) = a[i], b[i]
        assert xa.shape == (2, 8, 8) and ya.shape == (1, 8, 8)
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
        assert ya[0, 4, 4] == 1.0  # centred on a lesion voxel
    negative = RandomCropDataset([v], crop=8, samples_per_epoch=5, positive_fraction=0.0)
    assert all(negative[i][0].shape == (2, 8, 8) for i in range(5))


class _Constant(Dataset):
    def __init__(self, value):
        self.value = value

    def __len__(self):
        return 1

    def __getitem__(self, i):
        return torch.full((1,), float(self.value)), torch.zeros(1)


def test_mixed_crops_follow_the_requested_fraction_and_seed():
    mixed = MixedCropDataset(
        _Constant(0), _Constant(1), target_fraction=0.25, samples_per_epoch=2000, seed=4
    )
    draws = [float(mixed[i][0]) for i in range(len(mixed))]
    assert len(mixed) == 2000 and abs(np.mean(draws) - 0.25) < 0.03
    again = MixedCropDataset(_Constant(0), _Constant(1), 0.25, 2000, seed=4)
    assert draws == [float(again[i][0]) for i in range(2000)]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(target_fraction=1.5, samples_per_epoch=4), "target_fraction"),
        (dict(target_fraction=0.5, samples_per_epoch=0), "samples_per_epoch"),
    ],
)
def test_mixed_crops_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MixedCropDataset(_Constant(0), _Constant(1), **kwargs)
