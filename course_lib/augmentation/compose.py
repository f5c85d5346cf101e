"""Combine transforms: ``Compose`` (all, in order) and ``OneOf`` (one, chosen at random).

Both accept deterministic transforms and random wrappers. Calling them samples every
random child once (all of them depend on the sample's dimension and shape only, which no
transform changes), records the resulting deterministic pipeline in ``last_transform``
and applies it, so a whole augmentation chain is reproducible from ``last_transform``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from .base import Identity, RandomTransform, RngLike, Transform, as_numpy_rng
from .sample import Sample, check_sample

__all__ = ["Compose", "OneOf"]

AnyTransform = Union[Transform, RandomTransform]


def _check_children(transforms: Sequence[AnyTransform], name: str) -> list[AnyTransform]:
    children = list(transforms)
    for i, t in enumerate(children):
        if not isinstance(t, (Transform, RandomTransform)):
            raise TypeError(
                f"{name}[{i}] must be a Transform or RandomTransform from "
                f"course_lib.augmentation, got {type(t).__name__}"
            )
    return children


def _sample_child(child: AnyTransform, sample: Sample, rng: RngLike) -> Transform:
    if isinstance(child, Transform):
        return child
    return child.sample_transform(sample, rng)


class _Sequence(Transform):
    """A fixed chain of deterministic transforms (what ``Compose`` records)."""

    def __init__(self, transforms: Sequence[Transform]) -> None:
        self.transforms = list(transforms)

    @property
    def spatial(self) -> bool:  # type: ignore[override]
        return any(t.spatial for t in self.transforms)

    def params(self) -> dict[str, Any]:
        return {"transforms": list(self.transforms)}

    def apply(self, sample: Sample) -> Sample:
        out = dict(sample)
        for t in self.transforms:
            out = t(out)
        return out

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(repr(t) for t in self.transforms) + "])"


class Compose(RandomTransform):
    """Apply transforms one after the other.

    Parameters
    ----------
    transforms : sequence of Transform or RandomTransform
        The chain, first applied first.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform` (``p`` skips the
        whole chain).

    Notes
    -----
    When ``rng`` is given it is turned into one NumPy generator shared by the children
    in order; when it is ``None`` each random child uses its own seed or PyTorch's global
    generator. ``last_transform`` is a deterministic chain; calling it reproduces the
    augmentation.
    """

    def __init__(
        self, transforms: Sequence[AnyTransform], p: float = 1.0, seed: int | None = None
    ) -> None:
        super().__init__(p=p, seed=seed)
        self.transforms = _check_children(transforms, "transforms")

    def sample_transform(self, sample: Sample, rng: RngLike = None) -> Transform:
        check_sample(sample)
        if rng is None and self._rng is not None:
            rng = self._rng
        gen = None if rng is None else as_numpy_rng(rng)
        if self.p < 1.0 and as_numpy_rng(gen).random() >= self.p:
            return Identity()
        return _Sequence([_sample_child(t, sample, gen) for t in self.transforms])


class OneOf(RandomTransform):
    """Apply one transform chosen at random.

    Parameters
    ----------
    transforms : sequence of Transform or RandomTransform
        The candidates.
    probabilities : sequence of float, optional
        Relative weights (normalised to sum 1); uniform by default.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self,
        transforms: Sequence[AnyTransform],
        probabilities: Sequence[float] | None = None,
        p: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(p=p, seed=seed)
        self.transforms = _check_children(transforms, "transforms")
        if not self.transforms:
            raise ValueError("OneOf needs at least one transform")
        if probabilities is None:
            probabilities = [1.0] * len(self.transforms)
        w = np.asarray(probabilities, dtype=np.float64)
        if w.shape != (len(self.transforms),) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(
                f"probabilities must be {len(self.transforms)} non-negative weights with a "
                f"positive sum, got {probabilities!r}"
            )
        self.probabilities = tuple(float(v) for v in w / w.sum())

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Transform:
        index = int(rng.choice(len(self.transforms), p=self.probabilities))
        return _sample_child(self.transforms[index], sample, rng)
