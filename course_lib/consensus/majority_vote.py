"""Majority-vote consensus of K binary rater masks.

The simplest way to fuse several delineations (the MS-SEG 2016 challenge had
seven experts per case): a voxel is foreground when more than a fraction
``threshold`` of the raters say so. Every rater counts equally, however good
or bad; STAPLE (:mod:`course_lib.consensus.staple`) weighs them instead.
"""
from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["stack_masks", "vote_fraction", "majority_vote"]


def stack_masks(masks: Any, name: str = "masks") -> NDArray[np.bool_]:
    """Return rater masks as one boolean array of shape ``(K, ...)``.

    Parameters
    ----------
    masks : array_like of shape (K, ...) or sequence of K masks
        Binary masks (bool or 0/1) of identical spatial shape, one per rater,
        as NumPy arrays or PyTorch tensors.
    name : str
        Argument name for error messages.

    Returns
    -------
    numpy.ndarray of bool, shape (K, ...)
        The stacked masks.
    """
    if isinstance(masks, (list, tuple)):
        items = [m.detach().cpu().numpy() if hasattr(m, "detach") else np.asarray(m) for m in masks]
        shapes = {a.shape for a in items}
        if len(shapes) > 1:
            raise ValueError(
                f"all rater masks in `{name}` must have the same shape, got {sorted(shapes)}."
            )
        a = np.stack(items) if items else np.zeros((0,))
    else:
        a = masks.detach().cpu().numpy() if hasattr(masks, "detach") else np.asarray(masks)
    if a.ndim < 2 or a.shape[0] < 1:
        raise ValueError(
            f"`{name}` must have shape (K, ...) with K >= 1 rater masks, got shape {a.shape}; "
            "stack them with np.stack([mask_1, mask_2, ...])."
        )
    if a.dtype != np.bool_:
        binary = (a == 0) | (a == 1)
        if not binary.all():
            raise ValueError(
                f"`{name}` must hold binary masks (bool or 0/1) but contains "
                f"{np.unique(a[~binary])[:3].tolist()}; threshold them first."
            )
        a = a.astype(bool)
    return a


def vote_fraction(masks: Any) -> NDArray[np.float64]:
    """Fraction of raters marking each voxel as foreground.

    Parameters
    ----------
    masks : array_like of shape (K, ...)
        Binary rater masks.

    Returns
    -------
    numpy.ndarray of float64, shape (...)
        Values in {0, 1/K, ..., 1}.
    """
    m = stack_masks(masks)
    return np.count_nonzero(m, axis=0) / m.shape[0]


def majority_vote(
    masks: Any,
    threshold: float = 0.5,
    ties: Literal["background", "foreground"] = "background",
) -> NDArray[np.bool_]:
    """Consensus mask by (weighted-equally) voting.

    Parameters
    ----------
    masks : array_like of shape (K, ...)
        Binary masks of K raters (NumPy or torch), e.g. ``(7, H, W, D)``.
    threshold : float
        Fraction of raters in [0, 1) above which a voxel is foreground.
        0.5 is the majority rule.
    ties : {"background", "foreground"}
        A voxel whose vote fraction *equals* ``threshold`` (possible when
        ``threshold * K`` is a whole number, e.g. 2 of 4 raters at 0.5) is
        background by default (a strict majority is needed), foreground with
        ``ties="foreground"``.

    Returns
    -------
    numpy.ndarray of bool, shape (...)
        The consensus mask.
    """
    if not 0.0 <= threshold < 1.0:
        raise ValueError(
            f"`threshold` must be a fraction in [0, 1), got {threshold}; 0.5 is a majority."
        )
    if ties not in ("background", "foreground"):
        raise ValueError(f"`ties` must be 'background' or 'foreground', got {ties!r}.")
    m = stack_masks(masks)
    votes = np.count_nonzero(m, axis=0)
    needed = threshold * m.shape[0]
    # Compare counts with an integer-safe tolerance so that 0.6 * 5 == 3 is a tie.
    tie = np.isclose(votes, needed, rtol=0.0, atol=1e-9)
    above = (votes > needed) & ~tie
    return above | tie if ties == "foreground" else above
