"""Pretrain a 2-D U-Net on simulated tumours, for transfer to white-matter lesions (chapter 06).

The lecture's transfer-learning example (Coudert 2021, after Menze et al. 2015) pretrains a
segmentation network on 200 BraTS gliomas and fine-tunes it on 9 images of white-matter
hyperintensities (WMH). Both tasks segment *abnormal FLAIR hyperintensity*: tumour (all
BraTS compartments) in the source, lesions in the target. This module gives the pieces the
chapter and its checkpoint share:

* :func:`prepare_volume` -- z-scored contrasts cropped to the brain's bounding box;
* :class:`RandomCropDataset` -- random axial crops, half centred on the abnormality;
* :func:`dice_bce_loss`, :func:`train_segmenter` -- the loss and the training call;
* :func:`predict_volume`, :func:`evaluate_segmenter` -- 3-D predictions and per-subject
  Dice, sensitivity, precision and HD95 (mm);
* :func:`pretrain` and the command line, which write a checkpoint with its model config
  and a description of how it was made::

    python -m course_lib.transfer.pretrain --out course_lib/transfer/checkpoints/tumor_unet2d.pt \\
        --n-subjects 200 --epochs 30 --seed 0

``--mix-center/--mix-n/--mix-seed`` add a target cohort (simulated with lesions) to the
training set: the lecture's "source + target into one training" baseline.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

from course_lib.core.patches import grow_to_multiple

__all__ = ["CONTRASTS", "PreparedVolume", "abnormal_mask", "prepare_volume",
           "RandomCropDataset", "dice_bce_loss", "train_segmenter", "predict_volume",
           "evaluate_segmenter", "pretrain", "main"]

logger = logging.getLogger(__name__)
#: Input channels of the chapter's U-Nets, in order.
CONTRASTS: tuple[str, ...] = ("T1w", "FLAIR")


@dataclass
class PreparedVolume:
    """One subject ready for 2-D training: arrays indexed ``(C, X, Y, Z)`` / ``(X, Y, Z)``.

    Attributes
    ----------
    image : np.ndarray
        ``(C, x, y, z)`` contrasts z-scored inside the brain, cropped to ``box``.
    mask : np.ndarray
        ``(x, y, z)`` bool abnormal (tumour or lesion) voxels in the crop.
    brain : np.ndarray
        ``(x, y, z)`` bool brain mask in the crop.
    box : tuple of slice
        Where the crop lies in the subject's full grid (voxel indices).
    shape : tuple of int
        The full grid ``(X, Y, Z)``.
    truth : np.ndarray
        ``(X, Y, Z)`` bool abnormal mask on the full grid (for metrics).
    """

    image: np.ndarray
    mask: np.ndarray
    brain: np.ndarray
    box: tuple[slice, ...]
    shape: tuple[int, ...]
    truth: np.ndarray


def abnormal_mask(subject) -> np.ndarray:
    """``(X, Y, Z)`` bool: tumour (BraTS labels > 0) or lesion voxels of ``subject``."""
    mask = np.asarray(subject.lesion_mask, dtype=bool).copy()
    if subject.tumor_labels is not None:
        mask |= np.asarray(subject.tumor_labels) > 0
    return mask


def prepare_volume(subject, contrasts: Sequence[str] = CONTRASTS, multiple: int = 8,
                   dtype=np.float32) -> PreparedVolume:
    """Z-score ``contrasts`` in the brain and crop to the brain's box (sizes padded to ``multiple``).

    The in-plane box is grown (within the grid) to a multiple of ``multiple`` so that a U-Net
    with ``log2(multiple)`` poolings needs no padding; along Z it spans the brain's slices.
    """
    from course_lib.simulation.datasets import normalize_subject

    brain = np.asarray(subject.brain_mask, dtype=bool)
    if not brain.any():
        raise ValueError(f"subject (seed {subject.seed}) has an empty brain mask.")
    box = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        idx = np.flatnonzero(brain.any(axis=other))
        lo, hi = int(idx[0]), int(idx[-1]) + 1
        n = subject.shape[axis]
        box.append(grow_to_multiple(lo, hi, n, multiple) if axis < 2 and multiple > 1 else slice(lo, hi))
    box = tuple(box)
    image = normalize_subject(subject, contrasts)[(slice(None),) + box] * brain[box]
    truth = abnormal_mask(subject)
    return PreparedVolume(np.ascontiguousarray(image, dtype=dtype), truth[box].copy(),
                          brain[box].copy(), box, tuple(subject.shape), truth)


class RandomCropDataset(Dataset):
    """Random ``(crop, crop)`` axial patches with dense masks, redrawn at every access.

    A fraction ``positive_fraction`` of draws is centred on a random abnormal voxel,
    the rest on a random brain voxel (the balance lesions need: they are < 0.1 % of voxels).
    Draws come from one ``numpy`` stream seeded with ``seed``: iterate with
    ``num_workers=0`` for repeatable epochs.

    Items are ``(image (C, crop, crop) float32, mask (1, crop, crop) float32)``.
    """

    def __init__(self, volumes: Sequence[PreparedVolume], crop: int = 48,
                 samples_per_epoch: int = 512, positive_fraction: float = 0.5, seed: int = 0):
        if not volumes:
            raise ValueError("volumes is empty: pass at least one PreparedVolume.")
        if crop < 8 or samples_per_epoch < 1 or not 0.0 <= positive_fraction <= 1.0:
            raise ValueError("need crop >= 8, samples_per_epoch >= 1 and 0 <= positive_fraction"
                             f" <= 1; got {crop!r}, {samples_per_epoch!r}, {positive_fraction!r}.")
        self.volumes, self.crop, self.n = list(volumes), int(crop), int(samples_per_epoch)
        self.positive_fraction = float(positive_fraction)
        self._positive = [np.argwhere(v.mask) for v in self.volumes]
        self._brain = [np.argwhere(v.brain) for v in self.volumes]
        self._with_positive = [k for k, p in enumerate(self._positive) if len(p)]
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        rng = self._rng
        if self._with_positive and rng.random() < self.positive_fraction:
            k = self._with_positive[rng.integers(len(self._with_positive))]
            centre = self._positive[k][rng.integers(len(self._positive[k]))]
        else:
            k = int(rng.integers(len(self.volumes)))
            centre = self._brain[k][rng.integers(len(self._brain[k]))]
        v, p = self.volumes[k], self.crop
        x, y, z = (int(c) for c in centre)
        image = np.zeros((v.image.shape[0], p, p), np.float32)
        mask = np.zeros((1, p, p), np.float32)
        x0, y0 = x - p // 2, y - p // 2  # crop window in volume indices
        xs = slice(max(x0, 0), min(x0 + p, v.mask.shape[0]))
        ys = slice(max(y0, 0), min(y0 + p, v.mask.shape[1]))
        dst = (slice(xs.start - x0, xs.stop - x0), slice(ys.start - y0, ys.stop - y0))
        image[(slice(None),) + dst] = v.image[:, xs, ys, z]
        mask[(0,) + dst] = v.mask[xs, ys, z]
        return torch.from_numpy(image), torch.from_numpy(mask)


def dice_bce_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Binary cross-entropy plus soft Dice loss ``1 - 2|PT| / (|P| + |T|)`` over the batch.

    ``logits`` and ``target`` are ``(B, 1, H, W)``; the Dice term (Milletari et al. 2016,
    doi:10.1109/3DV.2016.79) counters the rarity of lesion voxels.
    """
    probability = torch.sigmoid(logits)
    intersection = (probability * target).sum()
    soft_dice = (2 * intersection + smooth) / (probability.sum() + target.sum() + smooth)
    return F.binary_cross_entropy_with_logits(logits, target) + (1 - soft_dice)


