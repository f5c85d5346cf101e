"""Global intensity changes of the image (the label is untouched): gamma and contrast.

Both transforms act on each channel separately and compute in float64, returning the
image's dtype; neutral parameters (``gamma=1``, ``factor=1, shift=0``) give the input
back. Scanners and protocols differ in exactly this way (a monotone change of the
intensity scale), which is why these augmentations are a cheap stand-in for data from
another centre (compare chapter 08, harmonization).

References
----------
.. [1] F. Pérez-García, R. Sparks, S. Ourselin, "TorchIO: a Python library for efficient
   loading, preprocessing, augmentation and patch-based sampling of medical images in deep
   learning", Computer Methods and Programs in Biomedicine 208:106236, 2021.
   doi:10.1016/j.cmpb.2021.106236 (RandomGamma's log-uniform gamma).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .base import RandomTransform, Transform, uniform_range
from .sample import Sample

__all__ = ["Gamma", "RandomGamma", "Contrast", "RandomContrast"]


def _channel_reduce(x: torch.Tensor, fn: str) -> torch.Tensor:
    """Per-channel min/max/mean/std of ``x`` (C, ...), shaped to broadcast."""
    flat = x.reshape(x.shape[0], -1)
    if fn == "min":
        v = flat.min(dim=1).values
    elif fn == "max":
        v = flat.max(dim=1).values
    elif fn == "mean":
        v = flat.mean(dim=1)
    else:
        v = flat.std(dim=1, correction=0)
    return v.reshape((-1,) + (1,) * (x.ndim - 1))


class Gamma(Transform):
    """Power-law intensity change ``y = lo + (hi - lo) ((x - lo) / (hi - lo)) ** gamma``.

    ``lo`` and ``hi`` are the channel's minimum and maximum, so the range is kept and
    the order of intensities too; ``gamma < 1`` brightens mid-tones, ``gamma > 1`` darkens
    them.

    Parameters
    ----------
    gamma : float
        Exponent, ``> 0``; ``1`` is the identity.
    """

    def __init__(self, gamma: float = 1.0) -> None:
        if not gamma > 0:
            raise ValueError(f"gamma must be > 0, got {gamma}")
        self.gamma = float(gamma)

    def params(self) -> dict[str, Any]:
        return {"gamma": self.gamma}

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        x = image.to(torch.float64)
        lo, hi = _channel_reduce(x, "min"), _channel_reduce(x, "max")
        span = torch.where(hi > lo, hi - lo, torch.ones_like(hi))
        y = lo + span * ((x - lo) / span) ** self.gamma
        out = dict(sample)
        out["image"] = y.to(image.dtype)
        return out


class RandomGamma(RandomTransform):
    """Sample :class:`Gamma` with ``log(gamma)`` uniform in a range.

    Parameters
    ----------
    log_gamma : float or (low, high)
        Range of ``log(gamma)``; ``x`` means ``(-x, x)``. ``0.3`` gives gamma in about
        ``[0.74, 1.35]``.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self,
        log_gamma: float | tuple[float, float] = 0.3,
        p: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(p=p, seed=seed)
        self.log_gamma = uniform_range(log_gamma, "log_gamma")

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Gamma:
        return Gamma(float(np.exp(rng.uniform(*self.log_gamma))))


class Contrast(Transform):
    """Linear contrast/brightness change ``y = m + factor (x - m) + shift * s``.

    ``m`` and ``s`` are the channel's mean and standard deviation over all voxels, so
    ``factor`` stretches intensities about the mean and ``shift`` moves them by a number
    of standard deviations.

    Parameters
    ----------
    factor : float
        Contrast factor, ``> 0`` (``1`` keeps the contrast).
    shift : float
        Brightness change in channel standard deviations (``0`` keeps it).
    """

    def __init__(self, factor: float = 1.0, shift: float = 0.0) -> None:
        if not factor > 0:
            raise ValueError(f"factor must be > 0, got {factor}")
        self.factor = float(factor)
        self.shift = float(shift)

    def params(self) -> dict[str, Any]:
        return {"factor": self.factor, "shift": self.shift}

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        x = image.to(torch.float64)
        m = _channel_reduce(x, "mean")
        y = m + self.factor * (x - m)
        if self.shift != 0.0:
            y = y + self.shift * _channel_reduce(x, "std")
        out = dict(sample)
        out["image"] = y.to(image.dtype)
        return out


class RandomContrast(RandomTransform):
    """Sample :class:`Contrast` uniformly within ranges.

    Parameters
    ----------
    factor : float or (low, high)
        Range of the contrast factor; ``x`` means ``(1 - x, 1 + x)``.
    shift : float or (low, high)
        Range of the brightness shift (channel standard deviations); ``x`` means
        ``(-x, x)``.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self,
        factor: float | tuple[float, float] = 0.25,
        shift: float | tuple[float, float] = 0.0,
        p: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(p=p, seed=seed)
        self.factor = uniform_range(factor, "factor", center=1.0)
        if self.factor[0] <= 0:
            raise ValueError(f"factor range must stay > 0, got {self.factor}")
        self.shift = uniform_range(shift, "shift")

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Contrast:
        return Contrast(
            factor=float(rng.uniform(*self.factor)), shift=float(rng.uniform(*self.shift))
        )
