"""``Compose``: apply transforms one after the other, reproducibly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

from .base import RandomTransform, RngLike, Transform, as_numpy_rng
from .sample import Sample, check_sample

__all__ = ["Compose"]


class _Chain(Transform):
    """A fixed list of deterministic transforms (what ``Compose`` samples and records)."""

    def __init__(self, transforms: Sequence[Transform]) -> None:
        self.transforms = list(transforms)

    def params(self) -> dict[str, Any]:
        return {"transforms": list(self.transforms)}

    def apply(self, sample: Sample) -> Sample:
        for transform in self.transforms:
            sample = transform(sample)
        return sample

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


class Compose(RandomTransform):
    """Apply ``transforms`` in order; random ones are sampled from one shared generator.

    ``last_transform`` is the chain of deterministic transforms that was applied: calling it
    again replays the whole augmentation.
    """

    def __init__(self, transforms: Sequence[Union[Transform, RandomTransform]]) -> None:
        super().__init__()
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not isinstance(t, (Transform, RandomTransform)):
                raise TypeError(
                    f"transforms[{i}] must be a course_lib.augmentation transform, "
                    f"got {type(t).__name__}"
                )

    def sample_transform(self, sample: Sample, rng: RngLike = None) -> Transform:
        check_sample(sample)
        rng = as_numpy_rng(rng)
        return _Chain(
            [
                t if isinstance(t, Transform) else t.sample_transform(sample, rng)
                for t in self.transforms
            ]
        )