def train_segmenter(model: torch.nn.Module, dataset: Dataset, epochs: int, lr: float,
                    batch_size: int = 32, device: torch.device | None = None,
                    weight_decay: float = 0.0, progress: bool = True):
    """Train ``model``'s trainable parameters with Adam on ``dataset``; return its History.

    Frozen parameters (``requires_grad=False``) are left out of the optimiser. Uses
    :func:`course_lib.core.training.fit` with :func:`dice_bce_loss` and no validation.
    """
    from course_lib.core.training import fit

    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameter: unfreeze some layers.")
    optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
    return fit(model, loader, None, dice_bce_loss, optimizer, epochs, device=device,
               progress=progress)


@torch.no_grad()
def predict_volume(model: torch.nn.Module, volume: PreparedVolume, batch_size: int = 8,
                   threshold: float = 0.5) -> np.ndarray:
    """Segment ``volume`` slice by slice (axial); return a bool ``(X, Y, Z)`` full-grid mask.

    Voxels outside the brain, or outside the crop box, are negative.
    """
    device = next(model.parameters()).device
    model.eval()
    image = torch.from_numpy(np.moveaxis(volume.image, 3, 0))  # (Z, C, x, y): slices as batch
    out = np.zeros(volume.mask.shape, dtype=bool)
    for start in range(0, image.shape[0], batch_size):
        batch = image[start: start + batch_size].to(device).contiguous(
            memory_format=torch.channels_last)
        probability = torch.sigmoid(model(batch)[:, 0]).cpu().numpy()
        out[:, :, start: start + batch_size] = np.moveaxis(probability > threshold, 0, 2)
    full = np.zeros(volume.shape, dtype=bool)
    full[volume.box] = out & volume.brain
    return full


