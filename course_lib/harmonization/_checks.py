"""Argument checks shared by the harmonization functions (private)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_image", "as_mask", "masked_values"]


def as_image(image: Any, name: str = "image") -> np.ndarray:
    """Return ``image`` as a float64 array (NumPy arrays, tensors on CPU, lists)."""
    if hasattr(image, "detach"):  # torch tensor
        image = image.detach().cpu().numpy()
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 0 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty array, got shape {arr.shape}")
    return arr


def as_mask(mask: Any, shape: tuple[int, ...], name: str = "mask") -> np.ndarray:
    """Return a boolean mask of ``shape``; ``None`` means every voxel."""
    if mask is None:
        return np.ones(shape, dtype=bool)
    if hasattr(mask, "detach"):
        mask = mask.detach().cpu().numpy()
    m = np.asarray(mask)
    if m.shape != tuple(shape):
        raise ValueError(
            f"{name} has shape {m.shape} but the image has shape {tuple(shape)}; pass a "
            "brain mask on the image's grid"
        )
    m = m.astype(bool)
    if not m.any():
        raise ValueError(f"{name} selects no voxel; pass a non-empty brain mask")
    return m


def masked_values(
    image: Any, mask: Any, name: str = "image"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(image as float64, boolean mask, finite image values inside the mask)``."""
    arr = as_image(image, name)
    m = as_mask(mask, arr.shape)
    values = arr[m]
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} has NaN or infinite values inside the mask")
    return arr, m, values
