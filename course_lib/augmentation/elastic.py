"""Smooth random deformations as in the U-Net paper: ``ElasticDeformation`` and its sampler.

Ronneberger et al. (2015) trained U-Net on 30 images by warping them with "random
displacement vectors on a coarse 3 by 3 grid", sampled from a Gaussian (10 pixels standard
deviation on 512 x 512 images), with per-pixel displacements from bicubic interpolation;
Simard et al. (2003) introduced elastic distortions for training data. Here the coarse
grid of *control displacements* (voxels) spans the image from corner voxel to corner
voxel and is interpolated to every voxel with a cubic B-spline (the tensor-product
spline of ``scipy.ndimage.map_coordinates``, order 3, mirror boundary; order 1 when an
axis has only 2 control points). The sample is then resampled at
``x + u(x)``: ``out(x) = in(x + u(x))`` (image linear, label nearest).

References
----------
.. [1] O. Ronneberger, P. Fischer, T. Brox, "U-Net: Convolutional networks for biomedical
   image segmentation", MICCAI 2015, LNCS 9351, pp. 234-241.
   doi:10.1007/978-3-319-24574-4_28
.. [2] P. Y. Simard, D. Steinkraus, J. C. Platt, "Best practices for convolutional neural
   networks applied to visual document analysis", ICDAR 2003, pp. 958-963.
   doi:10.1109/ICDAR.2003.1227801
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from ._warp import warp_sample_displacement
from .base import RandomTransform, Transform
from .sample import Sample

__all__ = ["ElasticDeformation", "RandomElasticDeformation", "dense_displacement"]


def dense_displacement(
    control_displacements: np.ndarray, shape: Sequence[int]
) -> np.ndarray:
    """Interpolate control-point displacements to every voxel.

    Parameters
    ----------
    control_displacements : ndarray, shape (ndim, g_0, ..., g_{ndim-1})
        Displacement (voxels) of each control point along each spatial axis; control
        point ``k`` along axis ``a`` sits at voxel ``k (n_a - 1) / (g_a - 1)``.
    shape : sequence of int
        Spatial shape ``(H, W[, D])`` of the image.

    Returns
    -------
    ndarray, shape (ndim, *shape), float64
        Displacement field ``u`` in voxels; it equals the control values at the control
        points and is a smooth (C2 for order 3) function in between.
    """
    ctrl = np.asarray(control_displacements, dtype=np.float64)
    ndim = len(shape)
    if ctrl.ndim != ndim + 1 or ctrl.shape[0] != ndim:
        raise ValueError(
            f"control_displacements must have shape ({ndim}, g_0, ..., g_{ndim - 1}) for a "
            f"{ndim}-D image, got {ctrl.shape}"
        )
    if min(ctrl.shape[1:]) < 2:
        raise ValueError(
            f"need at least 2 control points per axis, got grid {ctrl.shape[1:]}"
        )
    if not np.any(ctrl):
        return np.zeros((ndim, *shape))
    order = 3 if min(ctrl.shape[1:]) >= 3 else 1
    # The n-D spline is a tensor product: interpolate along one axis at a time with a
    # small (n, g) weight matrix (much faster than map_coordinates on the full grid).
    weights = [_interpolation_matrix(g, n, order) for g, n in zip(ctrl.shape[1:], shape)]
    out = np.empty((ndim, *shape))
    for axis in range(ndim):
        field = ctrl[axis]
        for w in weights:  # contract the leading control axis, append the voxel axis
            field = np.tensordot(field, w, axes=([0], [1]))
        out[axis] = field
    return out


def _interpolation_matrix(g: int, n: int, order: int) -> np.ndarray:
    """``(n, g)`` weights: spline through ``g`` control values sampled at ``n`` points."""
    positions = np.linspace(0.0, g - 1.0, n)[None]
    eye = np.eye(g)
    cols = [ndimage.map_coordinates(eye[k], positions, order=order, mode="mirror")
            for k in range(g)]
    return np.stack(cols, axis=1)


class ElasticDeformation(Transform):
    """Warp a sample with a smooth displacement field defined on a coarse grid.

    Parameters
    ----------
    control_displacements : array-like, shape (ndim, g_0, ..., g_{ndim-1})
        Displacements in voxels at the control points (see :func:`dense_displacement`).
    padding_mode : {"zeros", "border"}
        Value for voxels sampled outside the field of view.

    Notes
    -----
    All-zero displacements give back the input exactly.
    """

    spatial = True

    def __init__(self, control_displacements: Any, padding_mode: str = "zeros") -> None:
        ctrl = np.asarray(control_displacements, dtype=np.float64)
        if ctrl.ndim not in (3, 4) or ctrl.shape[0] != ctrl.ndim - 1:
            raise ValueError(
                "control_displacements must have shape (2, g0, g1) or (3, g0, g1, g2), "
                f"got {ctrl.shape}"
            )
        if padding_mode not in ("zeros", "border"):
            raise ValueError(f"padding_mode must be 'zeros' or 'border', got {padding_mode!r}")
        self.control_displacements = ctrl
        self.padding_mode = padding_mode

    def params(self) -> dict[str, Any]:
        return {
            "control_displacements": self.control_displacements.copy(),
            "padding_mode": self.padding_mode,
        }

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        shape = tuple(image.shape[1:])
        if self.control_displacements.shape[0] != len(shape):
            raise ValueError(
                f"control_displacements are {self.control_displacements.shape[0]}-D but the "
                f"sample is {len(shape)}-D"
            )
        field = dense_displacement(self.control_displacements, shape)
        return warp_sample_displacement(sample, field, self.padding_mode)


class RandomElasticDeformation(RandomTransform):
    """Sample Gaussian control displacements on a coarse grid (Ronneberger et al. 2015).

    Parameters
    ----------
    num_control_points : int or sequence of int
        Control points per spatial axis (the U-Net paper used 3; at least 2).
    std_vox : float
        Standard deviation of each displacement component, in voxels (the paper used 10
        pixels on 512-pixel images, about 2 % of the width).
    max_displacement_vox : float, optional
        Clip each component to ``[-max, max]`` voxels.
    padding_mode : {"zeros", "border"}
        Passed to :class:`ElasticDeformation`.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self,
        num_control_points: int | Sequence[int] = 3,
        std_vox: float = 4.0,
        max_displacement_vox: float | None = None,
        padding_mode: str = "zeros",
        p: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(p=p, seed=seed)
        if isinstance(num_control_points, (int, np.integer)):
            num_control_points = (int(num_control_points),)
        self.num_control_points = tuple(int(g) for g in num_control_points)
        if min(self.num_control_points) < 2:
            raise ValueError(
                f"num_control_points must be >= 2 per axis, got {num_control_points!r}"
            )
        if std_vox < 0:
            raise ValueError(f"std_vox must be >= 0, got {std_vox}")
        self.std_vox = float(std_vox)
        self.max_displacement_vox = max_displacement_vox
        self.padding_mode = padding_mode

    def _sample(self, sample: Sample, rng: np.random.Generator) -> ElasticDeformation:
        ndim = sample["image"].ndim - 1
        grid = self.num_control_points
        if len(grid) == 1:
            grid = grid * ndim
        if len(grid) != ndim:
            raise ValueError(
                f"num_control_points has {len(grid)} values for a {ndim}-D sample"
            )
        ctrl = rng.normal(0.0, 1.0, size=(ndim, *grid)) * self.std_vox
        if self.max_displacement_vox is not None:
            m = float(self.max_displacement_vox)
            ctrl = np.clip(ctrl, -m, m)
        return ElasticDeformation(ctrl, padding_mode=self.padding_mode)
