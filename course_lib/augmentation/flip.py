"""Mirror a sample: ``Flip`` and ``RandomFlip``.

For brains, only the **left-right** flip gives a plausible image: the hemispheres are nearly
mirror images, while a brain mirrored front-to-back or top-to-bottom does not exist. In our
volumes (RAS, chapter 00) and in their axial slices, left-right is spatial axis 0, the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .base import RandomTransform, Transform
from .sample import Sample

__all__ = ["Flip", "RandomFlip"]


class Flip(Transform):
    """Reverse the voxel order along spatial ``axes`` (image and label; exact, its own inverse)."""

    spatial = True

    def __init__(self, axes: Sequence[int] | int = (0,)) -> None:
        axes = (axes,) if isinstance(axes, (int, np.integer)) else axes
        self.axes = tuple(int(a) for a in axes)
        if any(a not in (0, 1, 2) for a in self.axes) or len(set(self.axes)) != len(self.axes):
            raise ValueError(
                f"axes must be distinct spatial axes 0, 1, 2 (the channel axis is not "
                f"counted), got {axes!r}"
            )

    def params(self) -> dict[str, Any]:
        return {"axes": self.axes}

    def apply(self, sample: Sample) -> Sample:
        ndim = sample["image"].ndim - 1
        if any(a >= ndim for a in self.axes):
            raise ValueError(f"Flip axes {self.axes} do not exist in a {ndim}-D sample")
        out = dict(sample)
        if self.axes:
            out["image"] = torch.flip(sample["image"], [a + 1 for a in self.axes])
            if sample.get("label") is not None:
                out["label"] = torch.flip(sample["label"], list(self.axes))
        return out


class RandomFlip(RandomTransform):
    """Flip along ``axis`` (default 0, left-right) with probability ``flip_probability``."""

    def __init__(self, axis: int = 0, flip_probability: float = 0.5) -> None:
        super().__init__()
        self.axis = int(axis)
        if not 0.0 <= flip_probability <= 1.0:
            raise ValueError(f"flip_probability must be in [0, 1], got {flip_probability}")
        self.flip_probability = float(flip_probability)

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Flip:
        return Flip((self.axis,) if rng.random() < self.flip_probability else ())
