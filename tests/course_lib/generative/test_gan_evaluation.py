"""Tests for course_lib.generative.gan_evaluation (memorisation distance, statistics, C2ST, latent paths)."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from course_lib.generative.gan_evaluation import (
    intensity_statistics,
    interpolate_latents,
    nearest_neighbour_distances,
    tissue_thresholds,
    two_sample_classifier_test,
)


def test_nearest_neighbour_matches_scipy_cdist():
    rng = np.random.default_rng(0)
    queries, references = rng.normal(size=(7, 1, 4, 5)), rng.normal(size=(11, 1, 4, 5))
    d, j = nearest_neighbour_distances(queries, references, chunk=3)
    full = cdist(queries.reshape(7, -1), references.reshape(11, -1)) / np.sqrt(20)
    np.testing.assert_allclose(d, full.min(1), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(j, full.argmin(1))


def test_a_copied_training_image_is_at_distance_zero():
    rng = np.random.default_rng(1)
    train = torch.from_numpy(rng.uniform(-1, 1, size=(5, 1, 8, 8)))
    d, j = nearest_neighbour_distances(train[[3]], train)
    assert j[0] == 3 and d[0] == pytest.approx(0.0, abs=1e-7)


def test_nearest_neighbour_rejects_mismatched_sizes():
    with pytest.raises(ValueError, match="same image size"):
        nearest_neighbour_distances(np.zeros((2, 4)), np.zeros((2, 5)))


def test_intensity_statistics_on_known_images():
    image = -np.ones((1, 10, 10))
    image[0, :5, :4] = -0.5  # 20 px class 0
    image[0, 5:, :6] = 0.2  # 30 px class 1
    image[0, :5, 4:9] = 0.8  # 25 px class 2
    stats = intensity_statistics(image, thresholds=[0.0, 0.5])
    assert stats["brain_fraction"][0] == pytest.approx(0.75)
    assert stats["fraction_0"][0] == pytest.approx(20 / 75)
    assert stats["fraction_1"][0] == pytest.approx(30 / 75)
    assert stats["fraction_2"][0] == pytest.approx(25 / 75)
    brain = image[image > -0.9]
    assert stats["mean"][0] == pytest.approx(brain.mean())
    assert stats["std"][0] == pytest.approx(brain.std())


def test_tissue_thresholds_separate_three_clusters():
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.normal(m, 0.03, 500) for m in (-0.5, 0.1, 0.7)])
    t = tissue_thresholds(np.concatenate([values, -np.ones(300)])[None])
    assert -0.5 < t[0] < 0.1 < t[1] < 0.7


def test_two_sample_test_cannot_separate_one_distribution():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(60, 16)), rng.normal(size=(60, 16))
    result = two_sample_classifier_test(a, b, seed=0)
    assert result.n == 120 and len(result.fold_accuracies) == 5
    assert 0.3 < result.accuracy < 0.7 and result.p_value > 0.01


def test_two_sample_test_separates_shifted_distributions():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(60, 16)), rng.normal(size=(60, 16)) + 2.0
    result = two_sample_classifier_test(a, b, seed=0)
    assert result.accuracy == 1.0 and result.p_value < 1e-20


def test_slerp_endpoints_and_norm():
    rng = np.random.default_rng(5)
    z0 = rng.normal(size=32)
    z1 = rng.normal(size=32)
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    path = interpolate_latents(z0, z1, 5)
    assert path.shape == (5, 32) and path.dtype == np.float32
    np.testing.assert_allclose(path[0], z0, rtol=1e-5)
    np.testing.assert_allclose(path[-1], z1, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(z0), rtol=1e-5)


def test_linear_midpoint_is_shorter_than_slerp_midpoint():
    rng = np.random.default_rng(6)
    z0, z1 = torch.from_numpy(rng.normal(size=64)), torch.from_numpy(rng.normal(size=64))
    linear = interpolate_latents(z0, z1, 3, method="linear")
    np.testing.assert_allclose(linear[1], (z0.numpy() + z1.numpy()) / 2, rtol=1e-5)
    slerp = interpolate_latents(z0, z1, 3)
    assert np.linalg.norm(linear[1]) < 0.85 * np.linalg.norm(slerp[1])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(steps=1), "steps"),
        (dict(steps=3, method="cubic"), "method"),
    ],
)
def test_interpolate_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        interpolate_latents(np.ones(3), np.ones(3), **kwargs)


def _subjects(rng, n_subjects, per_subject, dim=8, shift=0.0):
    """Images of several 'subjects': each subject has its own mean, one distribution overall."""
    centres = rng.normal(size=(n_subjects, dim)) * 2.0
    x = np.concatenate([c + shift + 0.3 * rng.normal(size=(per_subject, dim)) for c in centres])
    return x, np.repeat(np.arange(n_subjects), per_subject)


def test_grouped_folds_stop_the_classifier_from_recognising_subjects():
    """Real vs real from different subjects: splitting images (not subjects) into folds lets the
    classifier recognise each subject and reports a 'difference'; grouped folds do not."""
    rng = np.random.default_rng(7)
    x, groups = _subjects(rng, 12, 10)
    a, b = x[groups < 6], x[groups >= 6]
    naive = two_sample_classifier_test(a, b, seed=0)
    grouped = two_sample_classifier_test(
        a,
        b,
        seed=0,
        n_splits=3,
        groups_real=groups[groups < 6],
        groups_fake=groups[groups >= 6],
        n_permutations=30,
    )
    assert naive.accuracy > 0.9 and naive.p_value < 1e-10  # the pitfall
    assert grouped.n_groups == 12 and grouped.permutation_p_value > 0.05
    assert grouped.accuracy < naive.accuracy - 0.2


def test_permutation_p_value_is_small_for_a_real_difference():
    rng = np.random.default_rng(8)
    x, groups = _subjects(rng, 12, 10)
    a, b = x[groups < 6], x[groups >= 6] + 6.0
    result = two_sample_classifier_test(
        a,
        b,
        seed=0,
        n_splits=3,
        groups_real=groups[groups < 6],
        groups_fake=groups[groups >= 6],
        n_permutations=19,
    )
    assert result.accuracy == 1.0 and result.permutation_p_value == pytest.approx(1 / 20)


def test_two_sample_test_checks_groups():
    with pytest.raises(ValueError, match="one group per image"):
        two_sample_classifier_test(np.zeros((10, 2)), np.ones((10, 2)), groups_real=[0, 1])
    with pytest.raises(ValueError, match="lower n_splits"):
        two_sample_classifier_test(
            np.zeros((10, 2)), np.ones((10, 2)), groups_real=[0] * 5 + [1] * 5
        )
