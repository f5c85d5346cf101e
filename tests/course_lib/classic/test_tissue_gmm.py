"""Tests of the EM Gaussian-mixture tissue classifier (course_lib.classic.tissue_gmm)."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from course_lib.classic.tissue_gmm import TissueGMM, gaussian_log_density, segment_tissues

MEANS = np.array([[0.0, 3.0], [2.0, 1.0], [4.0, 0.0]])  # class 0 darkest in column 0


def _mixture(n=3000, seed=0, sd=0.5):
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=[0.2, 0.45, 0.35])
    return MEANS[y] + rng.normal(0.0, sd, size=(n, 2)), y


def _phantom(noise, seed=0):
    """A 3-D phantom: WM ball inside a GM shell inside a CSF shell (labels 1, 2, 3)."""
    grid = np.indices((24, 24, 24)) - 11.5
    r = np.sqrt((grid**2).sum(axis=0))
    truth = np.select([r < 6, r < 9, r < 11], [3, 2, 1], 0).astype(np.uint8)
    intensity = np.array([0.0, 0.3, 0.6, 1.0])[truth]  # T1-like: CSF dark, WM bright
    image = intensity + np.random.default_rng(seed).normal(0.0, noise, truth.shape)
    return image, truth


def test_log_density_matches_scipy():
    x, _ = _mixture(50)
    covs = np.stack([np.eye(2) * 0.3, np.array([[1.0, 0.2], [0.2, 0.5]]), np.eye(2)])
    ours = gaussian_log_density(x, MEANS, covs)
    ref = np.column_stack([multivariate_normal(m, c).logpdf(x) for m, c in zip(MEANS, covs)])
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_em_matches_sklearn_from_the_same_start():
    mixture = pytest.importorskip("sklearn.mixture")
    x, _ = _mixture()
    ours = TissueGMM(3, max_iter=200, tol=1e-10).fit(x)
    means, covs, weights = TissueGMM(3).initial_parameters(x)
    ref = mixture.GaussianMixture(
        3,
        covariance_type="full",
        tol=1e-10,
        max_iter=200,
        reg_covar=1e-6,
        means_init=means,
        weights_init=weights,
        precisions_init=np.linalg.inv(covs),
    ).fit(x)
    order = np.argsort(ref.means_[:, 0])
    np.testing.assert_allclose(ours.means_, ref.means_[order], atol=1e-5)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_[order], atol=1e-5)
    np.testing.assert_allclose(ours.weights_, ref.weights_[order], atol=1e-5)
    agree = np.mean(ours.predict(x) == np.argsort(order)[ref.predict(x)])
    assert agree > 0.999


def test_em_recovers_the_classes_and_likelihood_never_decreases():
    x, y = _mixture(seed=1)
    gmm = TissueGMM(3).fit(x)
    assert gmm.converged_
    assert np.all(np.diff(gmm.log_likelihood_) > -1e-9)
    np.testing.assert_allclose(gmm.means_, MEANS, atol=0.1)  # sorted by column 0
    assert np.mean(gmm.predict(x) == y) > 0.97
    np.testing.assert_allclose(gmm.predict_proba(x).sum(axis=1), 1.0)


def test_fit_is_deterministic():
    x, _ = _mixture(seed=2)
    a, b = TissueGMM(3).fit(x), TissueGMM(3).fit(x)
    np.testing.assert_array_equal(a.means_, b.means_)


def test_segment_tissues_labels_a_phantom():
    image, truth = _phantom(noise=0.08)
    labels = segment_tissues(image, truth > 0)
    assert labels.dtype == np.uint8 and set(np.unique(labels)) == {0, 1, 2, 3}
    for c in (1, 2, 3):
        dice = 2 * np.sum((labels == c) & (truth == c)) / (np.sum(labels == c) + np.sum(truth == c))
        assert dice > 0.95, (c, dice)


def test_spatial_prior_removes_noise_errors():
    image, truth = _phantom(noise=0.2, seed=3)
    mask = truth > 0
    plain = np.mean(segment_tissues(image, mask)[mask] == truth[mask])
    hmrf = np.mean(segment_tissues(image, mask, beta=1.0)[mask] == truth[mask])
    assert hmrf > plain + 0.05, (plain, hmrf)


def test_segment_tissues_orders_by_the_chosen_contrast():
    image, truth = _phantom(noise=0.05)
    flipped = np.stack([-image, image])  # contrast 0 inverted (T2-like), contrast 1 T1-like
    mask = truth > 0
    by_t1 = segment_tissues(flipped, mask, order_by=1)
    by_t2 = segment_tissues(flipped, mask, order_by=0)
    assert np.mean(by_t1[mask] == truth[mask]) > 0.97
    assert np.mean(by_t2[mask] == 4 - truth[mask]) > 0.97


def test_segment_tissues_works_in_2d():
    image, truth = _phantom(noise=0.05)
    labels = segment_tissues(image[:, :, 12], truth[:, :, 12] > 0, beta=0.5)
    assert np.mean(labels == truth[:, :, 12]) > 0.97


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_classes=0), "n_classes"),
        (dict(max_iter=0), "max_iter"),
        (dict(tol=-1.0), "tol"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TissueGMM(**kwargs)


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match="order_by"):
        TissueGMM(order_by=2).fit(np.zeros((10, 2)))
    with pytest.raises(RuntimeError, match="fit"):
        TissueGMM().predict(np.zeros((10, 1)))
    with pytest.raises(ValueError, match="mask.shape"):
        segment_tissues(np.zeros((4, 5, 6)), np.ones((4, 5, 7), bool))
    with pytest.raises(ValueError, match="beta"):
        segment_tissues(np.zeros((4, 5, 6)), np.ones((4, 5, 6), bool), beta=-1.0)


def test_labels_do_not_depend_on_the_background_around_the_mask():
    """segment_tissues works on the mask's bounding box: padding the grid changes nothing."""
    image, truth = _phantom(noise=0.2, seed=4)
    mask = truth > 0
    labels = segment_tissues(image, mask, beta=1.0)
    padded = np.pad(image, ((3, 5), (0, 4), (2, 0)), constant_values=7.0)
    padded_mask = np.pad(mask, ((3, 5), (0, 4), (2, 0)))
    padded_labels = segment_tissues(padded, padded_mask, beta=1.0)
    np.testing.assert_array_equal(padded_labels[3:-5, :-4, 2:], labels)
    assert not padded_labels[~padded_mask].any()


def test_an_empty_mask_is_explained():
    with pytest.raises(ValueError, match="mask is empty"):
        segment_tissues(np.zeros((4, 5, 6)), np.zeros((4, 5, 6), bool))
