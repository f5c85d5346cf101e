"""Smooth random deformations, as in the U-Net paper: ``ElasticDeformation``.

Simard et al. (2003) made "elastic" training examples by smoothing random displacements;
Ronneberger et al. (2015) drew them on a coarse 3 x 3 grid and interpolated. Here the
displacements ``u`` (voxels) are given on a coarse grid of control nodes and turned into a
dense field with the cubic B-spline of the simulator's deformations
(:func:`course_lib.simulation.deformation.bspline_weights`, the free-form deformation of
Rueckert et al. 1999): with ``g`` nodes along an axis of ``n`` voxels, voxel ``i`` sits at node
position ``1 + i (g - 3) / (n - 1)``, so the image spans nodes 1 to ``g - 2`` and every voxel
has all four of its nodes. The sample is resampled at ``x + u(x)``.

References
----------
.. [1] P. Y. Simard, D. Steinkraus, J. C. Platt, "Best practices for convolutional neural
   networks applied to visual document analysis", ICDAR 2003. doi:10.1109/ICDAR.2003.1227801
.. [2] O. Ronneberger, P. Fischer, T. Brox, "U-Net: convolutional networks for biomedical image
   segmentation", MICCAI 2015. doi:10.1007/978-3-319-24574-4_28
.. [3] D. Rueckert et al., "Nonrigid registration using free-form deformations", IEEE TMI
   18(8):712-721, 1999. doi:10.1109/42.796284
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from course_lib.simulation.deformation import bspline_weights

from ._warp import warp_sample_displacement
from .base import RandomTransform, Transform
from .sample import Sample

__all__ = ["ElasticDeformation", "RandomElasticDeformation", "dense_displacement"]


def dense_displacement(control_displacements: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Cubic B-spline field ``(ndim, *shape)`` (voxels) from node displacements ``(ndim, g0, g1[, g2])``."""
    ctrl = np.asarray(control_displacements, dtype=np.float64)
    ndim = len(shape)
    if ctrl.ndim != ndim + 1 or ctrl.shape[0] != ndim or min(ctrl.shape[1:]) < 4:
        raise ValueError(
            f"control_displacements must be ({ndim}, g0, ...) with >= 4 nodes per axis "
            f"for a {ndim}-D image, got {ctrl.shape}"
        )
    weights = [
        bspline_weights(np.linspace(1.0, g - 2.0, n), g).astype(np.float64)
        for g, n in zip(ctrl.shape[1:], shape)
    ]
    field = ctrl
    for w in weights:  # contract one node axis at a time; voxel axes are appended
        field = np.tensordot(field, w, axes=([1], [1]))
    return field


class ElasticDeformation(Transform):
    """Warp image and label by the B-spline field of ``control_displacements`` (voxels)."""

    spatial = True

    def __init__(self, control_displacements: Any, padding_mode: str = "zeros") -> None:
        self.control_displacements = np.asarray(control_displacements, dtype=np.float64)
        if self.control_displacements.ndim not in (3, 4):
            raise ValueError(
                "control_displacements must be (2, g0, g1) or (3, g0, g1, g2), got "
                f"{self.control_displacements.shape}"
            )
        self.padding_mode = padding_mode

    def params(self) -> dict[str, Any]:
        return {
            "control_displacements": self.control_displacements.copy(),
            "padding_mode": self.padding_mode,
        }

    def apply(self, sample: Sample) -> Sample:
        field = dense_displacement(self.control_displacements, sample["image"].shape[1:])
        return warp_sample_displacement(sample, field, self.padding_mode)


class RandomElasticDeformation(RandomTransform):
    """Gaussian node displacements: ``std_vox`` per component, clipped at ``max_vox``.

    ``num_control_points`` nodes per axis (>= 4; the image spans the inner ``g - 2``).
    """

    def __init__(
        self,
        num_control_points: int = 6,
        std_vox: float = 2.0,
        max_vox: float | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        if int(num_control_points) < 4 or std_vox < 0:
            raise ValueError(
                f"need num_control_points >= 4 and std_vox >= 0, got "
                f"{num_control_points}, {std_vox}"
            )
        self.num_control_points, self.std_vox = int(num_control_points), float(std_vox)
        self.max_vox = None if max_vox is None else float(max_vox)

    def _sample(self, sample: Sample, rng: np.random.Generator) -> ElasticDeformation:
        ndim = sample["image"].ndim - 1
        ctrl = rng.normal(0.0, self.std_vox, (ndim,) + (self.num_control_points,) * ndim)
        if self.max_vox is not None:
            ctrl = np.clip(ctrl, -self.max_vox, self.max_vox)
        return ElasticDeformation(ctrl)
