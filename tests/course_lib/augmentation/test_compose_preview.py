"""Sources of randomness, Compose, the sample dict and the explorer's preview()."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import course_lib.augmentation as A


def test_every_source_of_randomness_is_reproducible(sample2d):
    t = A.RandomAffine(degrees=20)
    assert torch.equal(
        t(sample2d, rng=7)["image"], t(sample2d, rng=np.random.default_rng(7))["image"]
    )
    torch.manual_seed(11)
    first = t(sample2d)["image"]
    torch.manual_seed(11)
    assert torch.equal(first, t(sample2d)["image"])  # None: PyTorch's global generator
    with pytest.raises(TypeError, match="rng"):
        t(sample2d, rng="seven")


def test_probability_p(sample2d):
    never = A.RandomAffine(degrees=30, p=0.0)
    out = never(sample2d, rng=0)
    assert isinstance(never.last_transform, A.Identity) and torch.equal(
        out["image"], sample2d["image"]
    )
    with pytest.raises(ValueError, match="p must be"):
        A.RandomGamma(p=1.5)


def test_compose_records_a_replayable_chain(sample3d):
    aug = A.Compose(
        [
            A.RandomFlip(),
            A.RandomAffine(15),
            A.Gamma(0.9),
            A.RandomBiasField(0.2),
            A.RandomNoise(0.05),
        ]
    )
    out = aug(sample3d, rng=5)
    chain = aug.last_transform
    assert len(chain.transforms) == 5 and all(isinstance(t, A.Transform) for t in chain.transforms)
    replay = chain(sample3d)
    assert torch.equal(replay["image"], out["image"]) and torch.equal(replay["label"], out["label"])
    step = sample3d
    for t in chain.transforms:
        step = t(step)
    assert torch.equal(step["image"], out["image"])
    with pytest.raises(TypeError, match=r"transforms\[1\]"):
        A.Compose([A.Gamma(1.0), lambda s: s])


def test_sample_validation_messages():
    img = torch.zeros(1, 8, 8)
    with pytest.raises(TypeError, match="floating-point"):
        A.check_sample({"image": torch.zeros(1, 8, 8, dtype=torch.int64)})
    with pytest.raises(TypeError, match="integer"):
        A.check_sample({"image": img, "label": torch.zeros(8, 8)})
    with pytest.raises(ValueError, match="spatial shape"):
        A.check_sample({"image": img, "label": torch.zeros(1, 8, 8, dtype=torch.int64)})
    with pytest.raises(ValueError, match="channel axis"):
        A.check_sample({"image": torch.zeros(8, 8)})
    with pytest.raises(TypeError, match="dict"):
        A.check_sample([img])
    s = A.make_sample(np.zeros((8, 9, 7)), np.zeros((8, 9, 7), dtype=np.int32))
    assert s["image"].shape == (1, 8, 9, 7) and s["label"].dtype == torch.int64


@pytest.mark.parametrize("name", A.TRANSFORM_NAMES)
def test_preview_strength_zero_is_identity(name, sample):
    out = A.preview(sample, name, 0.0, seed=3)
    assert torch.equal(out["image"], sample["image"]) and torch.equal(out["label"], sample["label"])


@pytest.mark.parametrize("name", A.TRANSFORM_NAMES)
def test_preview_is_seeded_and_changes_the_image(name, sample2d):
    a, b = A.preview(sample2d, name, 1.0, seed=1), A.preview(sample2d, name, 1.0, seed=1)
    assert torch.equal(a["image"], b["image"]) and torch.equal(a["label"], b["label"])
    assert any(
        not torch.equal(A.preview(sample2d, name, 1.0, seed=s)["image"], sample2d["image"])
        for s in range(4)
    )


def test_preview_flips_left_right_only(sample3d):
    """An anterior-posterior or up-down flip gives no plausible brain: the explorer never offers it."""
    axes = {a for s in range(20) for a in A.preview_transform(sample3d, "flip", 1.0, s).axes}
    assert axes == {0}


def test_preview_strength_grows_the_change(sample2d):
    diffs = [
        (A.preview(sample2d, "affine", s, seed=2)["image"] - sample2d["image"]).abs().mean().item()
        for s in (0.0, 0.3, 1.0)
    ]
    assert diffs[0] == 0.0 < diffs[1] < diffs[2]


def test_preview_errors(sample2d):
    with pytest.raises(ValueError, match="Did you mean 'elastic'"):
        A.preview(sample2d, "elastik", 0.5, 0)
    with pytest.raises(ValueError, match="strength"):
        A.preview(sample2d, "gamma", 1.5, 0)
    t = A.preview_transform(sample2d, "gamma", 1.0, 0)
    assert isinstance(t, A.Gamma) and abs(np.log(t.gamma)) <= 0.5
