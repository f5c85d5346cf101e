"""Rotation, scaling and translation about the image centre: ``Affine``, ``RandomAffine``.

Convention (voxel space, spatial axes ``0=H, 1=W, 2=D``): the *content* of the image moves
by the forward map ``x' = M (x - c) + c + t`` with ``M = R Z``, ``c`` the image centre
``(n - 1) / 2`` and ``t`` the translation in voxels; a positive translation moves the
anatomy towards higher indices, a zoom ``> 1`` enlarges it. The output is resampled at
``x = M^-1 (x' - c - t) + c`` (image: linear, label: nearest). ``R`` and ``Z`` are the
lecture's (:func:`course_lib.geometry.linear_part`): in 3-D ``R = Rx Ry Rz`` about axes 0,
1, 2 with the lecture's signs, in 2-D its ``Rz`` restricted to the plane -- the same
convention as registration and the simulator. Voxel space is not millimetre space: with
anisotropic voxels a rotation here is not rigid in mm.

References
----------
.. [1] P. Y. Simard, D. Steinkraus, J. C. Platt, "Best practices for convolutional neural
   networks applied to visual document analysis", ICDAR 2003, pp. 958-963.
   doi:10.1109/ICDAR.2003.1227801
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from course_lib.geometry import linear_part

from ._warp import warp_sample_matrix
from .base import RandomTransform, Transform, uniform_range
from .sample import Sample

__all__ = ["Affine", "RandomAffine"]


def _as_tuple(value: float | Sequence[float], name: str) -> tuple[float, ...]:
    if isinstance(value, (int, float, np.integer, np.floating)):
        return (float(value),)
    out = tuple(float(v) for v in value)
    if not out:
        raise ValueError(f"{name} must not be empty")
    return out


class Affine(Transform):
    """Rotate, scale and translate a sample about its centre (voxel space).

    Parameters
    ----------
    rotation_deg : float or sequence of float
        One angle (2-D) or three angles about axes 0, 1, 2 (3-D), in degrees.
    scale : float or sequence of float
        Isotropic factor or one factor per spatial axis (``> 0``).
    translation_vox : float or sequence of float
        Shift of the content, in voxels, one value per axis (a single number is used
        for every axis).
    padding_mode : {"zeros", "border"}
        Value for voxels that come from outside the field of view: ``0`` (background,
        also label 0) or the nearest border voxel.

    Notes
    -----
    Identity parameters give back the input exactly (resampling on voxel centres in
    float64). See the module docstring for the conventions.
    """

    spatial = True

    def __init__(
        self,
        rotation_deg: float | Sequence[float] = 0.0,
        scale: float | Sequence[float] = 1.0,
        translation_vox: float | Sequence[float] = 0.0,
        padding_mode: str = "zeros",
    ) -> None:
        self.rotation_deg = _as_tuple(rotation_deg, "rotation_deg")
        self.scale = _as_tuple(scale, "scale")
        self.translation_vox = _as_tuple(translation_vox, "translation_vox")
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
        """Return ``(M, t)`` of the forward content map ``x' = M (x - c) + c + t``."""
        if ndim not in (2, 3):
            raise ValueError(f"ndim must be 2 or 3, got {ndim}")
        n_angles = 1 if ndim == 2 else 3
        rot = self.rotation_deg
        if len(rot) == 1 and ndim == 3 and rot[0] == 0.0:
            rot = (0.0, 0.0, 0.0)
        if len(rot) != n_angles:
            raise ValueError(
                f"a {ndim}-D sample needs {n_angles} rotation angle(s), got rotation_deg={rot}"
            )
        scale = self.scale * ndim if len(self.scale) == 1 else self.scale
        trans = self.translation_vox * ndim if len(self.translation_vox) == 1 else self.translation_vox
        if len(scale) != ndim or len(trans) != ndim:
            raise ValueError(
                f"scale and translation_vox need 1 or {ndim} values for a {ndim}-D sample, "
                f"got scale={self.scale}, translation_vox={self.translation_vox}"
            )
        m = linear_part(np.deg2rad(rot), scale, 0.0, ndim)
        return m, np.asarray(trans, dtype=np.float64)

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        shape = tuple(image.shape[1:])
        m, t = self.matrix(len(shape))
        centre = (np.asarray(shape, dtype=np.float64) - 1.0) / 2.0
        inv = np.linalg.inv(m)
        # pull-back: x = inv (x' - c - t) + c  =  inv x' + offset
        offset = centre - inv @ (centre + t)
        ndim = len(shape)
        pull = np.eye(ndim + 1)
        pull[:ndim, :ndim] = inv
        pull[:ndim, ndim] = offset
        return warp_sample_matrix(sample, pull, self.padding_mode)


class RandomAffine(RandomTransform):
    """Sample an :class:`Affine` uniformly within ranges.

    Parameters
    ----------
    degrees : float or (low, high)
        Range of each rotation angle in degrees (``x`` means ``(-x, x)``); one angle in
        2-D, three in 3-D.
    scales : float or (low, high)
        Range of the scale factor (``x`` means ``(1 - x, 1 + x)``).
    translation_vox : float or (low, high)
        Range of each translation component in voxels (``x`` means ``(-x, x)``).
    isotropic : bool
        One scale factor for all axes (default) or one per axis.
    padding_mode : {"zeros", "border"}
        Passed to :class:`Affine`.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self,
        degrees: float | tuple[float, float] = 10.0,
        scales: float | tuple[float, float] = 0.1,
        translation_vox: float | tuple[float, float] = 0.0,
        isotropic: bool = True,
        padding_mode: str = "zeros",
        p: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(p=p, seed=seed)
        self.degrees = uniform_range(degrees, "degrees")
        self.scales = uniform_range(scales, "scales", center=1.0)
        if self.scales[0] <= 0:
            raise ValueError(f"scales must stay > 0, got range {self.scales}")
        self.translation_vox = uniform_range(translation_vox, "translation_vox")
        self.isotropic = bool(isotropic)
        self.padding_mode = padding_mode

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Affine:
        ndim = sample["image"].ndim - 1
        n_angles = 1 if ndim == 2 else 3
        rot = rng.uniform(*self.degrees, size=n_angles)
        scale = rng.uniform(*self.scales, size=1 if self.isotropic else ndim)
        trans = rng.uniform(*self.translation_vox, size=ndim)
        return Affine(
            rotation_deg=tuple(float(v) for v in rot),
            scale=tuple(float(v) for v in scale),
            translation_vox=tuple(float(v) for v in trans),
            padding_mode=self.padding_mode,
        )
