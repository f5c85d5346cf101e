"""Small axial slices with a slice-level tumour label (chapter 14).

Each subject becomes a stack of ``(C, size, size)`` axial slices: contrasts z-scored inside the
brain (:func:`course_lib.simulation.datasets.normalize_subject`), the brain's in-plane bounding
box made square and shrunk to ``size`` pixels by area averaging. A slice is labelled 1 when it
holds at least ``min_tumour_voxels`` tumour voxels, 0 when it holds none; slices in between
(a tumour's first or last millimetres) are dropped, so that a label never hangs on a few voxels.
Slices whose brain area is below ``min_brain_fraction`` of the subject's largest slice are
dropped too (the top of the head and the cerebellum's tip carry little brain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["SliceSet", "axial_slices", "concatenate"]


@dataclass
class SliceSet:
    """Slices of one or more subjects.

    Attributes
    ----------
    images : np.ndarray
        ``(N, C, size, size)`` float32.
    labels : np.ndarray
        ``(N,)`` int64: 1 tumour in the slice, 0 none.
    subject : np.ndarray
        ``(N,)`` int64 index of the subject each slice comes from (0, 1, ... in the order given).
    center : np.ndarray
        ``(N,)`` str center key of each slice's subject.
    z : np.ndarray
        ``(N,)`` int64 axial index of the slice in its subject's grid.
    """

    images: np.ndarray
    labels: np.ndarray
    subject: np.ndarray
    center: np.ndarray
    z: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, index) -> "SliceSet":
        """The slices at ``index`` (an integer array or a boolean mask)."""
        return SliceSet(
            self.images[index],
            self.labels[index],
            self.subject[index],
            self.center[index],
            self.z[index],
        )


def _square_box(brain: np.ndarray) -> tuple[slice, slice, int]:
    """A square in-plane box around the brain (it may reach outside the grid: padded later)."""
    starts, side = [], 0
    for axis in (0, 1):
        other = tuple(a for a in range(3) if a != axis)
        idx = np.flatnonzero(brain.any(axis=other))
        starts.append((int(idx[0]), int(idx[-1]) + 1))
        side = max(side, starts[-1][1] - starts[-1][0])
    box = []
    for lo, hi in starts:
        extra = side - (hi - lo)
        box.append(lo - extra // 2)
    return box[0], box[1], side


def axial_slices(
    subject,
    contrasts: Sequence[str] = ("T1w", "FLAIR"),
    size: int = 32,
    step: int = 2,
    min_brain_fraction: float = 0.3,
    min_tumour_voxels: int = 20,
    subject_index: int = 0,
) -> SliceSet:
    """Every ``step``-th axial slice of ``subject`` as a ``(C, size, size)`` image with its label.

    Parameters
    ----------
    subject : Subject
        A simulated subject (:func:`course_lib.simulation.make_cohort`); a tumour-free subject
        (``tumor_labels is None``) gives only label-0 slices.
    contrasts : sequence of str
        Channels, in order; each must be among the subject's images.
    size : int
        Output side in pixels (>= 8).
    step : int
        Keep every ``step``-th axial slice (neighbouring slices are nearly copies).
    min_brain_fraction : float
        Drop slices with less brain than this fraction of the largest slice's.
    min_tumour_voxels : int
        Tumour voxels from which a slice counts as "tumour"; slices with fewer (but some) are
        dropped.
    subject_index : int
        Stored in ``SliceSet.subject``.

    Returns
    -------
    SliceSet
    """
    from course_lib.simulation.datasets import normalize_subject

    if size < 8 or step < 1:
        raise ValueError(f"size must be >= 8 and step >= 1, got size={size}, step={step}")
    missing = [c for c in contrasts if c not in subject.images]
    if missing:
        raise ValueError(
            f"subject lacks contrast(s) {missing}; simulate them with make_cohort(..., "
            f"contrasts={tuple(contrasts)!r})"
        )
    brain = np.asarray(subject.brain_mask, dtype=bool)
    if not brain.any():
        raise ValueError(f"subject (seed {subject.seed}) has an empty brain mask")
    tumour = (
        np.zeros(brain.shape, dtype=bool)
        if subject.tumor_labels is None
        else np.asarray(subject.tumor_labels) > 0
    )
    image = normalize_subject(subject, contrasts) * brain
    x0, y0, side = _square_box(brain)
    pad = side  # enough to hold any square box that reaches outside the grid
    padded = np.pad(image, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    crop = padded[:, x0 + pad : x0 + pad + side, y0 + pad : y0 + pad + side, :]

    area = brain.sum(axis=(0, 1))
    tumour_voxels = tumour.sum(axis=(0, 1))
    keep = [
        z
        for z in range(0, brain.shape[2], step)
        if area[z] >= min_brain_fraction * area.max()
        and (tumour_voxels[z] == 0 or tumour_voxels[z] >= min_tumour_voxels)
    ]
    stack = torch.from_numpy(np.ascontiguousarray(crop[..., keep].transpose(3, 0, 1, 2)))
    small = F.adaptive_avg_pool2d(stack, size).numpy().astype(np.float32)
    n = len(keep)
    return SliceSet(
        images=small,
        labels=(tumour_voxels[keep] >= min_tumour_voxels).astype(np.int64),
        subject=np.full(n, subject_index, dtype=np.int64),
        center=np.full(n, subject.center, dtype=object),
        z=np.asarray(keep, dtype=np.int64),
    )


def concatenate(parts: Sequence[SliceSet]) -> SliceSet:
    """One :class:`SliceSet` from several (subject indices are kept as they are)."""
    parts = list(parts)
    if not parts:
        raise ValueError("concatenate needs at least one SliceSet")
    return SliceSet(
        *(
            np.concatenate([getattr(p, f) for p in parts])
            for f in ("images", "labels", "subject", "center", "z")
        )
    )
