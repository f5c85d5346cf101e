"""Training on crops: a box around the brain, and batches of random patches inside it.

Whole 2-mm volumes are mostly air, and a small network learns as much from random crops as from
whole slices at a fraction of the cost. Chapters 04 (U-Net) and 05 (augmentation) share these two
pieces:

* :func:`brain_crop_box` — one box (sides a multiple of 8, so that a U-Net can halve them three
  times) around the union of the subjects' brain masks, used to cut every volume the same way;
* :class:`RandomCrops` — an iterable of ``steps`` batches of random crops, drawn from a
  ``torch.Generator`` so that a seed fixes every batch.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
import torch

__all__ = ["brain_crop_box", "grow_to_multiple", "RandomCrops"]


def grow_to_multiple(lo: int, hi: int, n: int, multiple: int) -> slice:
    """Grow ``[lo, hi)`` symmetrically to a length that is a multiple of ``multiple``.

    The result stays inside ``[0, n)``; if the grid is too small for the rounded length, the
    longest multiple that fits (``n // multiple * multiple``) is used.

    Examples
    --------
    >>> grow_to_multiple(17, 30, 64, 8)
    slice(16, 32, None)
    """
    size = min(-(-(hi - lo) // multiple) * multiple, n // multiple * multiple)
    lo = min(max(lo - (size - (hi - lo)) // 2, 0), n - size)
    return slice(int(lo), int(lo + size))


def brain_crop_box(subjects: Sequence, multiple: int = 8, margin: int = 3) -> tuple[slice, ...]:
    """Slices of a box around the union of the subjects' brain masks.

    Parameters
    ----------
    subjects : sequence of Subject
        Simulated subjects on the same grid (anything with a boolean ``brain_mask`` array).
    multiple : int, default 8
        Every side of the box is a multiple of this (a U-Net with three poolings needs 8),
        as long as the grid allows it; the box is grown symmetrically around the brain.
    margin : int, default 3
        Voxels kept around the brain on each side before rounding up.

    Returns
    -------
    tuple of slice
        One slice per axis; ``volume[box]`` cuts a volume, ``volume[(slice(None),) + box]`` a
        channel-first one.
    """
    if not len(subjects):
        raise ValueError("brain_crop_box needs at least one subject; pass the training subjects.")
    if int(multiple) < 1 or int(margin) < 0:
        raise ValueError(
            f"multiple must be >= 1 and margin >= 0, got multiple={multiple}, margin={margin}"
        )
    shapes = {np.shape(s.brain_mask) for s in subjects}
    if len(shapes) != 1:
        raise ValueError(
            f"subjects are on different grids {sorted(shapes)}; simulate them at one resolution."
        )
    union = np.any([s.brain_mask for s in subjects], axis=0)
    if not union.any():
        raise ValueError("the brain masks are empty: there is no brain to put a box around.")
    box = []
    for axis, n in enumerate(union.shape):
        inside = np.flatnonzero(union.any(axis=tuple(a for a in range(union.ndim) if a != axis)))
        lo, hi = max(inside[0] - margin, 0), min(inside[-1] + 1 + margin, n)
        box.append(grow_to_multiple(lo, hi, n, multiple))
    return tuple(box)


class RandomCrops:
    """``steps`` batches of random crops of random images: one "epoch" for :func:`course_lib.fit`.

    Parameters
    ----------
    images : torch.Tensor, shape (N, C, *spatial)
        Channel-first images, 2-D or 3-D.
    targets : torch.Tensor, shape (N, *spatial) or (N, K, *spatial)
        Label maps (or K stacked label maps, e.g. one per output head), on the images' grid.
    patch : int
        Side of the cubic / square crop in voxels; an axis shorter than ``patch`` is taken whole.
    batch_size : int
        Crops per batch; images are drawn with replacement.
    steps : int
        Batches per pass (``len(crops)``).
    generator : torch.Generator
        Source of every random draw, so that one seed gives the same batches.

    Notes
    -----
    Each batch draws, in this order, the image indices and then one start per spatial axis
    for each crop.
    """

    def __init__(
        self,
        images: torch.Tensor,
        targets: torch.Tensor,
        patch: int,
        batch_size: int,
        steps: int,
        generator: torch.Generator,
    ) -> None:
        spatial_dims = images.ndim - 2
        if spatial_dims not in (2, 3):
            raise ValueError(
                f"images must have shape (N, C, H, W) or (N, C, D, H, W), got {tuple(images.shape)}"
            )
        if len(targets) != len(images) or tuple(targets.shape[-spatial_dims:]) != tuple(
            images.shape[2:]
        ):
            raise ValueError(
                f"targets {tuple(targets.shape)} do not match images {tuple(images.shape)}: they need the "
                "same number of samples and the same spatial shape."
            )
        for name, value in (("patch", patch), ("batch_size", batch_size), ("steps", steps)):
            if int(value) < 1:
                raise ValueError(f"{name} must be a positive integer, got {value}")
        self.images, self.targets = images, targets
        self.patch, self.batch_size, self.steps = int(patch), int(batch_size), int(steps)
        self.generator = generator

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g, spatial = self.generator, self.images.shape[2:]
        sizes = [min(self.patch, n) for n in spatial]
        for _ in range(self.steps):
            index = torch.randint(len(self.images), (self.batch_size,), generator=g).tolist()
            starts = [
                torch.randint(n - p + 1, (self.batch_size,), generator=g).tolist()
                for n, p in zip(spatial, sizes)
            ]
            crops = [
                tuple(slice(s[b], s[b] + p) for s, p in zip(starts, sizes))
                for b in range(self.batch_size)
            ]
            yield (
                torch.stack([self.images[i][(Ellipsis,) + c] for i, c in zip(index, crops)]),
                torch.stack([self.targets[i][(Ellipsis,) + c] for i, c in zip(index, crops)]),
            )
