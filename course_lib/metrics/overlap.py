"""Voxel-overlap metrics: Dice, Jaccard, precision, sensitivity, specificity.

All functions take two binary masks of the same shape (any number of
dimensions, e.g. a 2-D slice ``(H, W)`` or a volume ``(H, W, D)``; no batch or
channel axis), as NumPy arrays or PyTorch tensors, and return a Python float
in [0, 1]. They count voxels, so the voxel spacing does not matter.

Conventions for empty masks (one rule for every ratio): a ratio whose
denominator is zero is **1.0 when the two masks are identical** (both empty:
nothing to find and nothing claimed) and ``zero_division`` (default **0.0**)
otherwise. Hence Dice = Jaccard = 1.0 when both masks are empty and 0.0 when
exactly one is empty; precision is 0.0 for an empty prediction of a non-empty
truth; sensitivity is 0.0 for a non-empty prediction of an empty truth. Pass
``zero_division=float("nan")`` to exclude such cases from averages instead
(see :func:`course_lib.metrics.summarize`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

from course_lib.metrics._arrays import as_mask_pair, ratio, to_numpy

__all__ = [
    "ConfusionCounts",
    "confusion_counts",
    "dice",
    "jaccard",
    "precision",
    "sensitivity",
    "recall",
    "specificity",
    "per_label",
    "multiclass_dice",
]


class ConfusionCounts(NamedTuple):
    """Voxel counts of a binary comparison (prediction vs reference truth)."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def identical(self) -> bool:
        """True when the two masks agree at every voxel."""
        return self.fp == 0 and self.fn == 0


def confusion_counts(pred: Any, truth: Any) -> ConfusionCounts:
    """Count true/false positives and negatives, voxel by voxel.

    Parameters
    ----------
    pred, truth : array_like or torch.Tensor of bool or {0, 1}
        Binary masks of the same shape (predicted and reference).

    Returns
    -------
    ConfusionCounts
        ``(tp, fp, fn, tn)`` as Python ints (numbers of voxels).
    """
    p, t = as_mask_pair(pred, truth)
    tp = int(np.count_nonzero(p & t))
    fp = int(np.count_nonzero(p)) - tp
    fn = int(np.count_nonzero(t)) - tp
    return ConfusionCounts(tp, fp, fn, int(p.size) - tp - fp - fn)


def dice(pred: Any, truth: Any) -> float:
    r"""Dice similarity coefficient (DSC), :math:`2|P \cap T| / (|P| + |T|)`.

    Parameters
    ----------
    pred, truth : array_like or torch.Tensor of bool or {0, 1}
        Binary masks of the same shape.

    Returns
    -------
    float
        Dice in [0, 1]; 1.0 when both masks are empty, 0.0 when exactly one is.

    References
    ----------
    .. [1] L. R. Dice, "Measures of the amount of ecologic association between
       species," Ecology 26(3):297-302, 1945. doi:10.2307/1932409
    """
    c = confusion_counts(pred, truth)
    return ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn, c.identical, 0.0)


def jaccard(pred: Any, truth: Any) -> float:
    r"""Jaccard index (intersection over union), :math:`|P \cap T| / |P \cup T|`.

    Equal to ``d / (2 - d)`` for Dice ``d``. Same empty-mask rule as :func:`dice`.

    Returns
    -------
    float
        Jaccard index in [0, 1].
    """
    c = confusion_counts(pred, truth)
    return ratio(c.tp, c.tp + c.fp + c.fn, c.identical, 0.0)


def precision(pred: Any, truth: Any, zero_division: float = 0.0) -> float:
    """Precision (positive predictive value), ``TP / (TP + FP)``.

    Parameters
    ----------
    pred, truth : array_like or torch.Tensor of bool or {0, 1}
        Binary masks of the same shape.
    zero_division : float
        Value when ``pred`` is empty but ``truth`` is not (default 0.0; use
        ``nan`` to leave such cases out of averages). Both empty gives 1.0.

    Returns
    -------
    float
        Fraction of predicted voxels that are truly foreground.
    """
    c = confusion_counts(pred, truth)
    return ratio(c.tp, c.tp + c.fp, c.identical, zero_division)


