"""Tests for course_lib.transfer.pretrain: the pretraining function and its command line."""

import subprocess
import sys

import pytest
import torch

from course_lib.models import UNet, load_checkpoint
from course_lib.transfer.pretrain import main, pretrain

TINY = [
    "--n-subjects",
    "1",
    "--steps",
    "3",
    "--seed",
    "1",
    "--channels",
    "4",
    "8",
    "--crop",
    "16",
    "--batch-size",
    "2",
]
TINY_KWARGS = dict(
    n_subjects=1,
    steps=3,
    seed=1,
    channels=(4, 8),
    crop=16,
    batch_size=2,
    device=torch.device("cpu"),
)


@pytest.fixture(scope="module")
def reference():
    """The tiny pretraining run, in process (the source is simulated without the cache)."""
    return pretrain(**TINY_KWARGS)


def test_script_reproduces_the_function_and_reloads(reference, course_data_dir, tmp_path):
    out = tmp_path / "ck" / "tiny.pt"
    subprocess.run(
        [sys.executable, "-m", "course_lib.transfer.pretrain", "--out", str(out), *TINY],
        check=True,
        capture_output=True,
        timeout=600,
    )
    model, meta = load_checkpoint(out, return_metadata=True)
    assert isinstance(model, UNet)
    assert model.config["channels"] == (4, 8) and model.config["in_channels"] == 2
    assert meta["arguments"] == " ".join(TINY)
    assert meta["source"] == {
        "center": "siemens_verio_3t",
        "n_subjects": 1,
        "seed": 1,
        "resolution_mm": 2,
        "tumor": True,
    }
    assert meta["mix"] is None and meta["contrasts"] == ["T1w", "FLAIR"]
    assert meta["training"]["steps"] == 3 and len(meta["loss_history"]["mean_loss"]) == 1
    assert meta["cpu_time_s"] > 0
    assert model(torch.zeros(1, 2, 16, 16)).shape == (1, 1, 16, 16)
    assert not any(p.name.endswith(".tmp") for p in out.parent.iterdir())
    expected, _ = reference  # same arguments, another process: identical weights
    for (name, a), b in zip(model.state_dict().items(), expected.state_dict().values()):
        assert torch.equal(a, b), name


def test_mixing_adds_the_target_cohort(reference, course_data_dir):
    mixed, meta = pretrain(**TINY_KWARGS, mix_center="philips_ingenia_3t", mix_n=1, mix_seed=5)
    assert meta["mix"] == {
        "center": "philips_ingenia_3t",
        "n_subjects": 1,
        "seed": 5,
        "lesions": True,
        "target_share": 0.5,
        "sampling": "pooled",
    }
    assert "lesions" in meta["task"]
    expected, _ = reference  # other training data: other weights
    assert not all(
        torch.equal(a, b)
        for a, b in zip(mixed.state_dict().values(), expected.state_dict().values())
    )
    _, fixed = pretrain(
        **TINY_KWARGS, mix_center="philips_ingenia_3t", mix_n=1, mix_seed=5, mix_fraction=0.25
    )
    assert fixed["mix"]["target_share"] == 0.25 and fixed["mix"]["sampling"] == "fixed fraction"


def test_main_writes_the_checkpoint_atomically(monkeypatch, tmp_path):
    import course_lib.transfer.pretrain as module

    monkeypatch.setattr(
        module, "pretrain", lambda **kwargs: (UNet(2, 2, 1, channels=(4, 8)), {"wall_time_s": 0.0})
    )
    out = tmp_path / "sub" / "x.pt"
    assert main(["--out", str(out), "--progress", "--steps", "3"]) == 0
    _, meta = load_checkpoint(out, return_metadata=True)
    assert meta["arguments"] == "--steps 3"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_subjects=0), "n_subjects"),
        (dict(steps=0), "steps"),
        (dict(mix_n=2), "mix_center"),
        (dict(mix_fraction=0.5), "mix_fraction"),
        (dict(mix_n=1, mix_center="philips_ingenia_3t", mix_fraction=1.0), "mix_fraction"),
    ],
)
def test_pretrain_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pretrain(**kwargs)


def test_shipped_checkpoints_match_the_simulator():
    """The committed checkpoints (chapter 06) were made by the current simulator version."""
    from importlib import resources

    from course_lib.models import load_checkpoint
    from course_lib.simulation import SIMULATION_VERSION

    folder = resources.files("course_lib.transfer") / "checkpoints"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".pt"))
    assert names == [
        "mixed1_unet2d.pt",
        "mixed3_unet2d.pt",
        "mixed9_half_unet2d.pt",
        "mixed9_unet2d.pt",
        "tumor_unet2d.pt",
    ]
    for name in names:
        with resources.as_file(folder / name) as path:
            _, meta = load_checkpoint(path, return_metadata=True)
        assert meta["simulation_version"] == SIMULATION_VERSION, (
            f"{name} was made with simulation {meta['simulation_version']}: rebuild it with "
            f"python -m course_lib.transfer.pretrain --out {path} {meta['arguments']}"
        )


def test_shipped_checkpoints_share_one_recipe():
    """Chapter 06 compares the checkpoints at equal budgets: one crop size, batch and source
    cohort for all, and each mixed training as long as pretraining plus 40 fine-tuning steps."""
    from importlib import resources

    folder = resources.files("course_lib.transfer") / "checkpoints"
    metas = {}
    for name in (
        "tumor_unet2d.pt",
        "mixed1_unet2d.pt",
        "mixed3_unet2d.pt",
        "mixed9_unet2d.pt",
        "mixed9_half_unet2d.pt",
    ):
        with resources.as_file(folder / name) as path:
            metas[name] = load_checkpoint(path, return_metadata=True)[1]
    pretrained = metas.pop("tumor_unet2d.pt")
    assert pretrained["mix"] is None
    assert pretrained["training"]["crop"] == 32 and pretrained["training"]["batch_size"] == 32
    assert f"--steps {pretrained['training']['steps']}" in pretrained["arguments"]
    assert "--crop 32" in pretrained["arguments"]
    for name, meta in metas.items():
        assert meta["source"] == pretrained["source"], name
        assert meta["training"]["crop"] == pretrained["training"]["crop"], name
        assert meta["training"]["batch_size"] == pretrained["training"]["batch_size"], name
        assert meta["training"]["steps"] == pretrained["training"]["steps"] + 40, name
        assert meta["mix"]["center"] == "philips_ingenia_3t" and meta["mix"]["seed"] == 1, name
        assert f"--mix-n {meta['mix']['n_subjects']}" in meta["arguments"], name
