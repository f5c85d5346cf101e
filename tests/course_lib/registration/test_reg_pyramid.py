"""Gaussian smoothing (torch vs scipy) and the pyramid's grids."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from course_lib.registration.pyramid import default_sigmas, gaussian_smooth, image_pyramid


@pytest.mark.parametrize("shape", [(20, 17), (12, 15, 11)])
def test_torch_smoothing_matches_scipy(shape):
    rng = np.random.default_rng(0)
    img = rng.random(shape)
    sigma = [1.0, 2.0, 0.0][: len(shape)]
    out = gaussian_smooth(torch.from_numpy(img)[None, None], sigma)[0, 0].numpy()
    ref = ndimage.gaussian_filter(img, sigma, mode="nearest", truncate=3.0)
    np.testing.assert_allclose(out, ref, atol=1e-10)
    np.testing.assert_allclose(gaussian_smooth(img, sigma), ref, atol=1e-12)


def test_pyramid_keeps_world_coordinates():
    aff = np.array([[2.0, 0, 0, -10], [0, 2.0, 0, 5], [0, 0, 3.0, 1], [0, 0, 0, 1]])
    img = np.random.default_rng(1).random((33, 20, 9))
    levels = image_pyramid(img, aff, factors=(4, 2, 1))
    assert [lv[0].shape for lv in levels] == [(9, 5, 3), (17, 10, 5), (33, 20, 9)]
    for (_arr, a), f in zip(levels, (4, 2, 1)):
        np.testing.assert_allclose(a[:3, 3], aff[:3, 3])  # voxel 0 stays put
        np.testing.assert_allclose(np.diag(a)[:3], np.diag(aff)[:3] * f)
    np.testing.assert_array_equal(levels[-1][0], img)
    t_levels = image_pyramid(torch.from_numpy(img)[None, None], aff, factors=(2,))
    np.testing.assert_allclose(t_levels[0][0][0, 0].numpy(), levels[1][0], atol=1e-10)
    assert default_sigmas((4, 2, 1)) == (2.0, 1.0, 0.0)


def test_pyramid_argument_errors():
    with pytest.raises(ValueError, match="same length"):
        image_pyramid(np.zeros((4, 4)), np.eye(3), factors=(2, 1), sigmas=(1.0,))
    with pytest.raises(ValueError, match="sigma"):
        gaussian_smooth(np.zeros((4, 4)), -1.0)
