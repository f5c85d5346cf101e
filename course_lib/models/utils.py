"""Small helpers shared by the model chapters."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn


def count_parameters(
    model: nn.Module | Iterable[torch.nn.Parameter], trainable_only: bool = True
) -> int:
    """Count the scalar parameters of a model (or of an iterable of parameters).

    Parameters
    ----------
    model : torch.nn.Module or iterable of Parameter
        The network, or e.g. ``unet.encoder_parameters()``.
    trainable_only : bool, default True
        Count only parameters with ``requires_grad=True`` (frozen layers in
        transfer learning are then excluded).

    Returns
    -------
    int
        Number of scalar weights. Buffers (BatchNorm running statistics,
        fixed grids) are never counted.
    """
    params = model.parameters() if isinstance(model, nn.Module) else model
    return sum(p.numel() for p in params if p.requires_grad or not trainable_only)


def set_requires_grad(params: Iterable[torch.nn.Parameter], flag: bool) -> int:
    """Freeze (``flag=False``) or unfreeze parameters; return how many changed.

    Parameters
    ----------
    params : iterable of Parameter
        For example ``unet.encoder_parameters()``.
    flag : bool
        New value of ``requires_grad``.

    Returns
    -------
    int
        Number of scalar weights whose ``requires_grad`` was set.
    """
    n = 0
    for p in params:
        p.requires_grad_(flag)
        n += p.numel()
    return n
