"""The sample dictionary every augmentation transform reads and returns.

A *sample* is a plain ``dict`` with

``"image"``
    ``torch.Tensor`` of shape ``(C, H, W)`` (2-D) or ``(C, H, W, D)`` (3-D), floating
    point (``float32`` or ``float64``). ``C`` is the channel axis (MR contrasts); the
    spatial axes are numbered ``0, 1[, 2]`` in the order ``H, W[, D]``, i.e. spatial axis
    ``k`` is tensor dimension ``k + 1``. All geometry in this subpackage is in **voxel
    units along these array axes** (no world/RAS coordinates, no voxel spacing): a rotation
    in voxel space is rigid in millimetres only for isotropic voxels.
``"label"`` (optional)
    ``torch.Tensor`` of shape ``(H, W)`` or ``(H, W, D)`` with an integer dtype (``int64``,
    ``int32``, ``uint8``...), one class index per voxel, ``0`` meaning background.

Any other key is passed through untouched. Transforms never modify their input in place:
they return a new dict; entries they do not change are shared (not copied) with the input.
Spatial transforms move image and label with the same geometry (image: linear
interpolation, label: nearest neighbour, so a label map keeps its dtype and never gains a
value other than its own values or the background ``0`` that fills voxels coming from
outside the field of view); intensity transforms change the image only.
"""
from __future__ import annotations

from typing import Any

import torch

__all__ = ["Sample", "check_sample", "spatial_ndim", "make_sample"]

Sample = dict[str, Any]
"""Type alias: ``{"image": Tensor (C, H, W[, D]) float, "label": Tensor (H, W[, D]) int}``."""


def check_sample(sample: Sample) -> Sample:
    """Validate a sample dict and return it unchanged.

    Parameters
    ----------
    sample : dict
        See the module docstring for the layout.

    Returns
    -------
    dict
        The same object, so that the call can be chained.

    Raises
    ------
    TypeError
        If ``sample`` is not a dict, the image is not a floating tensor or the label is
        not an integer tensor.
    ValueError
        If the image is not 3-D/4-D or the label's shape is not the image's spatial shape.
    """
    if not isinstance(sample, dict):
        raise TypeError(
            f"sample must be a dict like {{'image': tensor, 'label': tensor}}, "
            f"got {type(sample).__name__}"
        )
    if "image" not in sample:
        raise ValueError(f"sample has no 'image' key (keys: {sorted(sample)})")
    image = sample["image"]
    if not isinstance(image, torch.Tensor):
        raise TypeError(
            f"sample['image'] must be a torch.Tensor, got {type(image).__name__}; "
            "use torch.as_tensor(array)"
        )
    if not image.is_floating_point():
        raise TypeError(
            f"sample['image'] must be floating point, got {image.dtype}; use image.float()"
        )
    if image.ndim not in (3, 4):
        raise ValueError(
            f"sample['image'] must have shape (C, H, W) or (C, H, W, D), got "
            f"{tuple(image.shape)}; add a channel axis with image[None]"
        )
    label = sample.get("label")
    if label is not None:
        if not isinstance(label, torch.Tensor):
            raise TypeError(
                f"sample['label'] must be a torch.Tensor, got {type(label).__name__}"
            )
        if label.is_floating_point() or label.is_complex() or label.dtype == torch.bool:
            raise TypeError(
                f"sample['label'] must have an integer dtype, got {label.dtype}; "
                "use label.long()"
            )
        if tuple(label.shape) != tuple(image.shape[1:]):
            raise ValueError(
                f"sample['label'] has shape {tuple(label.shape)} but the image's spatial "
                f"shape is {tuple(image.shape[1:])}; labels carry no channel axis"
            )
    return sample


def spatial_ndim(sample: Sample) -> int:
    """Return the number of spatial dimensions of a sample (2 or 3)."""
    return check_sample(sample)["image"].ndim - 1


def make_sample(image: Any, label: Any = None) -> Sample:
    """Build a sample dict from arrays or tensors.

    Parameters
    ----------
    image : array-like
        ``(C, H, W[, D])``, or without the channel axis (one is then added) when it has
        as many dimensions as ``label``, or when it is 2-D and no label is given.
        Integer images are converted to ``float32``.
    label : array-like, optional
        ``(H, W[, D])`` integer label map, converted to ``int64``.

    Returns
    -------
    dict
        A validated sample.
    """
    img = torch.as_tensor(image)
    img = img.float() if not img.is_floating_point() else img
    if label is None:
        if img.ndim == 2:
            img = img[None]
        sample: Sample = {"image": img}
    else:
        lab = torch.as_tensor(label).long()
        if img.ndim == lab.ndim:
            img = img[None]
        sample = {"image": img, "label": lab}
    return check_sample(sample)
