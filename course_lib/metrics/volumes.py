"""Volumes of masks and volume differences (lesion load), in millilitres.

A voxel of spacing ``(sx, sy, sz)`` millimetres holds ``sx * sy * sz`` mm^3
and 1 mL = 1 cm^3 = 1000 mm^3. Without a spacing the volume is a voxel count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.metrics._arrays import as_binary_mask, as_mask_pair, as_spacing

__all__ = ["voxel_volume", "volume", "VolumeDifference", "volume_difference"]

MM3_PER_ML = 1000.0


def voxel_volume(spacing: Any, ndim: int = 3) -> float:
    """Volume of one voxel in mm^3 (area in mm^2 for 2-D spacing).

    Parameters
    ----------
    spacing : float or sequence of float
        Voxel size per axis in mm.
    ndim : int
        Number of axes, used when ``spacing`` is a single number.

    Returns
    -------
    float
        Product of the spacings.
    """
    n = ndim if np.ndim(spacing) == 0 else int(np.size(spacing))
    return float(np.prod(as_spacing(spacing, n)))


def volume(mask: Any, spacing: Any = None) -> float:
    """Volume of a binary mask.

    Parameters
    ----------
    mask : array_like or torch.Tensor of bool or {0, 1}
        Binary mask, shape ``(H, W, D)`` (or any shape).
    spacing : None, float or sequence of float
        Voxel size per axis in mm. ``None``: the result is a number of voxels.

    Returns
    -------
    float
        Volume in mL (= cm^3) when ``spacing`` is given, else in voxels. For a
        2-D mask with spacing the same formula gives mm^2 / 1000 (an area), so
        prefer voxel counts for slices.
    """
    m = as_binary_mask(mask, "mask")
    n = float(np.count_nonzero(m))
    if spacing is None:
        return n
    return n * float(np.prod(as_spacing(spacing, m.ndim))) / MM3_PER_ML


@dataclass(frozen=True)
class VolumeDifference:
    """Volumes of a prediction and a reference, and their differences.

    Attributes
    ----------
    pred_volume, truth_volume : float
        Volumes in ``unit``.
    difference : float
        Signed difference ``pred_volume - truth_volume`` in ``unit`` (positive:
        over-segmentation). Its magnitude is :attr:`absolute`.
    relative : float
        Signed relative difference ``difference / truth_volume`` (0.10 = 10 %
        too large); 0.0 when both are empty, ``inf`` when only the truth is.
    unit : str
        ``"mL"`` or ``"voxels"``.
    """

    pred_volume: float
    truth_volume: float
    difference: float
    relative: float
    unit: str

    @property
    def absolute(self) -> float:
        """Absolute volume difference ``|pred_volume - truth_volume|`` in ``unit``."""
        return abs(self.difference)

    @property
    def absolute_relative(self) -> float:
        """Absolute relative difference ``|relative|`` (a fraction, not %)."""
        return abs(self.relative)


def volume_difference(pred: Any, truth: Any, spacing: Any = None) -> VolumeDifference:
    """Compare the volume of a predicted mask with that of the reference.

    Volume agreement ignores *where* the voxels are: two masks can have equal
    volumes and zero overlap. It is the quantity clinicians follow over time
    (lesion load), hence its place beside Dice in challenge tables.

    Parameters
    ----------
    pred, truth : array_like or torch.Tensor of bool or {0, 1}
        Binary masks of the same shape.
    spacing : None, float or sequence of float
        Voxel size per axis in mm; ``None`` gives voxel counts.

    Returns
    -------
    VolumeDifference
        Volumes, signed and relative differences (``.absolute`` for the
        magnitude), in mL when ``spacing`` is given.
    """
    p, t = as_mask_pair(pred, truth)
    vp, vt = volume(p, spacing), volume(t, spacing)
    diff = vp - vt
    if vt > 0:
        rel = diff / vt
    else:
        rel = 0.0 if vp == 0 else float("inf")
    return VolumeDifference(vp, vt, diff, rel, "voxels" if spacing is None else "mL")