def evaluate_segmenter(model: torch.nn.Module, volumes: Iterable[PreparedVolume],
                       spacing: float = 2.0) -> dict[str, list[float]]:
    """Per-subject ``dice``, ``sensitivity``, ``precision`` and ``hd95`` (mm) in 3-D."""
    from course_lib.metrics import dice, hd95, precision, sensitivity

    scores: dict[str, list[float]] = {"dice": [], "sensitivity": [], "precision": [], "hd95": []}
    for v in volumes:
        pred = predict_volume(model, v)
        scores["dice"].append(dice(pred, v.truth))
        scores["sensitivity"].append(sensitivity(pred, v.truth))
        scores["precision"].append(precision(pred, v.truth))
        scores["hd95"].append(hd95(pred, v.truth, spacing=(spacing,) * 3))
    return scores


def _source_volumes(n: int, center: str, seed: int, resolution: int, progress: bool):
    """Simulate tumour subjects one at a time (as ``make_cohort`` would) and keep their crops."""
    from tqdm.auto import tqdm

    from course_lib.simulation import simulate_subject, subject_seed

    volumes = []
    for i in tqdm(range(n), desc="simulating source", disable=not progress, leave=False):
        subject = simulate_subject(center, subject_seed(seed, center, i), resolution,
                                   tumor=True, contrasts=CONTRASTS)
        volumes.append(prepare_volume(subject, dtype=np.float16))  # float16: half the memory
    return volumes


