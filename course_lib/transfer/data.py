"""The chapter-06 data: subjects prepared for 2-D training, and random crops (chapter 06).

* :func:`prepare_volume` -- z-scored contrasts cropped to the brain's bounding box;
* :class:`RandomCropDataset` -- random axial crops, half centred on the abnormality (tumour or
  lesion);
* :class:`MixedCropDataset` -- crops drawn from two datasets in a fixed proportion (source and
  target in one training, with the target over-sampled if wanted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from course_lib.core.patches import grow_to_multiple

__all__ = [
    "CONTRASTS",
    "PreparedVolume",
    "abnormal_mask",
    "prepare_volume",
    "RandomCropDataset",
    "MixedCropDataset",
]

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


def prepare_volume(
    subject, contrasts: Sequence[str] = CONTRASTS, multiple: int = 8, dtype=np.float32
) -> PreparedVolume:
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
        box.append(
            grow_to_multiple(lo, hi, n, multiple) if axis < 2 and multiple > 1 else slice(lo, hi)
        )
    box = tuple(box)
    image = normalize_subject(subject, contrasts)[(slice(None),) + box] * brain[box]
    truth = abnormal_mask(subject)
    return PreparedVolume(
        np.ascontiguousarray(image, dtype=dtype),
        truth[box].copy(),
        brain[box].copy(),
        box,
        tuple(subject.shape),
        truth,
    )


class RandomCropDataset(Dataset):
    """Random ``(crop, crop)`` axial patches with dense masks, redrawn at every access.

    A fraction ``positive_fraction`` of draws is centred on a random abnormal voxel,
    the rest on a random brain voxel (the balance lesions need: they are < 0.1 % of voxels).
    Draws come from one ``numpy`` stream seeded with ``seed``: iterate with
    ``num_workers=0`` for repeatable epochs.

    Items are ``(image (C, crop, crop) float32, mask (1, crop, crop) float32)``.
    """

    def __init__(
        self,
        volumes: Sequence[PreparedVolume],
        crop: int = 48,
        samples_per_epoch: int = 512,
        positive_fraction: float = 0.5,
        seed: int = 0,
    ):
        if not volumes:
            raise ValueError("volumes is empty: pass at least one PreparedVolume.")
        if crop < 8 or samples_per_epoch < 1 or not 0.0 <= positive_fraction <= 1.0:
            raise ValueError(
                "need crop >= 8, samples_per_epoch >= 1 and 0 <= positive_fraction"
                f" <= 1; got {crop!r}, {samples_per_epoch!r}, {positive_fraction!r}."
            )
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


class MixedCropDataset(Dataset):
    """Items drawn from ``target`` with probability ``target_fraction``, else from ``source``.

    Both datasets must draw random items whatever the index (like :class:`RandomCropDataset`):
    item 0 of the chosen one is returned. Draws come from one ``numpy`` stream seeded with
    ``seed``; ``len`` is ``samples_per_epoch``.
    """

    def __init__(
        self,
        source: Dataset,
        target: Dataset,
        target_fraction: float,
        samples_per_epoch: int,
        seed: int = 0,
    ):
        if not 0.0 <= target_fraction <= 1.0:
            raise ValueError(f"target_fraction must lie in [0, 1], got {target_fraction!r}.")
        if samples_per_epoch < 1:
            raise ValueError(f"samples_per_epoch must be >= 1, got {samples_per_epoch!r}.")
        self.source, self.target = source, target
        self.target_fraction, self.n = float(target_fraction), int(samples_per_epoch)
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        chosen = self.target if self._rng.random() < self.target_fraction else self.source
        return chosen[0]
