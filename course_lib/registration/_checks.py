"""Argument checks and conversions shared by the registration subpackage (private)."""

from __future__ import annotations

import numpy as np
import torch

from course_lib._checks import check_choice  # noqa: F401  (re-exported for the package)

_MODES = {"linear": "linear", "bilinear": "linear", "trilinear": "linear", "nearest": "nearest"}
_PADDINGS = ("zeros", "border", "reflection")


def check_mode(mode: str) -> str:
    """Normalise an interpolation mode to ``"linear"`` or ``"nearest"``."""
    return _MODES[check_choice("mode", mode, _MODES)]


def check_padding(padding: str) -> str:
    """Validate a grid_sample padding mode."""
    return check_choice("padding", padding, _PADDINGS)


def as_affine(affine, d: int | None, name: str = "affine") -> np.ndarray:
    """Return a ``(d+1, d+1)`` float64 homogeneous matrix (``d`` = 2 or 3, or inferred)."""
    if isinstance(affine, torch.Tensor):
        affine = affine.detach().cpu().numpy()
    m = np.array(affine, dtype=np.float64)  # a writable copy (nibabel's may be read-only)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] not in (3, 4):
        raise ValueError(
            f"{name} must be a (3, 3) (2-D) or (4, 4) (3-D) voxel-to-world "
            f"matrix, got shape {m.shape}."
        )
    if d is not None and m.shape[0] != d + 1:
        raise ValueError(
            f"{name} is {m.shape} but the images are {d}-D: expected ({d + 1}, {d + 1})."
        )
    if abs(np.linalg.det(m[:-1, :-1])) < 1e-12:
        raise ValueError(f"{name} is singular (a voxel size of 0?): {m.tolist()}.")
    return m


def default_device(device=None) -> torch.device:
    """``device`` if given, else :func:`course_lib.core.device.get_device` (CPU if absent)."""
    if device is not None:
        return torch.device(device)
    try:
        from course_lib.core.device import get_device
    except ImportError:  # pragma: no cover - foundation not installed
        return torch.device("cpu")
    return get_device()


def image_and_affine(image, affine, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Accept a NumPy array / tensor plus affine, or a nibabel-like image.

    Returns the float32 array and its ``(d+1, d+1)`` voxel -> world affine (identity,
    i.e. 1-mm voxels at the origin, when ``affine`` is None). Subnormal values (e.g. the
    ~1e-42 background of nilearn's ICBM152 template) are set to 0: CPUs compute on them
    10-100x more slowly.
    """
    if hasattr(image, "get_fdata") and hasattr(image, "affine"):
        if affine is None:
            affine = image.affine
        image = image.get_fdata(dtype=np.float32)
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    arr = np.array(image, dtype=np.float32)
    arr[np.abs(arr) < np.finfo(np.float32).tiny] = 0.0
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} contains NaN or infinite values; replace them first (e.g. np.nan_to_num)."
        )
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be a 2-D or 3-D spatial array, got shape {arr.shape}; "
            "drop batch/channel axes (e.g. image[0, 0])."
        )
    d = arr.ndim
    aff = np.eye(d + 1) if affine is None else as_affine(affine, d, f"{name}_affine")
    return arr, aff


def spacing(affine: np.ndarray) -> np.ndarray:
    """Voxel sizes (mm) along each array axis: column norms of the linear part."""
    a = np.asarray(affine, dtype=np.float64)
    return np.linalg.norm(a[:-1, :-1], axis=0)
