"""Segmentation losses shared by the chapters (04 builds this one from scratch first).

Soft Dice alone is unstable early in training and ignores calibration; cross-entropy alone lets
a small class (CSF) be swamped by the background. Their sum is the usual compromise for
multi-class tissue segmentation (e.g. the nnU-Net default).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["dice_ce_loss"]


def dice_ce_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Cross-entropy + (1 - mean soft Dice over the foreground classes).

    Parameters
    ----------
    logits : torch.Tensor, shape (B, K, *spatial)
        Unnormalised class scores (2-D or 3-D).
    target : torch.Tensor, shape (B, *spatial), int64
        Class index per voxel, in ``0 .. K-1``; class 0 is background and is left out of the
        Dice term.
    smooth : float, default 1.0
        Added to numerator and denominator of each class's Dice (over the whole batch), so that
        a class absent from the batch does not divide by zero.

    Returns
    -------
    torch.Tensor
        Scalar loss.

    References
    ----------
    .. [1] F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: fully convolutional neural networks for
       volumetric medical image segmentation", 3DV 2016. doi:10.1109/3DV.2016.79
    .. [2] F. Isensee et al., "nnU-Net: a self-configuring method for deep learning-based
       biomedical image segmentation", Nature Methods 18, 2021. doi:10.1038/s41592-020-01008-z
    """
    if (
        logits.ndim != target.ndim + 1
        or logits.shape[0] != target.shape[0]
        or logits.shape[2:] != target.shape[1:]
    ):
        raise ValueError(
            f"logits must be (B, K, *S) and target (B, *S); got {tuple(logits.shape)} "
            f"and {tuple(target.shape)}."
        )
    if logits.shape[1] < 2:
        raise ValueError(
            f"dice_ce_loss needs at least 2 classes (background + one), got "
            f"{logits.shape[1]}; for one foreground class use two logits."
        )
    probabilities = logits.softmax(dim=1)
    one_hot = F.one_hot(target, logits.shape[1]).movedim(-1, 1).to(probabilities.dtype)
    dims = (0,) + tuple(range(2, logits.ndim))
    overlap = (probabilities * one_hot).sum(dims)
    soft_dice = (2 * overlap + smooth) / (probabilities.sum(dims) + one_hot.sum(dims) + smooth)
    return F.cross_entropy(logits, target) + 1 - soft_dice[1:].mean()
