"""Pretrain a 2-D U-Net on simulated tumours, for transfer to white-matter lesions (chapter 06).

The lecture's transfer-learning example (Coudert 2021, after Menze et al. 2015) pretrains a
segmentation network on 200 BraTS gliomas and fine-tunes it on 9 images of white-matter
hyperintensities (WMH). Both tasks segment *abnormal FLAIR hyperintensity*: tumour (all
BraTS compartments) in the source, lesions in the target. :func:`pretrain` and the command
line write a checkpoint with its model config and a description of how it was made,
including its cost in optimiser steps and CPU time (the price a fair comparison with
training from scratch must count)::

    python -m course_lib.transfer.pretrain --out course_lib/transfer/checkpoints/tumor_unet2d.pt \\
        --n-subjects 200 --steps 128 --seed 0 --crop 32

(the shipped checkpoints: 32-px crops, so that a chapter-06 step costs about half of a 48-px
one; each checkpoint stores the exact arguments that made it).

``--mix-center/--mix-n/--mix-seed`` add a target cohort (simulated with lesions) to the
training set: the lecture's "source + target into one training" baseline. By default the crops
are drawn uniformly over all subjects, so the target's share is its share of the subjects
(the lecture's pooling); ``--mix-fraction`` fixes that share instead (over-sampling).

References
----------
Menze BH, Jakab A, Bauer S, et al. The Multimodal Brain Tumor Image Segmentation Benchmark
(BRATS). IEEE TMI 2015;34:1993-2024. doi:10.1109/TMI.2014.2377694

Mazurowski MA, Buda M, Saha A, Bashir MR. Deep learning in radiology: an overview of the
concepts and a survey of the state of the art with focus on MRI. JMRI 2019;49:939-954.
doi:10.1002/jmri.26534
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from course_lib.transfer.data import CONTRASTS, MixedCropDataset, RandomCropDataset, prepare_volume

__all__ = ["pretrain", "main"]

logger = logging.getLogger(__name__)
#: Steps whose losses are averaged into one entry of the stored loss history.
LOSS_BLOCK = 16


def _source_volumes(n: int, center: str, seed: int, resolution: int, progress: bool):
    """Simulate tumour subjects one at a time (as ``make_cohort`` would) and keep their crops."""
    from tqdm.auto import tqdm

    from course_lib.simulation import simulate_subject, subject_seed

    volumes = []
    for i in tqdm(range(n), desc="simulating source", disable=not progress, leave=False):
        subject = simulate_subject(
            center, subject_seed(seed, center, i), resolution, tumor=True, contrasts=CONTRASTS
        )
        volumes.append(prepare_volume(subject, dtype=np.float16))  # float16: half the memory
    return volumes


def pretrain(
    n_subjects: int = 200,
    steps: int = 128,
    seed: int = 0,
    center: str = "siemens_verio_3t",
    resolution: int = 2,
    channels: Sequence[int] = (8, 16, 32, 64),
    crop: int = 48,
    batch_size: int = 32,
    lr: float = 2e-3,
    mix_center: str | None = None,
    mix_n: int = 0,
    mix_seed: int = 0,
    mix_fraction: float | None = None,
    device: torch.device | None = None,
    progress: bool = False,
):
    """Train a 2-D U-Net to segment tumours (and, with ``mix_n``, lesions) from T1w + FLAIR.

    Parameters
    ----------
    n_subjects, center, seed, resolution
        Source cohort: subject ``i`` is ``simulate_subject(center, subject_seed(seed, center,
        i), resolution, tumor=True, contrasts=CONTRASTS)``, the subjects of
        ``make_cohort(n_subjects, center, seed, resolution, tumor=True, contrasts=CONTRASTS)``
        (simulated without the disk cache, one at a time, to bound memory).
    steps, crop, batch_size, lr
        Training: ``steps`` Adam steps on batches of :class:`RandomCropDataset` crops with
        :func:`~course_lib.transfer.segmenter.dice_bce_loss`
        (:func:`~course_lib.transfer.finetune.train_steps`).
    channels
        U-Net feature maps per level (``UNet(2, 2, 1, channels)``).
    mix_center, mix_n, mix_seed
        Optional target cohort ``make_cohort(mix_n, mix_center, mix_seed, resolution,
        lesions=True, contrasts=CONTRASTS)`` added to the same training ("mixing").
    mix_fraction
        Share of the crops drawn from the target cohort; ``None`` pools all subjects (each
        subject equally likely, so the target gets about ``mix_n / (n_subjects + mix_n)``).
    device, progress
        Where to train; progress bars.

    Returns
    -------
    (UNet, dict)
        The trained model (eval mode, on ``device``) and its metadata: every argument,
        the loss history, the simulator version, wall and CPU time (s) including the
        simulation of the source subjects.
    """
    from course_lib.core.device import get_device
    from course_lib.core.seeding import seed_everything
    from course_lib.models import UNet
    from course_lib.simulation import SIMULATION_VERSION, make_cohort
    from course_lib.transfer.finetune import train_steps
    from course_lib.transfer.segmenter import dice_bce_loss

    for name, value, minimum in (
        ("n_subjects", n_subjects, 1),
        ("steps", steps, 1),
        ("mix_n", mix_n, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    if mix_n and mix_center is None:
        raise ValueError(
            "mix_n > 0 needs mix_center (the target center, e.g. 'philips_ingenia_3t')."
        )
    if mix_fraction is not None and (not mix_n or not 0.0 < mix_fraction < 1.0):
        raise ValueError(
            f"mix_fraction needs mix_n > 0 and a value in (0, 1), got {mix_fraction!r}."
        )
    started, cpu_started = time.perf_counter(), time.process_time()
    device = device or get_device()
    seed_everything(seed)
    volumes = _source_volumes(n_subjects, center, seed, resolution, progress)
    target = []
    if mix_n:
        cohort = make_cohort(
            mix_n,
            center=mix_center,
            seed=mix_seed,
            resolution=resolution,
            lesions=True,
            contrasts=CONTRASTS,
        )
        target = [prepare_volume(s, dtype=np.float16) for s in cohort]
    samples = steps * batch_size
    if mix_fraction is None:
        dataset = RandomCropDataset(
            volumes + target, crop=crop, samples_per_epoch=samples, seed=seed
        )
    else:
        dataset = MixedCropDataset(
            RandomCropDataset(volumes, crop=crop, seed=seed),
            RandomCropDataset(target, crop=crop, seed=seed + 1),
            mix_fraction,
            samples,
            seed=seed + 2,
        )
    model = UNet(2, len(CONTRASTS), 1, channels=channels)
    run = train_steps(model, dataset, steps, lr, dice_bce_loss, batch_size, device)
    losses = np.asarray(run.losses)
    blocks = [float(losses[i : i + LOSS_BLOCK].mean()) for i in range(0, steps, LOSS_BLOCK)]
    share = (
        (mix_n / (n_subjects + mix_n) if mix_fraction is None else mix_fraction) if mix_n else 0.0
    )
    metadata = {
        "task": "binary segmentation of abnormal FLAIR hyperintensity (tumour"
        + (" + lesions" if mix_n else "")
        + ") from axial T1w + FLAIR slices",
        "source": {
            "center": center,
            "n_subjects": n_subjects,
            "seed": seed,
            "resolution_mm": resolution,
            "tumor": True,
        },
        "mix": (
            {
                "center": mix_center,
                "n_subjects": mix_n,
                "seed": mix_seed,
                "lesions": True,
                "target_share": round(share, 4),
                "sampling": "pooled" if mix_fraction is None else "fixed fraction",
            }
            if mix_n
            else None
        ),
        "contrasts": list(CONTRASTS),
        "training": {
            "steps": steps,
            "crop": crop,
            "batch_size": batch_size,
            "lr": lr,
            "optimizer": "Adam",
            "loss": "BCE + soft Dice",
            "positive_fraction": 0.5,
        },
        "loss_history": {"block_steps": LOSS_BLOCK, "mean_loss": [round(x, 5) for x in blocks]},
        "simulation_version": SIMULATION_VERSION,
        "torch": str(torch.__version__),
        "wall_time_s": round(time.perf_counter() - started, 1),
        "cpu_time_s": round(time.process_time() - cpu_started, 1),
    }
    return model, metadata


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m course_lib.transfer.pretrain",
        description=(
            "Pretrain a 2-D U-Net on simulated tumours (chapter 06) and save a checkpoint."
        ),
    )
    p.add_argument("--out", required=True, type=Path, help="checkpoint file to write (.pt)")
    p.add_argument("--n-subjects", type=int, default=200, help="source tumour subjects")
    p.add_argument("--steps", type=int, default=128, help="Adam steps (batches)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--center", default="siemens_verio_3t", help="source center")
    p.add_argument("--resolution", type=int, default=2, choices=(1, 2), help="mm")
    p.add_argument("--channels", type=int, nargs="+", default=[8, 16, 32, 64])
    p.add_argument("--crop", type=int, default=48, help="crop size in voxels")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--mix-center", default=None, help="target center to mix in (lesions)")
    p.add_argument("--mix-n", type=int, default=0, help="target subjects to mix in")
    p.add_argument("--mix-seed", type=int, default=0, help="target cohort seed")
    p.add_argument(
        "--mix-fraction",
        type=float,
        default=None,
        help="share of target crops (default: pooled, in proportion to subjects)",
    )
    p.add_argument("--progress", action="store_true", help="show progress bars")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    from course_lib.models import save_checkpoint

    args = _parser().parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    model, metadata = pretrain(
        n_subjects=args.n_subjects,
        steps=args.steps,
        seed=args.seed,
        center=args.center,
        resolution=args.resolution,
        channels=tuple(args.channels),
        crop=args.crop,
        batch_size=args.batch_size,
        lr=args.lr,
        mix_center=args.mix_center,
        mix_n=args.mix_n,
        mix_seed=args.mix_seed,
        mix_fraction=args.mix_fraction,
        progress=args.progress,
    )
    # Keep the arguments that shape the model (not the output path, not --progress).
    drop = {i for i, a in enumerate(argv) if a in ("--out", "--progress") or a.startswith("--out=")}
    drop |= {i + 1 for i, a in enumerate(argv) if a == "--out"}
    metadata["arguments"] = " ".join(a for i, a in enumerate(argv) if i not in drop)
    path = save_checkpoint(model.cpu(), args.out, metadata)
    logger.info("wrote %s (%.0f s)", path, metadata["wall_time_s"])
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    raise SystemExit(main())
