"""A smooth multiplicative intensity inhomogeneity (MR bias field): ``BiasField``.

The receive coil makes MR intensities drift slowly across the field of view (what N4 corrects,
Tustison et al. 2010). The field is the simulator's own (:func:`course_lib.simulation.acquisition.bias_field`):
``exp(b)`` with ``b`` a random low-frequency cosine series whose standard deviation over the
field of view is ``strength`` (0.1 = about +-10 %). The simulator's centers use 0.10 to 0.30.

References
----------
.. [1] N. J. Tustison et al., "N4ITK: improved N3 bias correction", IEEE TMI 29(6):1310-1320,
   2010. doi:10.1109/TMI.2010.2046908
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from course_lib.simulation.acquisition import bias_field

from .base import RandomTransform, Transform, value_range
from .sample import Sample

__all__ = ["BiasField", "RandomBiasField"]


class BiasField(Transform):
    """Multiply every channel by the field of ``strength`` drawn with ``seed`` (label unchanged)."""

    def __init__(self, strength: float, seed: int = 0) -> None:
        if not strength >= 0:
            raise ValueError(f"strength (std of the log field) must be >= 0, got {strength}")
        self.strength, self.seed = float(strength), int(seed)

    def params(self) -> dict[str, Any]:
        return {"strength": self.strength, "seed": self.seed}

    def field(self, shape: tuple[int, ...]) -> np.ndarray:
        """The multiplicative field on a spatial ``shape`` (2-D or 3-D), float64."""
        return bias_field(tuple(shape), self.strength, np.random.default_rng(self.seed))

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        field = torch.as_tensor(self.field(tuple(image.shape[1:])), device=image.device)
        return {**sample, "image": (image.double() * field).to(image.dtype)}


class RandomBiasField(RandomTransform):
    """``strength`` uniform in a range (a number ``x`` means ``(0, x)``) and a fresh seed."""

    def __init__(self, strength: float | tuple[float, float] = 0.2, p: float = 1.0) -> None:
        super().__init__(p)
        self.strength = value_range(
            (0.0, strength) if np.isscalar(strength) else strength, "strength"
        )

    def _sample(self, sample: Sample, rng: np.random.Generator) -> BiasField:
        return BiasField(float(rng.uniform(*self.strength)), seed=int(rng.integers(2**62)))
