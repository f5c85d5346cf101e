"""Warp a sample's image and label together (the spatial transforms' common core).

Private: delegates to :func:`course_lib.registration.warp.warp_voxels`, the registration
module's voxel-space warp (``grid_sample`` with ``align_corners=True``: integer voxel
coordinates fall on voxel centres), with the **pull-back** convention
``out(x) = in(T(x))``. The image is warped in float64 and cast back, so identity
parameters return the input bit for bit (float32 ``grid_sample`` rounds the normalised
coordinates, ~1e-5 of the intensity range) and exactly-identity transforms (identity
matrix, all-zero displacement) skip resampling altogether, so that neutral parameters
return the input bit for bit in any dtype. The label uses nearest neighbour and keeps
its integer dtype.
"""

from __future__ import annotations

import numpy as np
import torch

from course_lib.registration.warp import warp_voxels

__all__ = ["warp_sample_matrix", "warp_sample_displacement"]


def _warp(sample: dict, transform: torch.Tensor, padding_mode: str) -> dict:
    out = dict(sample)
    image = sample["image"]
    warped = warp_voxels(
        image.to(torch.float64)[None], transform, mode="linear", padding=padding_mode
    )
    out["image"] = warped[0].to(image.dtype)
    label = sample.get("label")
    if label is not None:
        out["label"] = warp_voxels(
            label[None, None], transform.to(label.device), mode="nearest", padding=padding_mode
        )[0, 0]
    return out


def warp_sample_matrix(sample: dict, matrix: np.ndarray, padding_mode: str = "zeros") -> dict:
    """Warp through a ``(d+1, d+1)`` matrix mapping output voxel -> input voxel."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if np.array_equal(matrix, np.eye(matrix.shape[0])):
        return dict(sample)
    m = torch.as_tensor(matrix, device=sample["image"].device)
    return _warp(sample, m, padding_mode)


def warp_sample_displacement(
    sample: dict, displacement: np.ndarray, padding_mode: str = "zeros"
) -> dict:
    """Warp through a displacement ``(d, *S)`` in voxels: ``out(x) = in(x + u(x))``."""
    displacement = np.asarray(displacement, dtype=np.float64)
    if not np.any(displacement):
        return dict(sample)
    u = torch.as_tensor(displacement, device=sample["image"].device)[None]
    return _warp(sample, u, padding_mode)
