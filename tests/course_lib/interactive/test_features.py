"""The filter bank agrees with scipy/scikit-image and with closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage import feature, filters

from course_lib.interactive.features import (
    DEFAULT_SIGMAS,
    feature_names,
    filter_bank,
    gradient_magnitude,
    laplacian_of_gaussian,
    structure_tensor_eigenvalues,
)


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    x, y = np.meshgrid(np.arange(40), np.arange(30), indexing="ij")
    return np.where((x - 20) ** 2 + (y - 15) ** 2 < 64, 1.0, 0.2) + 0.05 * rng.normal(size=x.shape)


@pytest.mark.parametrize("sigma", [0.7, 1.6, 3.5])
def test_gaussian_gradient_and_log_match_scipy_and_skimage(image, sigma):
    bank = filter_bank(image, sigmas=[sigma])
    smoothed = filters.gaussian(
        image, sigma=sigma, mode="reflect", truncate=4.0, preserve_range=True
    )
    np.testing.assert_allclose(bank[..., 1], smoothed, atol=1e-5)
    reference = ndimage.gaussian_gradient_magnitude(image, sigma, mode="reflect")
    np.testing.assert_allclose(gradient_magnitude(image, sigma), reference, atol=1e-10)
    np.testing.assert_allclose(bank[..., 2], reference, atol=1e-5)
    log = ndimage.gaussian_laplace(image, sigma, mode="reflect")
    np.testing.assert_allclose(laplacian_of_gaussian(image, sigma), log, atol=1e-10)
    np.testing.assert_allclose(bank[..., 3], log, atol=1e-5)


def test_structure_tensor_eigenvalues_of_a_ramp_are_closed_form():
    # I = 3x + 4y: gradient (3, 4) everywhere, tensor g g^T, eigenvalues |g|^2 = 25 and 0.
    # (A sampled derivative-of-Gaussian kernel underestimates slopes at sigma < 1 pixel, so
    # the check uses an inner scale of 2 pixels.)
    x, y = np.meshgrid(np.arange(100.0), np.arange(100.0), indexing="ij")
    ev = structure_tensor_eigenvalues(3 * x + 4 * y, sigma=4.0)
    inner = ev[:, 40:60, 40:60]  # away from the mirrored borders
    np.testing.assert_allclose(inner[0], 25.0, rtol=1e-3)
    np.testing.assert_allclose(inner[1], 0.0, atol=1e-6)


def test_structure_tensor_eigenvalues_match_skimage_on_the_same_tensor(image):
    sigma, inner = 2.0, 1.0
    dx = ndimage.gaussian_filter(image, inner, order=(1, 0), mode="reflect")
    dy = ndimage.gaussian_filter(image, inner, order=(0, 1), mode="reflect")
    tensor = [
        ndimage.gaussian_filter(a * b, sigma, mode="reflect")
        for a, b in ((dx, dx), (dx, dy), (dy, dy))
    ]
    reference = feature.structure_tensor_eigenvalues(tensor)
    ours = structure_tensor_eigenvalues(image, sigma, inner_scale=inner)
    np.testing.assert_allclose(ours, reference, rtol=1e-6, atol=1e-12)
    assert np.all(ours[0] >= ours[1]) and np.all(ours[1] >= -1e-12)


def test_bank_shape_names_and_dtype(image):
    bank = filter_bank(image)
    names = feature_names()
    assert bank.shape == image.shape + (1 + 5 * len(DEFAULT_SIGMAS),)
    assert bank.dtype == np.float32 and len(names) == bank.shape[-1]
    assert names[0] == "intensity" and names[1] == "gaussian s=0.7"
    np.testing.assert_allclose(bank[..., 0], image, atol=1e-6)


@pytest.mark.parametrize(
    "bad, match",
    [(np.zeros((4, 4, 4)), "2-D slice"), (np.full((4, 4), np.nan), "NaN")],
)
def test_bad_images_name_the_problem(bad, match):
    with pytest.raises(ValueError, match=match):
        filter_bank(bad)


@pytest.mark.parametrize("sigmas", [[], [0.0], [-1.0]])
def test_bad_sigmas_are_rejected(image, sigmas):
    with pytest.raises(ValueError, match="sigma"):
        filter_bank(image, sigmas=sigmas)