def sensitivity(pred: Any, truth: Any, zero_division: float = 0.0) -> float:
    """Sensitivity (recall, true positive rate), ``TP / (TP + FN)``.

    Parameters
    ----------
    pred, truth : array_like or torch.Tensor of bool or {0, 1}
        Binary masks of the same shape.
    zero_division : float
        Value when ``truth`` is empty but ``pred`` is not (default 0.0).
        Both empty gives 1.0.

    Returns
    -------
    float
        Fraction of true foreground voxels that were predicted.
    """
    c = confusion_counts(pred, truth)
    return ratio(c.tp, c.tp + c.fn, c.identical, zero_division)


recall = sensitivity


def specificity(pred: Any, truth: Any, zero_division: float = 0.0) -> float:
    """Specificity (true negative rate), ``TN / (TN + FP)``.

    In brain lesion segmentation the background is huge, so specificity is
    close to 1 for every method and says little; prefer precision.

    Parameters
    ----------
    pred, truth : array_like or torch.Tensor of bool or {0, 1}
        Binary masks of the same shape.
    zero_division : float
        Value when ``truth`` has no background but ``pred`` does (default 0.0).

    Returns
    -------
    float
        Fraction of true background voxels predicted as background.
    """
    c = confusion_counts(pred, truth)
    return ratio(c.tn, c.tn + c.fp, c.identical, zero_division)


def _labels_of(pred: np.ndarray, truth: np.ndarray, include_background: bool) -> list[int]:
    found = np.union1d(np.unique(pred), np.unique(truth))
    return [int(v) for v in found if include_background or v != 0]


def per_label(
    metric: Callable[..., float],
    pred_labels: Any,
    truth_labels: Any,
    labels: Iterable[int] | None = None,
    include_background: bool = False,
    **kwargs: Any,
) -> dict[int, float]:
    """Apply a binary metric to each label of two label maps.

    Parameters
    ----------
    metric : callable
        A binary metric ``metric(pred_mask, truth_mask, **kwargs) -> float``,
        e.g. :func:`dice` or :func:`course_lib.metrics.hd95` (pass ``spacing=``).
    pred_labels, truth_labels : array_like or torch.Tensor of int
        Label maps of the same shape (e.g. 0 background, 1 CSF, 2 GM, 3 WM).
    labels : iterable of int, optional
        Labels to score. Default: every label present in either map, except 0
        unless ``include_background`` is True. A requested label absent from
        both maps scores as two empty masks (Dice 1.0).
    include_background : bool
        Include label 0 when ``labels`` is not given.
    **kwargs
        Passed to ``metric``.

    Returns
    -------
    dict of int to float
        ``{label: metric value}``, in the order of ``labels``.
    """
    p = to_numpy(pred_labels)
    t = to_numpy(truth_labels)
    if p.shape != t.shape:
        raise ValueError(
            f"`pred_labels` and `truth_labels` must have the same shape, got "
            f"{p.shape} and {t.shape}."
        )
    if p.dtype == np.bool_ or t.dtype == np.bool_:
        p, t = p.astype(np.int64), t.astype(np.int64)
    if labels is None:
        labels = _labels_of(p, t, include_background)
    return {int(k): metric(p == k, t == k, **kwargs) for k in labels}


def multiclass_dice(
    pred_labels: Any,
    truth_labels: Any,
    labels: Iterable[int] | None = None,
    include_background: bool = False,
) -> dict[int, float]:
    """Dice per class of two label maps (e.g. tissue classes CSF/GM/WM).

    Parameters
    ----------
    pred_labels, truth_labels : array_like or torch.Tensor of int
        Label maps of the same shape, one integer class per voxel.
    labels : iterable of int, optional
        Classes to score; default every label present except background 0.
    include_background : bool
        Include label 0 when ``labels`` is not given.

    Returns
    -------
    dict of int to float
        ``{label: Dice}``; see :func:`per_label`.
    """
    return per_label(dice, pred_labels, truth_labels, labels, include_background)
