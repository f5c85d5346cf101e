"""Lesion-wise detection scores from connected components.

Voxel metrics weight a lesion by its size: missing ten small lesions may cost
less Dice than shaving the rim of one large lesion. Clinicians count lesions
(multiple sclerosis diagnosis and follow-up rely on new lesions), so the
MS-SEG 2016 challenge also scored detection lesion by lesion [1]_.

A *lesion* is a connected component of a binary mask. A reference (truth)
lesion is **detected** when the prediction covers at least one of its voxels
and at least a fraction ``min_overlap`` of them; a predicted lesion is a
**true positive** when the truth covers at least one of its voxels and at
least ``min_overlap`` of them, and a **false positive** otherwise.

* lesion TPR (sensitivity) = detected truth lesions / truth lesions
* lesion PPV (precision) = true-positive predicted lesions / predicted lesions
* lesion FPR = 1 - PPV = false-positive predicted lesions / predicted lesions
  (the fraction of predicted lesions that do not overlap the truth; not a
  rate over negatives, which lesions do not have)
* lesion F1 = 2 TPR PPV / (TPR + PPV)

Empty cases follow the rule of :mod:`course_lib.metrics.overlap`: a ratio
with nothing to count is 1.0 (TPR, PPV, F1) / 0.0 (FPR) when both masks have no
lesion, and ``zero_division`` (default 0.0 for TPR/PPV/F1, hence FPR = 1.0)
otherwise. The raw counts are returned as well.

References
----------
.. [1] O. Commowick et al., "Objective evaluation of multiple sclerosis lesion
   segmentation using a data management and processing infrastructure,"
   Scientific Reports 8:13650, 2018. doi:10.1038/s41598-018-31911-7
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from course_lib.metrics._arrays import as_binary_mask, as_mask_pair, ratio

__all__ = ["label_lesions", "LesionDetection", "lesion_detection"]


def label_lesions(mask: Any, connectivity: int | None = None) -> tuple[NDArray[np.int32], int]:
    """Label the connected components (lesions) of a binary mask.

    Parameters
    ----------
    mask : array_like or torch.Tensor of bool or {0, 1}
        Binary mask, ``(H, W)`` or ``(H, W, D)``.
    connectivity : int, optional
        1..ndim; voxels sharing a face (1), also an edge (2) or also a corner
        (3, in 3-D) are neighbours. Default ``ndim`` (26-connectivity in 3-D,
        8 in 2-D), so that a lesion touching diagonally counts once.

    Returns
    -------
    labels : numpy.ndarray of int32
        Same shape as ``mask``; 0 background, 1..n lesion ids.
    n : int
        Number of lesions.
    """
    m = as_binary_mask(mask, "mask")
    c = m.ndim if connectivity is None else connectivity
    if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 1 <= c <= m.ndim:
        raise ValueError(
            f"`connectivity` must be None or an integer in 1..{m.ndim}, got {connectivity!r}."
        )
    structure = ndimage.generate_binary_structure(m.ndim, int(c))
    labels, n = ndimage.label(m, structure=structure, output=np.int32)
    return labels, int(n)


@dataclass(frozen=True)
class LesionDetection:
    """Lesion-wise detection counts and scores (see the module docstring).

    Attributes
    ----------
    n_truth, n_pred : int
        Numbers of reference and predicted lesions.
    n_detected : int
        Reference lesions hit by the prediction.
    n_true_positive : int
        Predicted lesions that hit the reference.
    n_false_positive : int
        Predicted lesions that do not (``n_pred - n_true_positive``).
    tpr, ppv, fpr, f1 : float
        Lesion sensitivity, precision, false-positive fraction and F1.
    """

    n_truth: int
    n_pred: int
    n_detected: int
    n_true_positive: int
    n_false_positive: int
    tpr: float
    ppv: float
    fpr: float
    f1: float

    def as_dict(self) -> dict[str, float]:
        """All fields as a plain dict (one row of a per-subject table)."""
        return dict(self.__dict__)


def _hits(labels: np.ndarray, n: int, other: np.ndarray, min_overlap: float) -> int:
    """Number of components of ``labels`` covered enough by ``other``."""
    if n == 0:
        return 0
    size = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    covered = np.bincount(labels[other], minlength=n + 1)[1:]
    return int(np.count_nonzero((covered > 0) & (covered >= min_overlap * size)))


def lesion_detection(
    pred: Any,
    truth: Any,
    connectivity: int | None = None,
    min_overlap: float = 0.0,
    zero_division: float = 0.0,
) -> LesionDetection:
    """Score lesion detection: lesion TPR, FPR (false-positive fraction) and F1.

    Parameters
    ----------
    pred, truth : array_like or torch.Tensor of bool or {0, 1}
        Binary masks of the same shape, ``(H, W)`` or ``(H, W, D)``.
    connectivity : int, optional
        Connectivity of the components, see :func:`label_lesions` (default ndim).
    min_overlap : float
        Fraction in [0, 1] of a lesion's voxels that the other mask must cover
        for a hit; 0.0 (default) means any overlap of at least one voxel.
    zero_division : float
        TPR/PPV when there is nothing to count in one mask only (default 0.0).

    Returns
    -------
    LesionDetection
        Counts and scores.
    """
    p, t = as_mask_pair(pred, truth)
    if not 0.0 <= min_overlap <= 1.0:
        raise ValueError(f"`min_overlap` must be a fraction in [0, 1], got {min_overlap}.")
    lp, n_pred = label_lesions(p, connectivity)
    lt, n_truth = label_lesions(t, connectivity)
    n_detected = _hits(lt, n_truth, p, min_overlap)
    n_tp = _hits(lp, n_pred, t, min_overlap)
    both_empty = n_truth == 0 and n_pred == 0
    tpr = ratio(n_detected, n_truth, both_empty, zero_division)
    ppv = ratio(n_tp, n_pred, both_empty, zero_division)
    f1 = ratio(2 * tpr * ppv, tpr + ppv, both_empty, 0.0)
    return LesionDetection(
        n_truth=n_truth,
        n_pred=n_pred,
        n_detected=n_detected,
        n_true_positive=n_tp,
        n_false_positive=n_pred - n_tp,
        tpr=tpr,
        ppv=ppv,
        fpr=1.0 - ppv,
        f1=f1,
    )
