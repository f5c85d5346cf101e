"""Rician noise, as in a magnitude MR image: ``Noise``.

The scanner measures a complex signal with Gaussian noise of standard deviation ``sigma`` in
its real and imaginary parts; the image is the magnitude ``|x + sigma (n1 + i n2)|``, Rician
distributed (Gudbjartsson & Patz 1995): close to Gaussian in bright tissue, Rayleigh in the
background. The noise is the simulator's own (:func:`course_lib.simulation.acquisition.rician_noise`).
On images divided by their mean brain signal (chapter 05), ``sigma`` is a fraction of that
signal, like the simulator's center presets (0.025 to 0.09).

References
----------
.. [1] H. Gudbjartsson, S. Patz, "The Rician distribution of noisy MRI data", Magn. Reson. Med.
   34(6):910-914, 1995. doi:10.1002/mrm.1910340618
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from course_lib.simulation.acquisition import rician_noise

from .base import RandomTransform, Transform, value_range
from .sample import Sample

__all__ = ["Noise", "RandomNoise"]


class Noise(Transform):
    """Add Rician noise of ``sigma`` (image intensity units), drawn with ``seed``."""

    def __init__(self, sigma: float, seed: int = 0) -> None:
        if not sigma >= 0:
            raise ValueError(f"sigma must be >= 0 (image intensity units), got {sigma}")
        self.sigma, self.seed = float(sigma), int(seed)

    def params(self) -> dict[str, Any]:
        return {"sigma": self.sigma, "seed": self.seed}

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        noisy = rician_noise(
            image.detach().cpu().numpy(), self.sigma, np.random.default_rng(self.seed)
        )
        return {**sample, "image": torch.from_numpy(noisy).to(image.device, image.dtype)}


class RandomNoise(RandomTransform):
    """``sigma`` uniform in a range (a number ``x`` means ``(0, x)``) and a fresh seed."""

    def __init__(self, sigma: float | tuple[float, float] = 0.05, p: float = 1.0) -> None:
        super().__init__(p)
        self.sigma = value_range((0.0, sigma) if np.isscalar(sigma) else sigma, "sigma")

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Noise:
        return Noise(float(rng.uniform(*self.sigma)), seed=int(rng.integers(2**62)))
