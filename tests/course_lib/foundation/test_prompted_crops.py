"""Tests for course_lib.foundation.prompted_crops on hand-made slices."""

import numpy as np
import pytest

from course_lib.foundation.boxes import Box
from course_lib.foundation.prompted_crops import (
    PromptedCrops,
    crop_objects,
    otsu_in_box,
    slice_objects,
    window_dice,
)


def _slice():
    image = np.zeros((40, 50), np.float32)
    mask = np.zeros((40, 50), bool)
    mask[10:20, 12:26] = True  # a bright rectangle
    mask[30:33, 40:43] = True  # a small second object (9 pixels)
    image[mask] = 5.0
    image += np.random.default_rng(0).normal(0, 0.1, image.shape).astype(np.float32)
    return image, mask


def test_slice_objects_components_sizes_and_whole():
    _, mask = _slice()
    objects = slice_objects(mask, min_pixels=4)
    assert [int(o.sum()) for o in objects] == [140, 9]
    assert len(slice_objects(mask, min_pixels=10)) == 1
    whole = slice_objects(mask, split=False)
    assert len(whole) == 1 and whole[0].sum() == 149
    assert slice_objects(np.zeros((5, 5)), 1) == []


def test_crop_shapes_prompt_and_targets():
    image, mask = _slice()
    objects = slice_objects(mask)
    crops = crop_objects(
        image,
        objects,
        np.random.default_rng(0),
        size=16,
        jitter=0.0,
        tags={"subject": 3, "target": "box"},
    )
    assert crops.inputs.shape == (2, 2, 16, 16) and crops.inputs.dtype == np.float32
    assert crops.targets.shape == (2, 16, 16) and crops.targets.dtype == np.int64
    assert list(crops.tags["subject"]) == [3, 3] and list(crops.tags["target"]) == ["box", "box"]
    # window side = 1.5 * longer box side (14 -> 21), at least min_side (3 -> 12)
    assert [w.shape for w in crops.windows] == [(21, 21), (12, 12)]
    # with no jitter the box is tight: the object fills its box, both inside the window
    assert (crops.missed == 0).all()
    for truth, box in zip(crops.truths, crops.boxes):
        assert truth[box.r0 : box.r1, box.c0 : box.c1].all() and truth.sum() == (
            box.height * box.width
        )
    # the image channel is z-scored in the window; the prompt channel lies in [0, 1]
    assert abs(crops.inputs[:, 0].mean()) < 0.1
    assert crops.inputs[:, 1].min() >= 0 and crops.inputs[:, 1].max() <= 1
    # the target on the network's grid sits where the prompt is
    assert (crops.targets[0] == (crops.inputs[0, 1] >= 0.5)).mean() > 0.95


def test_window_dice_perfect_truth_and_missed_pixels():
    image, mask = _slice()
    crops = crop_objects(image, slice_objects(mask), np.random.default_rng(0), size=16, jitter=0.0)
    assert np.allclose(window_dice(list(crops.truths), crops), 1.0)
    # the network-grid targets, resampled back, are close to perfect
    assert (window_dice([t.astype(np.float32) for t in crops.targets], crops) > 0.85).all()
    assert np.allclose(window_dice([np.zeros_like(t) for t in crops.truths], crops), 0.0)
    crops.missed[:] = crops.truths[0].sum()  # as many pixels again outside the window
    assert window_dice(list(crops.truths), crops)[0] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="predictions"):
        window_dice([], crops)


def test_take_and_concatenate():
    image, mask = _slice()
    crops = crop_objects(image, slice_objects(mask), np.random.default_rng(0), tags={"k": 1})
    both = PromptedCrops.concatenate([crops, crops.take([1])])
    assert len(both) == 3 and both.windows[2] is crops.windows[1]
    assert len(crops.take(np.array([True, False]))) == 1


def test_otsu_in_box_finds_bright_and_dark_objects():
    image, mask = _slice()
    box = Box(8, 10, 22, 28)
    bright = otsu_in_box(image, box)
    assert (bright == mask & (np.arange(40)[:, None] < 25)).mean() > 0.99
    dark = otsu_in_box(-image, box)  # same object, inverted contrast
    assert (dark == bright).all()
    flat = otsu_in_box(np.ones((10, 10)), Box(2, 2, 5, 5))
    assert flat.sum() == 9
