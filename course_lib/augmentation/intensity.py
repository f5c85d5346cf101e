"""A monotone change of contrast (the label is untouched): ``Gamma``.

Another field strength or inversion time changes how bright each tissue is relative to the
others (chapter 01a); a power law ``x -> x ** gamma`` is the usual cheap stand-in (TorchIO's
RandomGamma samples ``log gamma`` uniformly). Each channel is rescaled to its own
``[min, max]``, raised to ``gamma`` and mapped back, so range and intensity order are kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .base import RandomTransform, Transform, value_range
from .sample import Sample

__all__ = ["Gamma", "RandomGamma"]


class Gamma(Transform):
    """``y = lo + (hi - lo) ((x - lo) / (hi - lo)) ** gamma`` per channel; ``gamma = 1`` is the identity."""

    def __init__(self, gamma: float = 1.0) -> None:
        if not gamma > 0:
            raise ValueError(f"gamma must be > 0, got {gamma}")
        self.gamma = float(gamma)

    def params(self) -> dict[str, Any]:
        return {"gamma": self.gamma}

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        x = image.double().flatten(1)
        lo, hi = x.min(dim=1, keepdim=True).values, x.max(dim=1, keepdim=True).values
        span = torch.where(hi > lo, hi - lo, torch.ones_like(hi))
        y = lo + span * ((x - lo) / span) ** self.gamma
        return {**sample, "image": y.reshape(image.shape).to(image.dtype)}


class RandomGamma(RandomTransform):
    """``log(gamma)`` uniform in ``(-x, x)`` (or a ``(low, high)`` range); 0.3 gives gamma 0.74-1.35."""

    def __init__(self, log_gamma: float | tuple[float, float] = 0.3, p: float = 1.0) -> None:
        super().__init__(p)
        self.log_gamma = value_range(log_gamma, "log_gamma")

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Gamma:
        return Gamma(float(np.exp(rng.uniform(*self.log_gamma))))
