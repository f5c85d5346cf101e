"""Tests for course_lib.transfer.pretrain: data preparation, crops, loss, prediction, and the script."""
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.models import UNet, load_checkpoint
from course_lib.transfer.pretrain import (
    PreparedVolume,
    RandomCropDataset,
    dice_bce_loss,
    evaluate_segmenter,
    main,
    predict_volume,
    prepare_volume,
    pretrain,
)


def _fake_subject(shape=(20, 22, 6), seed=0):
    rng = np.random.default_rng(seed)
    brain = np.zeros(shape, bool)
    brain[3:17, 4:19, 1:5] = True
    lesion = np.zeros(shape, bool)
    lesion[8:10, 9:12, 2:4] = True
    flair = np.where(brain, 100.0, 0.0) + rng.normal(0, 1, shape) + 80.0 * lesion
    t1 = np.where(brain, 50.0, 0.0) + rng.normal(0, 1, shape)
    return SimpleNamespace(images={"T1w": t1.astype(np.float32), "FLAIR": flair.astype(np.float32)},
                           brain_mask=brain, lesion_mask=lesion, tumor_labels=None, shape=shape,
                           seed=seed)


def test_prepare_volume_crops_to_the_brain_in_multiples_of_8():
    subject = _fake_subject()
    v = prepare_volume(subject)
    assert v.image.shape[0] == 2 and v.image.shape[1] % 8 == 0 and v.image.shape[2] % 8 == 0
    assert v.box[2] == slice(1, 5)
    assert v.truth.sum() == subject.lesion_mask.sum() == v.mask.sum()
    assert np.all(v.image[:, ~v.brain] == 0)
    inside = v.image[1][v.brain]  # FLAIR z-scored inside the brain
    assert abs(inside.mean()) < 1e-4 and abs(inside.std() - 1) < 1e-3


def test_random_crops_are_repeatable_and_hit_lesions():
    v = prepare_volume(_fake_subject())
    a = RandomCropDataset([v], crop=8, samples_per_epoch=20, positive_fraction=1.0, seed=3)
    b = RandomCropDataset([v], crop=8, samples_per_epoch=20, positive_fraction=1.0, seed=3)
    for i in range(20):
        (xa, ya), (xb, yb) = a[i], b[i]
        assert xa.shape == (2, 8, 8) and ya.shape == (1, 8, 8)
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
        assert ya[0, 4, 4] == 1.0  # centred on a lesion voxel
    negative = RandomCropDataset([v], crop=8, samples_per_epoch=5, positive_fraction=0.0)
    assert all(negative[i][0].shape == (2, 8, 8) for i in range(5))


def test_dice_bce_loss_prefers_the_right_answer():
    target = torch.zeros(2, 1, 8, 8)
    target[:, :, 2:5, 2:5] = 1
    good = dice_bce_loss(torch.where(target > 0, 8.0, -8.0), target)
    bad = dice_bce_loss(torch.where(target > 0, -8.0, 8.0), target)
    assert float(good) < 0.01 < 1.0 < float(bad)
    logits = torch.randn(2, 1, 8, 8)
    p = torch.sigmoid(logits)
    expected = (nn.functional.binary_cross_entropy(p, target)
                + 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1))
    assert float(dice_bce_loss(logits, target)) == pytest.approx(float(expected), rel=1e-5)


class _Threshold(nn.Module):
    """Logit = FLAIR channel - 2 (z-score units): a known segmentation rule."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x[:, 1:2] - 2.0 + 0 * self.dummy


def test_predict_volume_places_slices_back_on_the_full_grid():
    subject = _fake_subject()
    v = prepare_volume(subject)
    pred = predict_volume(_Threshold(), v, batch_size=3)
    assert pred.shape == subject.shape
    np.testing.assert_array_equal(pred, subject.lesion_mask)
    scores = evaluate_segmenter(_Threshold(), [v], spacing=2.0)
    assert scores["dice"] == [1.0] and scores["hd95"] == [0.0]


TINY = ["--n-subjects", "1", "--epochs", "2", "--seed", "1", "--channels", "4", "8",
        "--crop", "16", "--samples-per-epoch", "4", "--batch-size", "2"]
TINY_KWARGS = dict(n_subjects=1, epochs=2, seed=1, channels=(4, 8), crop=16,
                   samples_per_epoch=4, batch_size=2, device=torch.device("cpu"))


@pytest.fixture(scope="module")
def reference():
    """The tiny pretraining run, in process (the source is simulated without the cache)."""
    return pretrain(**TINY_KWARGS)


def test_script_reproduces_the_function_and_reloads(reference, course_data_dir, tmp_path):
    out = tmp_path / "ck" / "tiny.pt"
    subprocess.run([sys.executable, "-m", "course_lib.transfer.pretrain", "--out", str(out), *TINY],
                   check=True, capture_output=True, timeout=600)
    model, meta = load_checkpoint(out, return_metadata=True)
    assert isinstance(model, UNet)
    assert model.config["channels"] == (4, 8) and model.config["in_channels"] == 2
    assert meta["arguments"] == " ".join(TINY)
    assert meta["source"] == {"center": "siemens_verio_3t", "n_subjects": 1, "seed": 1,
                              "resolution_mm": 2, "tumor": True}
    assert meta["mix"] is None and meta["contrasts"] == ["T1w", "FLAIR"]
    assert meta["training"]["epochs"] == 2 and len(meta["loss_history"]) == 2
    assert model(torch.zeros(1, 2, 16, 16)).shape == (1, 1, 16, 16)
    assert not any(p.name.endswith(".tmp") for p in out.parent.iterdir())
    expected, _ = reference  # same arguments, another process: identical weights
    for (name, a), b in zip(model.state_dict().items(), expected.state_dict().values()):
        assert torch.equal(a, b), name


def test_mixing_adds_the_target_cohort(reference, course_data_dir):
    mixed, meta = pretrain(**TINY_KWARGS, mix_center="philips_ingenia_3t", mix_n=1, mix_seed=5)
    assert meta["mix"] == {"center": "philips_ingenia_3t", "n_subjects": 1, "seed": 5,
                           "lesions": True}
    assert "lesions" in meta["task"]
    expected, _ = reference  # other training data: other weights
    assert not all(torch.equal(a, b) for a, b in zip(mixed.state_dict().values(),
                                                     expected.state_dict().values()))


def test_main_writes_the_checkpoint_atomically(monkeypatch, tmp_path):
    import course_lib.transfer.pretrain as module

    monkeypatch.setattr(module, "pretrain", lambda **kwargs: (UNet(2, 2, 1, channels=(4, 8)),
                                                               {"wall_time_s": 0.0}))
    out = tmp_path / "sub" / "x.pt"
    assert main(["--out", str(out), "--progress", "--epochs", "3"]) == 0
    _, meta = load_checkpoint(out, return_metadata=True)
    assert meta["arguments"] == "--epochs 3"


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_subjects=0), "n_subjects"), (dict(epochs=0), "epochs"),
    (dict(mix_n=2), "mix_center"),
])
def test_pretrain_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pretrain(**kwargs)
