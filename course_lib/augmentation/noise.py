"""Additive Gaussian or Rician noise: ``Noise`` (seeded) and ``RandomNoise``.

Magnitude MR images have Rician noise: the magnitude of a complex signal whose real and
imaginary parts carry independent Gaussian noise of standard deviation ``sigma``
(Gudbjartsson & Patz 1995). In bright tissue it is close to Gaussian with the same
``sigma``; in the background it is Rayleigh distributed (mean ``sigma sqrt(pi/2)``).

The noise field is drawn from a CPU ``torch.Generator`` seeded with ``seed`` and then moved
to the image's device, so the same ``(std, seed)`` gives the same image on any device.

References
----------
.. [1] H. Gudbjartsson, S. Patz, "The Rician distribution of noisy MRI data", Magnetic
   Resonance in Medicine 34(6):910-914, 1995. doi:10.1002/mrm.1910340618
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .base import RandomTransform, Transform, uniform_range
from .sample import Sample

__all__ = ["Noise", "RandomNoise"]


class Noise(Transform):
    """Add noise of standard deviation ``std`` (image intensity units) to the image.

    Parameters
    ----------
    std : float
        Standard deviation ``sigma`` of the Gaussian noise (per real/imaginary part for
        Rician noise), in the image's intensity units; ``0`` is the identity.
    seed : int
        Seed of the noise field.
    kind : {"gaussian", "rician"}
        ``"gaussian"``: ``y = x + sigma n``; ``"rician"``:
        ``y = sqrt((x + sigma n1)^2 + (sigma n2)^2)`` (non-negative).
    """

    def __init__(self, std: float, seed: int = 0, kind: str = "gaussian") -> None:
        if not std >= 0:
            raise ValueError(f"std must be >= 0 (intensity units), got {std}")
        if kind not in ("gaussian", "rician"):
            raise ValueError(f"kind must be 'gaussian' or 'rician', got {kind!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self.std = float(std)
        self.seed = int(seed)
        self.kind = kind

    def params(self) -> dict[str, Any]:
        return {"std": self.std, "seed": self.seed, "kind": self.kind}

    def noise_field(self, shape: tuple[int, ...], device: torch.device | str = "cpu") -> torch.Tensor:
        """Standard normal draws of shape ``(2, *shape)`` (second one used by Rician), float64."""
        gen = torch.Generator(device="cpu")
        gen.manual_seed(self.seed)
        n = torch.randn((2, *shape), generator=gen, dtype=torch.float64)
        return n.to(device)

    def apply(self, sample: Sample) -> Sample:
        out = dict(sample)
        if self.std == 0.0 and self.kind == "gaussian":
            return out
        image = sample["image"]
        n = self.noise_field(tuple(image.shape), image.device)
        x = image.to(torch.float64)
        if self.kind == "gaussian":
            y = x + self.std * n[0]
        else:
            y = torch.sqrt((x + self.std * n[0]) ** 2 + (self.std * n[1]) ** 2)
        out["image"] = y.to(image.dtype)
        return out


class RandomNoise(RandomTransform):
    """Sample :class:`Noise` with ``std`` uniform in a range and a fresh seed.

    Parameters
    ----------
    std : float or (low, high)
        Range of the noise standard deviation in intensity units; ``x`` means ``(0, x)``.
    kind : {"gaussian", "rician"}
        Passed to :class:`Noise`.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self,
        std: float | tuple[float, float] = 0.05,
        kind: str = "gaussian",
        p: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(p=p, seed=seed)
        if isinstance(std, (int, float, np.integer, np.floating)):
            std = (0.0, float(std))
        self.std = uniform_range(std, "std")
        if self.std[0] < 0:
            raise ValueError(f"std range must be >= 0, got {self.std}")
        self.kind = kind

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Noise:
        std = float(rng.uniform(*self.std))
        return Noise(std=std, seed=int(rng.integers(0, 2**62)), kind=self.kind)
