"""Inference on whole volumes: batches of slices for a 2-D network, the volume for a 3-D one
(chapter 04 builds it from scratch; chapters 05, 06, 08, 09 and 12 use it).

A network trained on 2-D slices segments a volume slice by slice: the slices of one axis
become the batch, and the outputs are stacked back in place. A 3-D network sees the whole
volume at once. MONAI's ``sliding_window_inference`` does the general case (overlapping
windows of any size, blended); the course's volumes are small enough for this plain version.

Shapes, NumPy or PyTorch in, NumPy out:

* ``predict_batches``: ``(N, C, H, W[, D])`` -> the model's outputs ``(N, ...)``;
* ``predict_volume``: an image ``(C, X, Y, Z)`` -> ``(K, X, Y, Z)`` scores, or ``(X, Y, Z)``
  labels with ``reduce="argmax"``. The slices are axial (the last axis) unless ``axis``
  says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch

__all__ = ["predict_batches", "predict_volume"]

Reduce = Literal["argmax", "softmax", "sigmoid", "none"]
_REDUCTIONS = ("argmax", "softmax", "sigmoid", "none")


def _as_tensor(x: Any, name: str) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a NumPy array or a torch.Tensor, got {type(x).__name__}")
    return x.float() if not torch.is_floating_point(x) else x


def _reduce(scores: torch.Tensor, reduce: str) -> torch.Tensor:
    if reduce == "argmax":
        return scores.argmax(dim=1)
    if reduce == "softmax":
        return torch.softmax(scores, dim=1)
    if reduce == "sigmoid":
        return torch.sigmoid(scores)
    return scores


@torch.no_grad()
def predict_batches(
    model: torch.nn.Module | Callable[[torch.Tensor], torch.Tensor],
    inputs: Any,
    batch_size: int = 32,
    reduce: Reduce = "none",
    device: torch.device | str | None = None,
) -> np.ndarray:
    """Run ``model`` on ``inputs`` in batches, without gradients, in evaluation mode.

    Parameters
    ----------
    model : torch.nn.Module or callable
        A network (put in ``eval()`` mode) or any function of a batch, e.g.
        ``vae.reconstruct`` or ``lambda x: unet(x)["tissue"]`` for one head.
    inputs : array or tensor, shape (N, C, ...)
        The samples; the first axis is cut into batches.
    batch_size : int
    reduce : {"none", "argmax", "softmax", "sigmoid"}
        Applied to each batch's output along the channel axis (1).
    device : torch.device or str, optional
        Where to compute; by default the model's own device (CPU for a plain function).

    Returns
    -------
    numpy.ndarray
        The outputs, concatenated along the first axis.
    """
    if reduce not in _REDUCTIONS:
        raise ValueError(f"reduce must be one of {_REDUCTIONS}, got {reduce!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    x = _as_tensor(inputs, "inputs")
    if isinstance(model, torch.nn.Module):
        model.eval()
        if device is None:
            parameter = next(model.parameters(), None)
            device = parameter.device if parameter is not None else "cpu"
    device = torch.device(device or "cpu")
    parts = [
        _reduce(model(x[i : i + batch_size].to(device)), reduce).cpu()
        for i in range(0, len(x), batch_size)
    ]
    return torch.cat(parts).numpy()


def predict_volume(
    model: torch.nn.Module | Callable[[torch.Tensor], torch.Tensor],
    image: Any,
    spatial_dims: int = 2,
    axis: int = -1,
    batch_size: int = 32,
    reduce: Reduce = "argmax",
    device: torch.device | str | None = None,
) -> np.ndarray:
    """Segment (or score) a whole volume with a 2-D network slice by slice, or a 3-D one at once.

    Parameters
    ----------
    model : torch.nn.Module or callable
        Returns ``(B, K, ...)`` scores (logits) for a batch.
    image : array or tensor, shape (C, X, Y, Z)
        The volume, channels first.
    spatial_dims : {2, 3}
        2: the network takes ``(B, C, H, W)`` slices; 3: it takes the volume ``(1, C, X, Y, Z)``.
    axis : int
        Spatial axis whose slices are the batch (2-D only): 0, 1, 2 or -1 (the last, axial).
    batch_size : int
        Slices per forward pass (2-D only).
    reduce : {"argmax", "softmax", "sigmoid", "none"}
        ``"argmax"`` returns labels ``(X, Y, Z)``; the others scores ``(K, X, Y, Z)``.
    device : torch.device or str, optional

    Returns
    -------
    numpy.ndarray
        ``(X, Y, Z)`` labels or ``(K, X, Y, Z)`` scores, on the input's grid.
    """
    volume = _as_tensor(image, "image")
    if volume.ndim != 4:
        raise ValueError(
            f"image must be (C, X, Y, Z), got shape {tuple(volume.shape)}; add a "
            "channel axis with image[None] for one contrast"
        )
    if spatial_dims == 3:
        return predict_batches(model, volume[None], 1, reduce, device)[0]
    if spatial_dims != 2:
        raise ValueError(f"spatial_dims must be 2 or 3, got {spatial_dims}")
    if axis not in (0, 1, 2, -1):
        raise ValueError(f"axis must be a spatial axis 0, 1, 2 or -1, got {axis}")
    spatial_axis = 1 + (axis % 3)
    slices = volume.movedim(spatial_axis, 0)  # (S, C, a, b)
    out = predict_batches(model, slices, batch_size, reduce, device)
    if reduce == "argmax":  # (S, a, b) -> (X, Y, Z)
        return np.moveaxis(out, 0, spatial_axis - 1)
    return np.moveaxis(out, 0, spatial_axis)  # (S, K, a, b) -> (K, X, Y, Z)
