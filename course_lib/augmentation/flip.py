"""Mirror a sample along spatial axes: ``Flip`` and ``RandomFlip``."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .base import RandomTransform, Transform
from .sample import Sample

__all__ = ["Flip", "RandomFlip"]


def _check_axes(axes: Sequence[int] | int, name: str = "axes") -> tuple[int, ...]:
    if isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    out = tuple(int(a) for a in axes)
    if any(a < 0 or a > 2 for a in out) or len(set(out)) != len(out):
        raise ValueError(
            f"{name} must be distinct spatial axes in 0..2 (0=H, 1=W, 2=D; the channel "
            f"axis is not counted), got {axes!r}"
        )
    return out


class Flip(Transform):
    """Reverse the order of voxels along the given spatial axes (image and label alike).

    Parameters
    ----------
    axes : int or sequence of int
        Spatial axes ``0=H, 1=W, 2=D`` (the channel axis is not counted). For brain MRI
        only the left-right axis gives plausible anatomy; which axis that is depends on
        how the volume is stored (RAS-canonical volumes: spatial axis 0).

    Notes
    -----
    Flipping is exact (no interpolation) and its own inverse.
    """

    spatial = True

    def __init__(self, axes: Sequence[int] | int = (0,)) -> None:
        self.axes = _check_axes(axes)

    def params(self) -> dict[str, Any]:
        return {"axes": self.axes}

    def apply(self, sample: Sample) -> Sample:
        ndim = sample["image"].ndim - 1
        if any(a >= ndim for a in self.axes):
            raise ValueError(
                f"Flip axes {self.axes} do not exist in a {ndim}-D sample; use axes < {ndim}"
            )
        out = dict(sample)
        if not self.axes:
            return out
        out["image"] = torch.flip(sample["image"], dims=[a + 1 for a in self.axes])
        if sample.get("label") is not None:
            out["label"] = torch.flip(sample["label"], dims=list(self.axes))
        return out


class RandomFlip(RandomTransform):
    """Flip each of ``axes`` independently with probability ``flip_probability``.

    Parameters
    ----------
    axes : int or sequence of int
        Candidate spatial axes (``0=H, 1=W, 2=D``); axes absent from a 2-D sample are
        ignored.
    flip_probability : float
        Probability that each candidate axis is flipped.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self,
        axes: Sequence[int] | int = (0,),
        flip_probability: float = 0.5,
        p: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(p=p, seed=seed)
        self.axes = _check_axes(axes)
        if not 0.0 <= float(flip_probability) <= 1.0:
            raise ValueError(f"flip_probability must be in [0, 1], got {flip_probability}")
        self.flip_probability = float(flip_probability)

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Flip:
        ndim = sample["image"].ndim - 1
        draws = rng.random(len(self.axes))
        chosen = tuple(
            a for a, u in zip(self.axes, draws) if u < self.flip_probability and a < ndim
        )
        return Flip(chosen)
