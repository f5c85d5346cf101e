"""The sample dictionary every augmentation transform reads and returns.

A *sample* is a plain ``dict``:

``"image"``
    float ``torch.Tensor`` ``(C, H, W)`` (2-D) or ``(C, H, W, D)`` (3-D); ``C`` is the channel
    axis (MR contrasts) and spatial axis ``k`` is tensor dimension ``k + 1``. Geometry is in
    **voxels along the array axes**: a rotation is rigid in millimetres only for isotropic voxels.
``"label"`` (optional)
    integer ``torch.Tensor`` ``(H, W[, D])``, one class per voxel, ``0`` = background.

Transforms return a new dict and never change their input. Spatial transforms move image and
label together (image: linear interpolation; label: nearest neighbour, so it only takes values
it had, or 0 where the content comes from outside the field of view); intensity transforms
change the image only.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["Sample", "check_sample", "make_sample"]

Sample = dict[str, Any]


def check_sample(sample: Sample) -> Sample:
    """Return ``sample`` unchanged after checking its layout (see the module docstring).

    Raises
    ------
    TypeError
        Not a dict, an image that is not a floating tensor, a label that is not an integer one.
    ValueError
        An image that is not ``(C, H, W[, D])``, a label whose shape is not the image's
        spatial shape.
    """
    if not isinstance(sample, dict) or "image" not in sample:
        raise TypeError(
            f"sample must be a dict {{'image': tensor, 'label': tensor}}, got "
            f"{type(sample).__name__}{'' if not isinstance(sample, dict) else ' without image'}"
        )
    image, label = sample["image"], sample.get("label")
    if not isinstance(image, torch.Tensor) or not image.is_floating_point():
        raise TypeError(
            f"sample['image'] must be a floating-point torch.Tensor, got "
            f"{getattr(image, 'dtype', type(image).__name__)}; use torch.as_tensor(x).float()"
        )
    if image.ndim not in (3, 4):
        raise ValueError(
            f"sample['image'] must be (C, H, W) or (C, H, W, D), got {tuple(image.shape)}; "
            "add a channel axis with image[None]"
        )
    if label is not None:
        if (
            not isinstance(label, torch.Tensor)
            or label.is_floating_point()
            or label.dtype == torch.bool
        ):
            raise TypeError(
                f"sample['label'] must be an integer torch.Tensor, got "
                f"{getattr(label, 'dtype', type(label).__name__)}; use label.long()"
            )
        if tuple(label.shape) != tuple(image.shape[1:]):
            raise ValueError(
                f"sample['label'] has shape {tuple(label.shape)} but the image's spatial "
                f"shape is {tuple(image.shape[1:])}; labels carry no channel axis"
            )
    return sample


def make_sample(image: Any, label: Any = None) -> Sample:
    """Build a checked sample from arrays or tensors.

    Parameters
    ----------
    image : array-like
        ``(C, H, W[, D])``; without a channel axis (one is added) when it has as many
        dimensions as ``label``. Converted to float32 if it is not floating point.
    label : array-like, optional
        ``(H, W[, D])`` class indices, converted to int64.
    """
    image = torch.as_tensor(image)
    image = image if image.is_floating_point() else image.float()
    if label is None:
        return check_sample({"image": image})
    label = torch.as_tensor(label).long()
    if image.ndim == label.ndim:
        image = image[None]
    return check_sample({"image": image, "label": label})
