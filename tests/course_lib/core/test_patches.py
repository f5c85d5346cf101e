"""Tests of course_lib.core.patches: the brain crop box and the random-crop batches."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from course_lib.core.patches import RandomCrops, brain_crop_box, grow_to_multiple


def subject_with_brain(shape, lo, hi):
    mask = np.zeros(shape, dtype=bool)
    mask[tuple(slice(a, b) for a, b in zip(lo, hi))] = True
    return SimpleNamespace(brain_mask=mask)


def test_box_covers_every_brain_with_sides_multiple_of_8():
    subjects = [
        subject_with_brain((60, 70, 50), (10, 20, 5), (30, 41, 40)),
        subject_with_brain((60, 70, 50), (15, 12, 8), (45, 35, 30)),
    ]
    box = brain_crop_box(subjects)
    for s in subjects:
        assert s.brain_mask[box].sum() == s.brain_mask.sum()
    for sl, n in zip(box, (60, 70, 50)):
        assert (sl.stop - sl.start) % 8 == 0 and 0 <= sl.start < sl.stop <= n


def test_box_is_centred_and_keeps_the_margin():
    box = brain_crop_box([subject_with_brain((64, 64, 64), (20, 20, 20), (30, 30, 30))], margin=3)
    # brain 20..29, margin 3 -> 17..32 (16 voxels, already a multiple of 8)
    assert box == (slice(17, 33),) * 3


def test_box_is_clipped_to_a_small_grid():
    box = brain_crop_box([subject_with_brain((12, 20, 9), (0, 0, 0), (12, 20, 9))])
    assert [sl.stop - sl.start for sl in box] == [8, 16, 8]


@pytest.mark.parametrize(
    "subjects, match",
    [
        ([], "at least one subject"),
        (
            [
                subject_with_brain((8, 8, 8), (0, 0, 0), (1, 1, 1)),
                subject_with_brain((8, 8, 9), (0, 0, 0), (1, 1, 1)),
            ],
            "different grids",
        ),
        ([SimpleNamespace(brain_mask=np.zeros((8, 8, 8), bool))], "empty"),
    ],
)
def test_box_rejects_bad_input(subjects, match):
    with pytest.raises(ValueError, match=match):
        brain_crop_box(subjects)


@pytest.mark.parametrize(
    "lo, hi, n, multiple, expected",
    [
        (17, 30, 64, 8, slice(16, 32)),  # 13 -> 16, grown by 1 below and 2 above
        (0, 5, 64, 8, slice(0, 8)),  # clamped at the start of the grid
        (60, 64, 64, 8, slice(56, 64)),  # clamped at the end
        (0, 20, 20, 8, slice(2, 18)),  # grid too small for 24: the longest multiple that fits
    ],
)
def test_grow_to_multiple(lo, hi, n, multiple, expected):
    assert grow_to_multiple(lo, hi, n, multiple) == expected


def numbered_images(shape):
    """Images whose voxel values encode (image, position), so crops can be traced back."""
    return torch.arange(int(np.prod(shape)), dtype=torch.float32).reshape(shape)


@pytest.mark.parametrize(
    "images_shape, targets_shape",
    [
        ((5, 2, 20, 24), (5, 20, 24)),  # 2-D, one label map
        ((4, 1, 10, 12, 14), (4, 2, 10, 12, 14)),  # 3-D, two stacked label maps (two heads)
    ],
)
def test_crops_come_from_the_same_place_in_image_and_target(images_shape, targets_shape):
    images = numbered_images(images_shape)
    targets = numbered_images(targets_shape).long()
    crops = RandomCrops(
        images, targets, patch=8, batch_size=3, steps=4, generator=torch.Generator().manual_seed(0)
    )
    batches = list(crops)
    assert len(batches) == len(crops) == 4
    spatial = len(images_shape) - 2
    for x, y in batches:
        assert x.shape == (3, images_shape[1]) + (8,) * spatial
        assert y.shape == (3,) + targets_shape[1:-spatial] + (8,) * spatial
        for xb, yb in zip(x, y):
            # locate the crop in the images through its first value, then compare the target crop
            flat = int(xb.reshape(-1)[0])
            where = np.unravel_index(flat, images_shape)
            i, start = where[0], where[2:]
            window = tuple(slice(s, s + 8) for s in start)
            assert torch.equal(xb, images[i][(Ellipsis,) + window])
            assert torch.equal(yb, targets[i][(Ellipsis,) + window])


def test_same_seed_same_batches_and_short_axes_taken_whole():
    images, targets = torch.randn(3, 1, 6, 30), torch.zeros(3, 6, 30, dtype=torch.long)
    a = list(RandomCrops(images, targets, 16, 2, 3, torch.Generator().manual_seed(7)))
    b = list(RandomCrops(images, targets, 16, 2, 3, torch.Generator().manual_seed(7)))
    c = list(RandomCrops(images, targets, 16, 2, 3, torch.Generator().manual_seed(8)))
    assert all(torch.equal(x1, x2) for (x1, _), (x2, _) in zip(a, b))
    assert not all(torch.equal(x1, x3) for (x1, _), (x3, _) in zip(a, c))
    assert a[0][0].shape == (2, 1, 6, 16)


@pytest.mark.parametrize(
    "images, targets, kwargs, match",
    [
        (torch.zeros(2, 8, 8), torch.zeros(2, 8, 8), {}, "shape"),
        (torch.zeros(2, 1, 8, 8), torch.zeros(3, 8, 8), {}, "do not match"),
        (torch.zeros(2, 1, 8, 8), torch.zeros(2, 8, 9), {}, "do not match"),
        (torch.zeros(2, 1, 8, 8), torch.zeros(2, 8, 8), {"patch": 0}, "patch"),
    ],
)
def test_crops_reject_bad_input(images, targets, kwargs, match):
    arguments = dict(patch=4, batch_size=2, steps=1, generator=torch.Generator()) | kwargs
    with pytest.raises(ValueError, match=match):
        RandomCrops(images, targets, **arguments)
