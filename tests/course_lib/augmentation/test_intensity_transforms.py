"""Gamma, BiasField and Noise: identities, known values, and the simulator's physics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import course_lib.augmentation as A
from course_lib.simulation.acquisition import bias_field, rician_noise


def test_gamma_one_is_identity(sample):
    out = A.Gamma(1.0)(sample)
    assert torch.equal(out["image"], sample["image"]) and out["label"] is sample["label"]


def test_gamma_known_values_and_range():
    image = torch.tensor([[[0.0, 0.5, 1.0, 2.0]]])  # min 0, max 2 -> normalised 0, .25, .5, 1
    out = A.Gamma(2.0)({"image": image})["image"]
    torch.testing.assert_close(out, torch.tensor([[[0.0, 0.125, 0.5, 2.0]]]))
    with pytest.raises(ValueError, match="gamma"):
        A.Gamma(0.0)


def test_bias_field_zero_is_identity(sample):
    assert torch.equal(A.BiasField(0.0, seed=1)(sample)["image"], sample["image"])


@pytest.mark.parametrize("shape", [(17, 21), (9, 11, 8)])
def test_bias_field_is_the_simulators_field(shape):
    """One bias-field generator in the library (issue 21): the simulator's, same seed."""
    image = torch.rand((2, *shape), dtype=torch.float64) + 0.5
    out = A.BiasField(0.25, seed=7)({"image": image})["image"]
    expected = bias_field(shape, 0.25, np.random.default_rng(7))
    ratio = (out / image).numpy()
    np.testing.assert_allclose(ratio[0], expected, rtol=1e-12)
    np.testing.assert_allclose(ratio[1], expected, rtol=1e-12)  # one field for every channel
    log = np.log(ratio[0])
    assert ratio.min() > 0 and log.std() == pytest.approx(0.25, rel=0.2)


def test_noise_is_the_simulators_rician_noise():
    image = torch.full((1, 64, 64), 2.0, dtype=torch.float64)
    out = A.Noise(0.2, seed=3)({"image": image})["image"]
    np.testing.assert_array_equal(
        out.numpy(), rician_noise(image.numpy(), 0.2, np.random.default_rng(3))
    )
    assert not torch.equal(out, A.Noise(0.2, seed=4)({"image": image})["image"])
    assert torch.equal(A.Noise(0.0, seed=5)({"image": image})["image"], image)


def test_rician_noise_statistics():
    """Bright tissue: sd close to sigma (Gaussian limit); background: Rayleigh, mean sigma sqrt(pi/2)."""
    bright = A.Noise(0.05, seed=0)({"image": torch.ones(1, 128, 128, dtype=torch.float64)})["image"]
    assert bright.std().item() == pytest.approx(0.05, rel=0.03)
    dark = A.Noise(0.5, seed=2)({"image": torch.zeros(1, 128, 128, dtype=torch.float64)})["image"]
    assert dark.min().item() >= 0
    assert dark.mean().item() == pytest.approx(0.5 * np.sqrt(np.pi / 2), rel=0.03)


def test_intensity_transforms_keep_the_label(sample2d):
    for t in (A.Gamma(0.8), A.Noise(0.1, 1), A.BiasField(0.2, 1)):
        assert t(sample2d)["label"] is sample2d["label"] and not t.spatial
    with pytest.raises(ValueError, match="sigma"):
        A.Noise(-0.1)
    with pytest.raises(ValueError, match="strength"):
        A.BiasField(-0.1)
