"""Tests for course_lib.foundation.boxes."""

import numpy as np
import pytest

from course_lib.foundation.boxes import Box, box_from_mask, box_mask, ellipse_in_box, jitter_box


def test_box_from_mask_is_tight_and_half_open():
    mask = np.zeros((10, 12), bool)
    mask[2, 3] = mask[6, 8] = True
    box = box_from_mask(mask)
    assert box == Box(2, 3, 7, 9)
    assert mask[box.r0 : box.r1, box.c0 : box.c1].sum() == mask.sum()
    assert (box.height, box.width) == (5, 6)
    # independent reference: scikit-image's regionprops bbox is also half-open
    from skimage.measure import regionprops

    assert tuple(regionprops(mask.astype(int))[0].bbox) == tuple(box)


def test_box_from_mask_rejects_empty_and_3d():
    with pytest.raises(ValueError, match="empty"):
        box_from_mask(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="2-D"):
        box_from_mask(np.ones((2, 2, 2)))


def test_jitter_stays_inside_the_image_and_bounded():
    rng = np.random.default_rng(0)
    shape = (20, 30)
    for box in (Box(0, 0, 20, 30), Box(5, 5, 6, 6), Box(18, 27, 20, 30), Box(3, 4, 15, 25)):
        for _ in range(200):
            j = jitter_box(box, shape, rng, fraction=0.3)
            assert 0 <= j.r0 < j.r1 <= shape[0] and 0 <= j.c0 < j.c1 <= shape[1]
            assert abs(j.r0 - box.r0) <= round(0.3 * box.height)
            assert abs(j.c1 - box.c1) <= round(0.3 * box.width)


def test_jitter_zero_is_identity_and_negative_rejected():
    rng = np.random.default_rng(0)
    box = Box(3, 4, 15, 25)
    assert jitter_box(box, (20, 30), rng, 0.0) == box
    with pytest.raises(ValueError, match="fraction"):
        jitter_box(box, (20, 30), rng, -0.1)


def test_jitter_is_reproducible_under_a_seed():
    box = Box(3, 4, 15, 25)
    a = [jitter_box(box, (20, 30), np.random.default_rng(7)) for _ in range(3)]
    assert len(set(a)) == 1


def test_box_mask_and_ellipse():
    box = Box(2, 3, 12, 23)
    m = box_mask(box, (16, 30))
    assert m.sum() == 10 * 20 and m[2, 3] and not m[12, 3] and not m[2, 23]
    e = ellipse_in_box(box, (16, 30))
    assert not (e & ~m).any()  # inside its box
    assert e.sum() / m.sum() == pytest.approx(np.pi / 4, abs=0.05)
