"""Random wrappers' sources of randomness, Compose/OneOf, the sample dict and preview()."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import course_lib.augmentation as A


def test_every_source_of_randomness_is_reproducible(sample2d):
    t = A.RandomAffine(degrees=20)
    by_int = t(sample2d, rng=7)["image"]
    by_np = t(sample2d, rng=np.random.default_rng(7))["image"]
    assert torch.equal(by_int, by_np)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(t(sample2d, rng=g1)["image"], t(sample2d, rng=g2)["image"])
    torch.manual_seed(11)
    first = t(sample2d)["image"]
    torch.manual_seed(11)
    assert torch.equal(first, t(sample2d)["image"])
    # a wrapper with its own seed replays its sequence
    a, b = A.RandomGamma(0.5, seed=4), A.RandomGamma(0.5, seed=4)
    seq_a = [a(sample2d)["image"] for _ in range(3)]
    seq_b = [b(sample2d)["image"] for _ in range(3)]
    assert all(torch.equal(x, y) for x, y in zip(seq_a, seq_b))
    assert not torch.equal(seq_a[0], seq_a[1])
    with pytest.raises(TypeError, match="rng"):
        t(sample2d, rng="seven")


def test_probability_p(sample2d):
    never = A.RandomAffine(degrees=30, p=0.0)
    out = never(sample2d, rng=0)
    assert isinstance(never.last_transform, A.Identity)
    assert torch.equal(out["image"], sample2d["image"])
    with pytest.raises(ValueError, match="p must be"):
        A.RandomGamma(p=1.5)


def test_compose_records_a_replayable_chain(sample3d):
    aug = A.Compose([A.RandomFlip(axes=(0, 1, 2)), A.RandomAffine(15), A.Gamma(0.9),
                     A.RandomBiasField(0.2, order=1), A.RandomNoise(0.05)])
    out = aug(sample3d, rng=5)
    chain = aug.last_transform
    assert len(chain.transforms) == 5
    assert all(isinstance(t, A.Transform) for t in chain.transforms)
    replay = chain(sample3d)
    assert torch.equal(replay["image"], out["image"])
    assert torch.equal(replay["label"], out["label"])
    # sequential application of the recorded steps gives the same thing
    step = sample3d
    for t in chain.transforms:
        step = t(step)
    assert torch.equal(step["image"], out["image"])
    with pytest.raises(TypeError, match=r"transforms\[1\]"):
        A.Compose([A.Gamma(1.0), lambda s: s])


def test_one_of_follows_probabilities(sample2d):
    pick = A.OneOf([A.Gamma(0.5), A.Gamma(2.0)], probabilities=[1.0, 0.0])
    for seed in range(5):
        pick(sample2d, rng=seed)
        assert pick.last_params == {"gamma": 0.5}
    fair = A.OneOf([A.Gamma(0.5), A.Gamma(2.0)])
    chosen = []
    for seed in range(40):
        fair(sample2d, rng=seed)
        chosen.append(fair.last_params["gamma"])
    assert 10 <= chosen.count(0.5) <= 30
    with pytest.raises(ValueError, match="probabilities"):
        A.OneOf([A.Gamma(0.5)], probabilities=[1.0, 2.0])


def test_sample_validation_messages():
    img = torch.zeros(1, 8, 8)
    with pytest.raises(TypeError, match="floating point"):
        A.check_sample({"image": torch.zeros(1, 8, 8, dtype=torch.int64)})
    with pytest.raises(TypeError, match="integer dtype"):
        A.check_sample({"image": img, "label": torch.zeros(8, 8)})
    with pytest.raises(ValueError, match="spatial shape"):
        A.check_sample({"image": img, "label": torch.zeros(1, 8, 8, dtype=torch.int64)})
    with pytest.raises(ValueError, match="channel axis"):
        A.check_sample({"image": torch.zeros(8, 8)})
    s = A.make_sample(np.zeros((8, 9, 7)), np.zeros((8, 9, 7), dtype=np.int32))
    assert s["image"].shape == (1, 8, 9, 7) and s["label"].dtype == torch.int64
    assert A.spatial_ndim(s) == 3


@pytest.mark.parametrize("name", A.TRANSFORM_NAMES)
def test_preview_strength_zero_is_identity(name, sample):
    out = A.preview(sample, name, 0.0, seed=3)
    assert torch.equal(out["image"], sample["image"])
    assert torch.equal(out["label"], sample["label"])


@pytest.mark.parametrize("name", A.TRANSFORM_NAMES)
def test_preview_is_seeded_and_changes_the_image(name, sample2d):
    a = A.preview(sample2d, name, 1.0, seed=1)
    b = A.preview(sample2d, name, 1.0, seed=1)
    assert torch.equal(a["image"], b["image"]) and torch.equal(a["label"], b["label"])
    # at full strength some seed changes the image (flip may draw "no flip" for one seed)
    assert any(not torch.equal(A.preview(sample2d, name, 1.0, seed=s)["image"], sample2d["image"])
               for s in range(4))


def test_preview_strength_grows_the_change(sample2d):
    diffs = [
        (A.preview(sample2d, "affine", s, seed=2)["image"] - sample2d["image"]).abs().mean().item()
        for s in (0.0, 0.3, 1.0)
    ]
    assert diffs[0] == 0.0 < diffs[1] < diffs[2]


def test_preview_errors(sample2d):
    with pytest.raises(ValueError, match="did you mean 'elastic'"):
        A.preview(sample2d, "elastik", 0.5, 0)
    with pytest.raises(ValueError, match="strength"):
        A.preview(sample2d, "gamma", 1.5, 0)
    t = A.preview_transform(sample2d, "gamma", 1.0, 0)
    assert isinstance(t, A.Gamma) and abs(np.log(t.gamma)) <= 0.7
