"""Gamma, Contrast, BiasField, Noise, Blur and ResolutionLoss."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

import course_lib.augmentation as A


def test_gamma_one_is_identity(sample):
    out = A.Gamma(1.0)(sample)
    assert torch.equal(out["image"], sample["image"])
    assert out["label"] is sample["label"]


def test_gamma_known_values_and_range():
    image = torch.tensor([[[0.0, 0.5, 1.0, 2.0]]])  # min 0, max 2 -> normalised 0, .25, .5, 1
    out = A.Gamma(2.0)({"image": image})["image"]
    torch.testing.assert_close(out, torch.tensor([[[0.0, 0.125, 0.5, 2.0]]]))
    with pytest.raises(ValueError, match="gamma"):
        A.Gamma(0.0)


def test_contrast(sample):
    assert torch.equal(A.Contrast(1.0, 0.0)(sample)["image"], sample["image"])
    x = sample["image"].double()
    out = A.Contrast(1.5, shift=0.5)({"image": x})["image"]
    assert out.std().item() == pytest.approx(1.5 * x.std().item(), rel=1e-9)
    assert out.mean().item() == pytest.approx(x.mean().item() + 0.5 * x.std(correction=0).item(),
                                              rel=1e-9)


def test_bias_field_zero_is_identity(sample):
    ndim = sample["image"].ndim - 1
    out = A.BiasField([0.0] * len(A.bias_field_terms(ndim, 3)), order=3)(sample)
    assert torch.equal(out["image"], sample["image"])


def test_bias_field_is_a_smooth_positive_multiplier():
    """out = in * exp(poly): check against the polynomial written out by hand (order 2)."""
    shape = (17, 21)
    c = [0.1, 0.3, -0.2, 0.15, -0.1, 0.25]  # 1, x0, x1, x0^2, x0 x1, x1^2
    x0, x1 = np.meshgrid(np.linspace(-1, 1, 17), np.linspace(-1, 1, 21), indexing="ij")
    expected = np.exp(c[0] + c[1] * x0 + c[2] * x1 + c[3] * x0**2 + c[4] * x0 * x1 + c[5] * x1**2)
    image = torch.rand((2, *shape), dtype=torch.float64) + 0.5
    out = A.BiasField(c, order=2)({"image": image})["image"]
    ratio = (out / image).numpy()
    np.testing.assert_allclose(ratio[0], expected, rtol=1e-12)
    np.testing.assert_allclose(ratio[1], expected, rtol=1e-12)  # same field on every channel
    assert ratio.min() > 0


def test_bias_field_term_order_and_errors(sample3d):
    assert A.bias_field_terms(2, 1) == [(0, 0), (1, 0), (0, 1)]
    assert len(A.bias_field_terms(3, 3)) == 20  # C(3 + 3, 3)
    with pytest.raises(ValueError, match="needs 20 coefficients"):
        A.BiasField([0.1] * 10, order=3)(sample3d)


def test_noise_std_is_measured_as_requested():
    image = torch.full((1, 128, 128), 3.0)
    out = A.Noise(0.2, seed=0)({"image": image})["image"]
    noise = (out - image).double()
    assert noise.std().item() == pytest.approx(0.2, rel=0.03)  # 16k draws: sd of std ~0.6 %
    assert abs(noise.mean().item()) < 0.01
    other = A.Noise(0.2, seed=1)({"image": image})["image"]
    assert not torch.equal(out, other)
    assert torch.equal(A.Noise(0.0, seed=5)({"image": image})["image"], image)


def test_rician_noise_in_background_is_rayleigh():
    image = torch.zeros(1, 128, 128, dtype=torch.float64)
    out = A.Noise(0.5, seed=2, kind="rician")({"image": image})["image"]
    assert out.min().item() >= 0
    assert out.mean().item() == pytest.approx(0.5 * np.sqrt(np.pi / 2), rel=0.03)


@pytest.mark.parametrize("sigma", [0.7, (1.5, 0.0), (0.5, 1.0, 2.0)])
def test_blur_matches_scipy(sigma, sample2d, sample3d):
    sample = sample3d if isinstance(sigma, tuple) and len(sigma) == 3 else sample2d
    img = sample["image"].double()
    out = A.Blur(sigma)({"image": img})["image"][0].numpy()
    ref = ndimage.gaussian_filter(img[0].numpy(), sigma, mode="mirror", truncate=4.0)
    np.testing.assert_allclose(out, ref, atol=1e-12)


def test_blur_zero_is_identity(sample):
    assert torch.equal(A.Blur(0.0)(sample)["image"], sample["image"])


def test_resolution_loss(sample):
    ndim = sample["image"].ndim - 1
    assert torch.equal(A.ResolutionLoss(1.0, axis=0)(sample)["image"], sample["image"])
    # a pattern alternating along the axis (period 2) is averaged away by factor 2
    n = sample["image"].shape[1]
    stripes = (torch.arange(n) % 2).double().reshape((1, n) + (1,) * (ndim - 1))
    stripes = stripes.expand(sample["image"].shape).contiguous()
    out = A.ResolutionLoss(2.0, axis=0)({"image": stripes})["image"]
    torch.testing.assert_close(out, torch.full_like(out, 0.5))
    # ... while a pattern along another axis is untouched
    out_other = A.ResolutionLoss(2.0, axis=1)({"image": stripes})["image"]
    torch.testing.assert_close(out_other, stripes)
    # the label is not changed (same anatomy, blurrier picture)
    assert A.ResolutionLoss(3.0, axis=0)(sample)["label"] is sample["label"]


def test_intensity_transforms_keep_label_object(sample2d):
    for t in (A.Gamma(0.8), A.Contrast(1.2), A.Noise(0.1, 1), A.Blur(1.0),
              A.BiasField([0.1, 0.1, 0.1], order=1)):
        assert t(sample2d)["label"] is sample2d["label"]
        assert not t.spatial
