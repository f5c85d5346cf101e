"""A deterministic transform and the random wrapper that samples it (TorchIO's design).

``Gamma(0.8)`` holds every parameter it needs and always does the same thing.
``RandomGamma(0.3)`` only knows parameter *ranges*: each call samples one ``Gamma``, applies it
and keeps it in ``last_transform``, so an augmentation can be replayed and printed. Randomness
comes from the ``rng`` argument: a seed (same seed, same augmentation), a
``numpy.random.Generator`` (advanced), or ``None`` (a seed drawn from PyTorch's global
generator, which ``seed_everything`` seeds and a ``DataLoader`` re-seeds in every worker).

References
----------
.. [1] F. Pérez-García, R. Sparks, S. Ourselin, "TorchIO: a Python library for efficient
   loading, preprocessing, augmentation and patch-based sampling of medical images in deep
   learning", Comput. Methods Programs Biomed. 208:106236, 2021. doi:10.1016/j.cmpb.2021.106236
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np
import torch

from .sample import Sample, check_sample

__all__ = ["Transform", "RandomTransform", "Identity", "as_numpy_rng"]

RngLike = Union[np.random.Generator, int, None]


def as_numpy_rng(rng: RngLike) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a generator (returned as is), a seed, or ``None``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator, a seed (int >= 0) or None, got {rng!r}")


class Transform:
    """A deterministic transform; subclasses define ``apply`` and ``params``."""

    spatial = False  # True: the transform moves voxels, and the label with them

    def __call__(self, sample: Sample, rng: RngLike = None) -> Sample:
        return self.apply(check_sample(sample))

    def apply(self, sample: Sample) -> Sample:  # pragma: no cover - abstract
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """Constructor arguments: ``type(t)(**t.params())`` is the same transform."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={_short(v)}' for k, v in self.params().items())})"


class Identity(Transform):
    """Returns the sample unchanged (what a random wrapper applies when it skips, ``p < 1``)."""

    def apply(self, sample: Sample) -> Sample:
        return dict(sample)


class RandomTransform:
    """Samples a deterministic transform per call; subclasses define ``_sample``.

    Parameters
    ----------
    p : float
        Probability of applying a transform at all (otherwise :class:`Identity`).
    """

    def __init__(self, p: float = 1.0) -> None:
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.last_transform: Transform | None = None

    def sample_transform(self, sample: Sample, rng: RngLike = None) -> Transform:
        """Draw one deterministic transform for this sample's dimension and shape."""
        check_sample(sample)
        rng = as_numpy_rng(rng)
        if self.p < 1.0 and rng.random() >= self.p:
            return Identity()
        return self._sample(sample, rng)

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Transform:  # pragma: no cover
        raise NotImplementedError

    def __call__(self, sample: Sample, rng: RngLike = None) -> Sample:
        self.last_transform = self.sample_transform(sample, rng)
        return self.last_transform(sample)

    def __repr__(self) -> str:
        shown = {k: v for k, v in vars(self).items() if k != "last_transform"}
        return f"{type(self).__name__}({', '.join(f'{k}={_short(v)}' for k, v in shown.items())})"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple) and all(isinstance(v, float) for v in value):
        return "(" + ", ".join(f"{v:.4g}" for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape})"
    return repr(value)


def value_range(value: Any, name: str, center: float = 0.0) -> tuple[float, float]:
    """``x`` -> ``(center - x, center + x)``; a pair ``(low, high)`` is checked and returned."""
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0 when given as one number, got {value}")
        return (center - float(value), center + float(value))
    low, high = (float(v) for v in value)
    if low > high:
        raise ValueError(f"{name} must be (low, high) with low <= high, got ({low}, {high})")
    return (low, high)
