"""Base classes: deterministic transforms and the random wrappers that sample them.

The design follows TorchIO (Pérez-García et al. 2021): a *deterministic* transform such as
``Gamma(gamma=0.8)`` holds every parameter it needs and always does the same thing; its
*random* counterpart ``RandomGamma(log_gamma=0.3)`` only knows parameter *ranges*, samples
one set of parameters per call and applies the deterministic transform built from them.
The sampled transform is kept in ``last_transform`` and its parameters in ``last_params``,
so ``type(t.last_transform)(**t.last_params)`` reproduces the augmentation exactly.

Where the randomness comes from (``rng`` argument of ``RandomTransform.__call__``):

* a ``numpy.random.Generator`` or a ``torch.Generator`` that you pass (it is advanced);
* an ``int`` seed (same seed, same augmentation);
* ``None``: the wrapper's own generator if it was built with ``seed=...``, otherwise a seed
  drawn from PyTorch's global generator. The latter is what a ``DataLoader`` re-seeds in
  each worker process and what ``course_lib.core.seeding.seed_everything`` seeds, so workers do
  not repeat each other's augmentations (a generator stored in the transform would be
  copied into every worker and would).

References
----------
.. [1] F. Pérez-García, R. Sparks, S. Ourselin, "TorchIO: a Python library for efficient
   loading, preprocessing, augmentation and patch-based sampling of medical images in deep
   learning", Computer Methods and Programs in Biomedicine 208:106236, 2021.
   doi:10.1016/j.cmpb.2021.106236
"""
from __future__ import annotations

from typing import Any, Union

import numpy as np
import torch

from .sample import Sample, check_sample

__all__ = ["Transform", "RandomTransform", "Identity", "RngLike", "as_numpy_rng"]

RngLike = Union[np.random.Generator, torch.Generator, int, None]


def as_numpy_rng(rng: RngLike) -> np.random.Generator:
    """Turn any accepted source of randomness into a ``numpy.random.Generator``.

    Parameters
    ----------
    rng : numpy.random.Generator, torch.Generator, int or None
        A NumPy generator is returned as is; a torch generator and ``None`` (PyTorch's
        global generator) provide a 62-bit seed for a new NumPy generator; an ``int`` is
        used as the seed.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, torch.Generator):
        seed = int(torch.randint(0, 2**62, (1,), generator=rng).item())
        return np.random.default_rng(seed)
    if rng is None:
        return np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng must be a numpy.random.Generator, a torch.Generator, a non-negative int "
        f"seed or None, got {rng!r}"
    )


class Transform:
    """A deterministic transform of a sample dict (see :mod:`.sample`).

    Subclasses implement :meth:`apply` and :meth:`params`; ``spatial`` says whether the
    transform moves voxels (then the label moves too) or changes intensities only.
    """

    spatial: bool = False

    def __call__(self, sample: Sample, rng: RngLike = None) -> Sample:
        """Return a new sample; ``rng`` is accepted for symmetry and ignored."""
        return self.apply(check_sample(sample))

    def apply(self, sample: Sample) -> Sample:  # pragma: no cover - abstract
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """Constructor arguments: ``type(self)(**self.params())`` is the same transform."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


class Identity(Transform):
    """The transform that returns the sample unchanged (a shallow copy of the dict)."""

    def apply(self, sample: Sample) -> Sample:
        return dict(sample)


class RandomTransform:
    """Sample the parameters of a deterministic transform, then apply it.

    Parameters
    ----------
    p : float
        Probability of applying the transform at all; otherwise :class:`Identity` is
        recorded and the sample is returned unchanged.
    seed : int, optional
        Give the wrapper its own generator (used when ``rng`` is ``None`` at call time).

    Attributes
    ----------
    last_transform : Transform or None
        The deterministic transform applied by the latest call.
    last_params : dict or None
        Its parameters, ``last_transform.params()``.
    """

    def __init__(self, p: float = 1.0, seed: int | None = None) -> None:
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.seed = seed
        self._rng = None if seed is None else as_numpy_rng(seed)
        self.last_transform: Transform | None = None
        self.last_params: dict[str, Any] | None = None

    def sample_transform(self, sample: Sample, rng: RngLike = None) -> Transform:
        """Draw one deterministic transform for ``sample`` (its dimension and shape)."""
        check_sample(sample)
        gen = self._rng if (rng is None and self._rng is not None) else as_numpy_rng(rng)
        if self.p < 1.0 and gen.random() >= self.p:
            return Identity()
        return self._sample(sample, gen)

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Transform:
        raise NotImplementedError  # pragma: no cover - abstract

    def __call__(self, sample: Sample, rng: RngLike = None) -> Sample:
        """Sample a transform, record it in ``last_transform``/``last_params``, apply it."""
        transform = self.sample_transform(sample, rng)
        self.last_transform = transform
        self.last_params = transform.params()
        return transform(sample)

    def __repr__(self) -> str:
        skip = {"_rng", "last_transform", "last_params"}
        args = ", ".join(
            f"{k}={_short(v)}" for k, v in vars(self).items() if k not in skip
        )
        return f"{type(self).__name__}({args})"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape})"
    if isinstance(value, (tuple, list)) and len(value) > 6:
        return f"{type(value).__name__}(len={len(value)})"
    return repr(value)


def uniform_range(value: Any, name: str, center: float = 0.0) -> tuple[float, float]:
    """Turn ``x`` into ``(center - x, center + x)`` and check a ``(low, high)`` pair."""
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0 when given as one number, got {value}")
        return (center - float(value), center + float(value))
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a number x (range center-x..center+x) or a pair (low, high), "
            f"got {value!r}"
        ) from None
    if low > high:
        raise ValueError(f"{name} must satisfy low <= high, got ({low}, {high})")
    return (low, high)
