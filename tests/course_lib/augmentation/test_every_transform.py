"""One parametrised test over every transform (TorchIO's reproducibility test, our version).

For each transform, in 2-D and 3-D: same seed -> identical output; random wrappers give
different outputs for different seeds and ``last_transform`` replays them exactly; image
shape and dtype are kept; the label keeps its dtype and only contains values it had; the
input sample is not modified.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import course_lib.augmentation as A

# name -> (factory(ndim), is_random)
CASES = {
    "Flip": (lambda d: A.Flip(axes=(0, d - 1)), False),
    "Affine": (
        lambda d: A.Affine(
            rotation_deg=12.0 if d == 2 else (5.0, -8.0, 12.0), scale=1.1, translation_vox=1.5
        ),
        False,
    ),
    "ElasticDeformation": (
        lambda d: A.ElasticDeformation(np.random.default_rng(1).normal(0, 1.5, (d,) + (5,) * d)),
        False,
    ),
    "BiasField": (lambda d: A.BiasField(0.2, seed=3), False),
    "Gamma": (lambda d: A.Gamma(0.7), False),
    "Noise": (lambda d: A.Noise(0.1, seed=3), False),
    "RandomFlip": (lambda d: A.RandomFlip(), True),
    "RandomAffine": (lambda d: A.RandomAffine(degrees=15, scales=0.1, translation_vox=2), True),
    "RandomElasticDeformation": (lambda d: A.RandomElasticDeformation(5, std_vox=1.5), True),
    "RandomBiasField": (lambda d: A.RandomBiasField(0.3), True),
    "RandomGamma": (lambda d: A.RandomGamma(0.3), True),
    "RandomNoise": (lambda d: A.RandomNoise(0.1), True),
    "Compose": (
        lambda d: A.Compose(
            [
                A.RandomFlip(),
                A.RandomAffine(10),
                A.RandomElasticDeformation(5, 1.0),
                A.RandomBiasField(0.2),
                A.RandomGamma(0.3),
                A.RandomNoise(0.05),
            ]
        ),
        True,
    ),
}


def _same(a: dict, b: dict) -> bool:
    return torch.equal(a["image"], b["image"]) and torch.equal(a["label"], b["label"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_transform(name, sample):
    factory, is_random = CASES[name]
    ndim = sample["image"].ndim - 1
    original = {k: v.clone() for k, v in sample.items()}
    transform = factory(ndim)
    out = transform(sample, rng=123)

    assert _same(out, factory(ndim)(sample, rng=123))  # same seed, same output
    assert (
        out["image"].shape == sample["image"].shape and out["image"].dtype == sample["image"].dtype
    )
    assert (
        out["label"].shape == sample["label"].shape and out["label"].dtype == sample["label"].dtype
    )
    assert set(out["label"].unique().tolist()) <= set(sample["label"].unique().tolist())
    assert torch.isfinite(out["image"]).all()
    assert _same(sample, original)  # the input is untouched
    if is_random:
        assert isinstance(transform.last_transform, A.Transform)
        assert _same(transform.last_transform(sample), out)  # replay
        replay = type(transform.last_transform)(**transform.last_transform.params())
        assert _same(replay(sample), out)  # rebuilt from its parameters
        outs = [factory(ndim)(sample, rng=seed) for seed in range(6)]
        assert any(not _same(outs[0], o) for o in outs[1:])
    else:
        assert not torch.equal(out["image"], sample["image"])  # it did something
        assert _same(type(transform)(**transform.params())(sample), out)


@pytest.mark.parametrize("name", ["Affine", "ElasticDeformation", "RandomAffine"])
def test_spatial_transforms_keep_uint8_labels(name, sample2d):
    sample = {"image": sample2d["image"], "label": sample2d["label"].to(torch.uint8)}
    out = CASES[name][0](2)(sample, rng=0)
    assert out["label"].dtype == torch.uint8
    assert set(out["label"].unique().tolist()) <= {0, 1, 2, 3}


def test_image_only_sample_is_accepted(sample2d):
    out = A.Compose([A.RandomAffine(10), A.RandomNoise(0.1)])({"image": sample2d["image"]}, rng=0)
    assert set(out) == {"image"}
