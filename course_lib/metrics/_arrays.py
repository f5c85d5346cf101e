"""Input checks shared by the metric functions (private).

Every public metric accepts NumPy arrays or PyTorch tensors (converted with
``.detach().cpu().numpy()`` without importing torch), checks them here, and
fails early with a message that names the bad argument and suggests a fix.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["to_numpy", "as_binary_mask", "as_mask_pair", "as_spacing", "ratio"]


def to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a NumPy array (a torch tensor is detached and moved to the CPU)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def as_binary_mask(x: Any, name: str) -> NDArray[np.bool_]:
    """Return ``x`` as a boolean array, or raise if it is not a binary mask.

    Parameters
    ----------
    x : array_like or torch.Tensor
        A mask of bools or of the numbers 0 and 1 (any shape, at least 1-D).
    name : str
        Argument name, quoted in error messages.

    Returns
    -------
    numpy.ndarray of bool
        The mask (no copy when it is already boolean).
    """
    a = to_numpy(x)
    if a.ndim == 0:
        raise ValueError(f"`{name}` must be an array (a mask), got a scalar {a!r}.")
    if a.dtype == np.bool_:
        return a
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise TypeError(f"`{name}` must hold bools or the numbers 0/1, got dtype {a.dtype}.")
    binary = (a == 0) | (a == 1)
    if not binary.all():
        bad = np.unique(a[~binary])[:3].tolist()
        raise ValueError(
            f"`{name}` must be a binary mask (bool or 0/1) but contains {bad}; "
            f"threshold it first (e.g. `{name} > 0.5`) or pick one label "
            f"(e.g. `{name} == 2`); for label maps use `multiclass_dice`/`per_label`."
        )
    return a.astype(bool)


def as_mask_pair(pred: Any, truth: Any) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Return ``(pred, truth)`` as boolean masks of the same shape, or raise."""
    p = as_binary_mask(pred, "pred")
    t = as_binary_mask(truth, "truth")
    if p.shape != t.shape:
        raise ValueError(
            f"`pred` and `truth` must have the same shape, got {p.shape} and {t.shape}; "
            "resample one onto the other's grid first (and drop batch/channel axes: "
            "metrics take one spatial mask, e.g. (H, W) or (H, W, D))."
        )
    return p, t


def as_spacing(spacing: Any, ndim: int) -> tuple[float, ...]:
    """Return the voxel spacing as ``ndim`` positive floats (millimetres).

    Parameters
    ----------
    spacing : None, float or sequence of float
        ``None`` means 1 per axis (results are then in voxel units); a single
        number is used for every axis; a sequence needs one entry per axis, in
        the same axis order as the array (e.g. ``img.header.get_zooms()[:3]``
        for a NIfTI image loaded with nibabel, whose data is indexed (i, j, k)).
    ndim : int
        Number of spatial axes of the masks.

    Returns
    -------
    tuple of float
        The spacing per axis.
    """
    if spacing is None:
        return (1.0,) * ndim
    if isinstance(spacing, numbers.Real) and not isinstance(spacing, bool):
        values = (float(spacing),) * ndim
    else:
        values = tuple(float(s) for s in to_numpy(spacing).ravel())
        if len(values) != ndim:
            raise ValueError(
                f"`spacing` must have one value per axis ({ndim} for masks of "
                f"{ndim} dimensions), got {len(values)}: {values}. For a NIfTI "
                "image use `img.header.get_zooms()[:3]`."
            )
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"`spacing` must be positive and finite (mm), got {values}.")
    return values


def ratio(numerator: float, denominator: float, identical: bool, zero_division: float) -> float:
    """Return ``numerator / denominator`` with the course's rule for 0/0.

    A ratio whose denominator is zero is 1.0 when the two masks compared are
    identical (e.g. both empty: nothing to find and nothing claimed) and
    ``zero_division`` otherwise (default 0.0 in the public functions, the worst
    score, as for Dice when exactly one mask is empty).
    """
    if denominator == 0:
        return 1.0 if identical else float(zero_division)
    return float(numerator) / float(denominator)
