"""Rotation, scaling and translation about the image centre: ``Affine``, ``RandomAffine``.

The *content* moves by ``x' = M (x - c) + c + t`` (voxels, array axes), ``M = R Z`` the
lecture's rotation and zoom (:func:`course_lib.geometry.linear_part`, the convention that
registration and the simulator use: in 3-D ``R = Rx Ry Rz`` about axes 0, 1, 2; in 2-D its
``Rz``), ``c = (n - 1) / 2`` the centre and ``t`` a translation in voxels. The output is
resampled at ``x = M^-1 (x' - c - t) + c``: image linear, label nearest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from course_lib.geometry import linear_part

from ._warp import warp_sample_matrix
from .base import RandomTransform, Transform, value_range
from .sample import Sample

__all__ = ["Affine", "RandomAffine"]


def _floats(value: float | Sequence[float]) -> tuple[float, ...]:
    return (float(value),) if np.isscalar(value) else tuple(float(v) for v in value)


class Affine(Transform):
    """Rotate (degrees), scale and translate (voxels) a sample about its centre.

    Parameters
    ----------
    rotation_deg : float or 3 floats
        One angle in 2-D; angles about axes 0, 1, 2 in 3-D.
    scale : float or one per axis
        Zoom factors, ``> 0`` (``> 1`` enlarges the anatomy).
    translation_vox : float or one per axis
        Shift of the content in voxels.
    padding_mode : {"zeros", "border"}
        What comes in from outside the field of view.
    """

    spatial = True

    def __init__(
        self,
        rotation_deg: float | Sequence[float] = 0.0,
        scale: float | Sequence[float] = 1.0,
        translation_vox: float | Sequence[float] = 0.0,
        padding_mode: str = "zeros",
    ) -> None:
        self.rotation_deg, self.scale = _floats(rotation_deg), _floats(scale)
        self.translation_vox = _floats(translation_vox)
        if min(self.scale) <= 0:
            raise ValueError(f"scale factors must be > 0, got {self.scale}")
        if padding_mode not in ("zeros", "border"):
            raise ValueError(f"padding_mode must be 'zeros' or 'border', got {padding_mode!r}")
        self.padding_mode = padding_mode

    def params(self) -> dict[str, Any]:
        return {
            "rotation_deg": self.rotation_deg,
            "scale": self.scale,
            "translation_vox": self.translation_vox,
            "padding_mode": self.padding_mode,
        }

    def matrix(self, ndim: int) -> tuple[np.ndarray, np.ndarray]:
        """``(M, t)`` of the forward content map ``x' = M (x - c) + c + t`` for ``ndim`` 2 or 3."""
        rotation = self.rotation_deg
        if ndim == 3 and rotation == (0.0,):
            rotation = (0.0, 0.0, 0.0)
        scale = self.scale * ndim if len(self.scale) == 1 else self.scale
        shift = (
            self.translation_vox * ndim if len(self.translation_vox) == 1 else self.translation_vox
        )
        if len(rotation) != (1 if ndim == 2 else 3) or len(scale) != ndim or len(shift) != ndim:
            raise ValueError(
                f"a {ndim}-D sample needs {1 if ndim == 2 else 3} angle(s) and 1 or {ndim} "
                f"scales/translations, got {self.params()}"
            )
        return linear_part(np.deg2rad(rotation), scale, 0.0, ndim), np.asarray(
            shift, dtype=np.float64
        )

    def apply(self, sample: Sample) -> Sample:
        shape = np.asarray(sample["image"].shape[1:], dtype=np.float64)
        m, t = self.matrix(len(shape))
        centre = (shape - 1.0) / 2.0
        pull = np.eye(len(shape) + 1)  # output voxel -> input voxel
        pull[:-1, :-1] = np.linalg.inv(m)
        pull[:-1, -1] = centre - pull[:-1, :-1] @ (centre + t)
        return warp_sample_matrix(sample, pull, self.padding_mode)


class RandomAffine(RandomTransform):
    """Uniform angles in ``degrees``, one zoom in ``scales``, shifts in ``translation_vox``.

    A number ``x`` means ``(-x, x)`` (degrees, translation) or ``(1 - x, 1 + x)`` (scales).
    """

    def __init__(
        self,
        degrees: float | tuple[float, float] = 10.0,
        scales: float | tuple[float, float] = 0.1,
        translation_vox: float | tuple[float, float] = 0.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.degrees = value_range(degrees, "degrees")
        self.scales = value_range(scales, "scales", center=1.0)
        if self.scales[0] <= 0:
            raise ValueError(f"scales must stay > 0, got range {self.scales}")
        self.translation_vox = value_range(translation_vox, "translation_vox")

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Affine:
        ndim = sample["image"].ndim - 1
        return Affine(
            rotation_deg=tuple(rng.uniform(*self.degrees, 1 if ndim == 2 else 3).tolist()),
            scale=float(rng.uniform(*self.scales)),
            translation_vox=tuple(rng.uniform(*self.translation_vox, ndim).tolist()),
        )
