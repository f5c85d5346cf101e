"""Whole-slice (dense) prediction with a patch classifier (chapter 02).

A :class:`~course_lib.models.PatchCNN` answers "is the centre pixel of this
patch lesion?". To segment a slice we need that answer for every pixel. Cutting
the patch of every pixel costs one full network evaluation per pixel, yet the
convolutions of neighbouring patches overlap almost entirely.
:func:`to_fully_convolutional` rewrites the network so that one pass over the
(padded) slice computes every pixel's answer at once: the convolutions slide
over the whole slice; the 2x2 max-pooling is applied with stride 1 (so that all
four pooling offsets are kept); the fully connected layer becomes a convolution
whose kernel is the FC weight reshaped to ``(U, F, s, s)`` with *dilation 2*
(it reads every second pooled value, exactly the values a strided pooling would
have kept); the output layer becomes a 1x1 convolution.

This is exact only for ``padding="valid"``: with ``"same"`` padding each patch
sees zeros at *its own* borders, whereas a sliding network sees the real
neighbouring pixels, so the two differ.

Patch convention: the patch of pixel ``(y, x)`` covers rows
``y - P//2 ... y - P//2 + P - 1`` and the same columns, so a slice padded by
``P//2`` before and ``P - 1 - P//2`` after each axis gives the FCN's output for
pixel ``(y, x)`` at ``[..., y, x]`` (crop the output to the slice's size). Chapter 02 feeds axial slices in batches
with :func:`course_lib.core.inference.predict_volume`.

References
----------
.. [1] H. Li, R. Zhao, X. Wang, "Highly efficient forward and backward
   propagation of convolutional neural networks for pixelwise
   classification", arXiv:1412.4526, 2014.
.. [2] J. Long, E. Shelhamer, T. Darrell, "Fully convolutional networks for
   semantic segmentation", CVPR 2015. doi:10.1109/CVPR.2015.7298965
"""

from __future__ import annotations

import torch
from torch import nn

from .patch_cnn import PatchCNN

__all__ = ["to_fully_convolutional"]


def to_fully_convolutional(model: PatchCNN) -> nn.Sequential:
    """Turn a ``padding="valid"`` :class:`PatchCNN` into an equivalent FCN.

    Parameters
    ----------
    model : PatchCNN
        A trained patch classifier built with ``padding="valid"``.

    Returns
    -------
    torch.nn.Sequential
        Maps a slice padded as in the module docstring, shape
        ``(B, C, H + P - 1, W + P - 1)``, to logits ``(B, 1, H', W')`` with
        ``H' >= H`` (equal when the feature maps before pooling have an even
        side); crop ``[..., :H, :W]``. Weights are copied, so later changes to
        ``model`` do not propagate.

    Raises
    ------
    ValueError
        If the model uses "same" padding (no exact FCN exists: run the
        model on the patch of every pixel instead).
    """
    if not isinstance(model, PatchCNN):
        raise ValueError(f"model must be a PatchCNN, got {type(model).__name__}.")
    cfg = model.config
    if cfg["padding"] != "valid":
        raise ValueError(
            "to_fully_convolutional needs a PatchCNN with padding='valid': with "
            "'same' padding every patch is zero-padded at its own border, which "
            "no sliding network reproduces. Build the model with padding='valid', "
            "or run it on the patch of every pixel."
        )
    layers: list[nn.Module] = []
    for layer in model.features:
        if isinstance(layer, nn.Conv2d):
            conv = nn.Conv2d(layer.in_channels, layer.out_channels, 3)
            conv.load_state_dict(layer.state_dict())
            layers += [conv, nn.ReLU()]
    layers.append(nn.MaxPool2d(2, stride=1))
    side = (cfg["patch_size"] - 2 * cfg["n_conv"]) // 2
    fc = nn.Conv2d(cfg["n_filters"], cfg["fc_units"], side, dilation=2)
    with torch.no_grad():
        fc.weight.copy_(model.fc.weight.view_as(fc.weight))
        fc.bias.copy_(model.fc.bias)
    out = nn.Conv2d(cfg["fc_units"], 1, 1)
    with torch.no_grad():
        out.weight.copy_(model.out.weight.view_as(out.weight))
        out.bias.copy_(model.out.bias)
    layers += [fc, nn.ReLU(), out]
    device = next(model.parameters()).device
    return nn.Sequential(*layers).to(device)