def pretrain(n_subjects: int = 200, epochs: int = 30, seed: int = 0,
             center: str = "siemens_verio_3t", resolution: int = 2,
             channels: Sequence[int] = (8, 16, 32, 64), crop: int = 48,
             samples_per_epoch: int = 1024, batch_size: int = 32, lr: float = 2e-3,
             mix_center: str | None = None, mix_n: int = 0, mix_seed: int = 0,
             device: torch.device | None = None, progress: bool = False):
    """Train a 2-D U-Net to segment tumours (and, with ``mix_n``, lesions) from T1w + FLAIR.

    Parameters
    ----------
    n_subjects, center, seed, resolution
        Source cohort: subject ``i`` is ``simulate_subject(center, subject_seed(seed, center,
        i), resolution, tumor=True, contrasts=CONTRASTS)``, the subjects of
        ``make_cohort(n_subjects, center, seed, resolution, tumor=True, contrasts=CONTRASTS)``
        (simulated without the disk cache, one at a time, to bound memory).
    epochs, samples_per_epoch, crop, batch_size, lr
        Training: Adam on :class:`RandomCropDataset` crops with :func:`dice_bce_loss`.
    channels
        U-Net feature maps per level (``UNet(2, 2, 1, channels)``).
    mix_center, mix_n, mix_seed
        Optional target cohort ``make_cohort(mix_n, mix_center, mix_seed, resolution,
        lesions=True, contrasts=CONTRASTS)`` added to the same training ("mixing").
    device, progress
        Where to train; progress bars.

    Returns
    -------
    (UNet, dict)
        The trained model (eval mode, on ``device``) and its metadata: every argument,
        the loss history, the simulator version, wall and CPU time (s).
    """
    from course_lib.core.device import get_device
    from course_lib.models import UNet
    from course_lib.core.seeding import seed_everything
    from course_lib.simulation import SIMULATION_VERSION, make_cohort

    for name, value, minimum in (("n_subjects", n_subjects, 1), ("epochs", epochs, 1),
                                 ("mix_n", mix_n, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    if mix_n and mix_center is None:
        raise ValueError("mix_n > 0 needs mix_center (the target center, e.g. 'philips_ingenia_3t').")
    started, cpu_started = time.perf_counter(), time.process_time()
    device = device or get_device()
    seed_everything(seed)
    volumes = _source_volumes(n_subjects, center, seed, resolution, progress)
    if mix_n:
        target = make_cohort(mix_n, center=mix_center, seed=mix_seed, resolution=resolution,
                             lesions=True, contrasts=CONTRASTS)
        volumes += [prepare_volume(s, dtype=np.float16) for s in target]
    dataset = RandomCropDataset(volumes, crop=crop, samples_per_epoch=samples_per_epoch,
                                seed=seed)
    model = UNet(2, len(CONTRASTS), 1, channels=channels)
    history = train_segmenter(model, dataset, epochs, lr, batch_size, device, progress=progress)
    model.eval()
    metadata = {
        "task": "binary segmentation of abnormal FLAIR hyperintensity (tumour"
                + (" + lesions" if mix_n else "") + ") from axial T1w + FLAIR slices",
        "source": {"center": center, "n_subjects": n_subjects, "seed": seed,
                   "resolution_mm": resolution, "tumor": True},
        "mix": ({"center": mix_center, "n_subjects": mix_n, "seed": mix_seed, "lesions": True}
                if mix_n else None),
        "contrasts": list(CONTRASTS),
        "training": {"epochs": epochs, "samples_per_epoch": samples_per_epoch, "crop": crop,
                     "batch_size": batch_size, "lr": lr, "optimizer": "Adam",
                     "loss": "BCE + soft Dice", "positive_fraction": 0.5},
        "loss_history": [round(x, 5) for x in history["loss"]],
        "simulation_version": SIMULATION_VERSION,
        "torch": str(torch.__version__),
        "wall_time_s": round(time.perf_counter() - started, 1),
        "cpu_time_s": round(time.process_time() - cpu_started, 1),
    }
    return model, metadata


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m course_lib.transfer.pretrain", description=(
        "Pretrain a 2-D U-Net on simulated tumours (chapter 06) and save a checkpoint."))
    p.add_argument("--out", required=True, type=Path, help="checkpoint file to write (.pt)")
    p.add_argument("--n-subjects", type=int, default=200, help="source tumour subjects")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--center", default="siemens_verio_3t", help="source center")
    p.add_argument("--resolution", type=int, default=2, choices=(1, 2), help="mm")
    p.add_argument("--channels", type=int, nargs="+", default=[8, 16, 32, 64])
    p.add_argument("--crop", type=int, default=48, help="crop size in voxels")
    p.add_argument("--samples-per-epoch", type=int, default=1024)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--mix-center", default=None, help="target center to mix in (lesions)")
    p.add_argument("--mix-n", type=int, default=0, help="target subjects to mix in")
    p.add_argument("--mix-seed", type=int, default=0, help="target cohort seed")
    p.add_argument("--progress", action="store_true", help="show progress bars")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    from course_lib.models import save_checkpoint

    args = _parser().parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    model, metadata = pretrain(
        n_subjects=args.n_subjects, epochs=args.epochs, seed=args.seed, center=args.center,
        resolution=args.resolution, channels=tuple(args.channels), crop=args.crop,
        samples_per_epoch=args.samples_per_epoch, batch_size=args.batch_size, lr=args.lr,
        mix_center=args.mix_center, mix_n=args.mix_n, mix_seed=args.mix_seed,
        progress=args.progress)
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
