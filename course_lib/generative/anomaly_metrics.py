"""Scoring anomaly maps (chapter 09): pixel AUROC and AUPRC, Dice at a threshold, subject scores.

An anomaly map (:func:`course_lib.generative.anomaly.anomaly_map`) ranks pixels; how good
that ranking is depends on what is asked:

* :func:`pixel_auroc` — probability that a random anomalous pixel outscores a random
  normal one. Blind to rarity: with lesions covering 0.25 % of the brain, an AUROC of
  0.95 can still mean that most flagged pixels are false positives;
* :func:`pixel_auprc` — area under the precision-recall curve, which does see rarity
  (chance level = the fraction of anomalous pixels);
* :func:`best_dice_threshold` and :func:`dice_per_subject` — the segmentation a
  radiologist would get: Dice of the map thresholded at a value chosen on validation
  subjects (Baur et al. 2021 report the best achievable Dice, the same search run on
  the test set, as an upper bound);
* :func:`subject_scores` — one score per subject, for patient-level detection (is this
  scan abnormal?), the question of the lecture's Parkinson table;
* :func:`region_auroc_table` — pixel AUROC region by region.

All functions take ``(N, H, W)`` slices (see :class:`~course_lib.generative.anomaly.SlabSlices`).

References
----------
.. [1] C. Baur, S. Denner, B. Wiestler, N. Navab, S. Albarqouni,
   "Autoencoders for unsupervised anomaly segmentation in brain MR images:
   a comparative study", Medical Image Analysis 69, 2021.
   doi:10.1016/j.media.2020.101952
.. [2] T. Saito, M. Rehmsmeier, "The precision-recall plot is more informative than
   the ROC plot when evaluating binary classifiers on imbalanced datasets", PLoS ONE
   10(3):e0118432, 2015. doi:10.1371/journal.pone.0118432
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

__all__ = [
    "pixel_auroc",
    "pixel_auprc",
    "best_dice_threshold",
    "dice_per_subject",
    "subject_scores",
    "region_auroc_table",
]


def _masked(
    scores: np.ndarray, truth: np.ndarray, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    scores, truth = np.asarray(scores), np.asarray(truth, dtype=bool)
    if scores.shape != truth.shape:
        raise ValueError(f"scores {scores.shape} and truth {truth.shape} must have one shape.")
    mask = np.ones(truth.shape, bool) if mask is None else np.asarray(mask, dtype=bool)
    if mask.shape != truth.shape:
        raise ValueError(f"mask {mask.shape} must have the shape of truth {truth.shape}.")
    return scores[mask], truth[mask]


def pixel_auroc(scores: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Pixel-level ROC AUC of ``scores`` for the binary ``truth`` inside ``mask``.

    Returns ``nan`` when the masked pixels hold only one class (AUROC undefined).
    Uses :func:`sklearn.metrics.roc_auc_score` (ties count one half).
    """
    from sklearn.metrics import roc_auc_score

    scores, truth = np.asarray(scores), np.asarray(truth, dtype=bool)
    if scores.shape != truth.shape:
        raise ValueError(f"scores {scores.shape} and truth {truth.shape} must have one shape.")
    mask = np.ones(truth.shape, bool) if mask is None else np.asarray(mask, dtype=bool)
    y = truth[mask]
    if y.all() or not y.any():
        return float("nan")
    return float(roc_auc_score(y, scores[mask]))


def pixel_auprc(scores: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Area under the precision-recall curve (average precision) of ``scores`` inside ``mask``.

    Unlike the AUROC, it depends on how rare the anomaly is: a random score gets
    about the fraction of anomalous pixels (0.0025 for lesions covering 0.25 % of
    the brain), a perfect one 1. Uses :func:`sklearn.metrics.average_precision_score`;
    ``nan`` when the masked pixels hold only one class.
    """
    from sklearn.metrics import average_precision_score

    s, y = _masked(scores, truth, mask)
    if y.all() or not y.any():
        return float("nan")
    return float(average_precision_score(y, s))


def best_dice_threshold(
    scores: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None
) -> tuple[float, float]:
    """The threshold ``t`` that maximises the Dice of ``scores >= t`` inside ``mask``, and that Dice.

    Dice equals the F1 score (``2 P R / (P + R)``), so the search runs along the
    precision-recall curve (:func:`sklearn.metrics.precision_recall_curve`): every
    distinct score is a candidate. The Dice is computed over all masked pixels
    together (one confusion matrix for the whole set). Run it on **validation**
    subjects and apply the threshold to the test subjects; on the test set itself it
    gives Baur et al.'s (2021) best achievable Dice, an optimistic upper bound.

    Returns
    -------
    (dice, threshold) : tuple of float
        ``(nan, nan)`` when ``truth`` has no anomalous pixel inside ``mask``.
    """
    from sklearn.metrics import precision_recall_curve

    s, y = _masked(scores, truth, mask)
    if not y.any():
        return float("nan"), float("nan")
    precision, recall, thresholds = precision_recall_curve(y, s)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    best = int(np.argmax(f1))
    return float(f1[best]), float(thresholds[best])


def dice_per_subject(
    scores: np.ndarray,
    truth: np.ndarray,
    threshold: float,
    subject_index: np.ndarray,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Dice of ``scores >= threshold`` against ``truth`` for each subject (inside ``mask``).

    Parameters
    ----------
    scores, truth : np.ndarray, shape (N, H, W)
        Anomaly scores and true anomalies of N slices.
    threshold : float
        Chosen beforehand (e.g. :func:`best_dice_threshold` on validation subjects).
    subject_index : np.ndarray, shape (N,)
        Subject of each slice (:attr:`SlabSlices.subject_index`).
    mask : np.ndarray of bool, shape (N, H, W), optional
        Pixels that count (the eroded brain).

    Returns
    -------
    np.ndarray
        One Dice per subject, in the order of ``np.unique(subject_index)``; the course's
        empty-mask rule applies (:func:`course_lib.metrics.dice`: 1 if both are empty).
    """
    from course_lib.metrics import dice

    scores, truth = np.asarray(scores), np.asarray(truth, dtype=bool)
    mask = np.ones(truth.shape, bool) if mask is None else np.asarray(mask, dtype=bool)
    subject_index = np.asarray(subject_index)
    if (
        scores.shape != truth.shape
        or mask.shape != truth.shape
        or subject_index.shape != truth.shape[:1]
    ):
        raise ValueError(
            f"scores {scores.shape}, truth {truth.shape}, mask {mask.shape} must match and "
            f"subject_index must be ({truth.shape[0]},), got {subject_index.shape}."
        )
    predicted = (scores >= threshold) & mask
    return np.array(
        [
            dice(
                predicted[subject_index == k], truth[subject_index == k] & mask[subject_index == k]
            )
            for k in np.unique(subject_index)
        ]
    )


def subject_scores(
    scores: np.ndarray, mask: np.ndarray, subject_index: np.ndarray, top_fraction: float = 0.001
) -> np.ndarray:
    """One anomaly score per subject: the mean of its highest ``top_fraction`` pixel scores.

    A patient-level detector (healthy vs patient) needs one number per subject; the
    maximum pixel is noisy, the mean over the whole brain drowns a small lesion. The
    mean of the top 0.1 % of the subject's masked pixels is a simple compromise
    (fixed in advance, not tuned).

    Parameters
    ----------
    scores, mask : np.ndarray, shape (N, H, W)
        Anomaly scores and the pixels that count, for the slices of several subjects.
    subject_index : np.ndarray, shape (N,)
        Subject of each slice.
    top_fraction : float
        Fraction of each subject's masked pixels averaged (at least one pixel).

    Returns
    -------
    np.ndarray
        One score per subject, in the order of ``np.unique(subject_index)``.
    """
    if not 0.0 < top_fraction <= 1.0:
        raise ValueError(f"top_fraction must be in (0, 1], got {top_fraction!r}.")
    scores, mask = np.asarray(scores), np.asarray(mask, dtype=bool)
    subject_index = np.asarray(subject_index)
    if scores.shape != mask.shape or subject_index.shape != scores.shape[:1]:
        raise ValueError(
            f"scores {scores.shape} and mask {mask.shape} must match and subject_index "
            f"must be ({scores.shape[0]},), got {subject_index.shape}."
        )
    out = []
    for k in np.unique(subject_index):
        values = np.sort(scores[subject_index == k][mask[subject_index == k]])
        if values.size == 0:
            raise ValueError(f"subject {k} has no pixel inside the mask.")
        out.append(values[-max(1, int(round(top_fraction * values.size))) :].mean())
    return np.array(out, dtype=np.float64)


def region_auroc_table(
    scores: Mapping[str, np.ndarray],
    truth: np.ndarray,
    brain: np.ndarray,
    regions: Mapping[str, np.ndarray],
    min_positives: int = 20,
) -> dict[str, dict[str, float]]:
    """Per-region pixel AUROC of several score maps (the lecture's Kmetzsch-table shape).

    Parameters
    ----------
    scores : mapping of str to np.ndarray
        Model name -> ``(N, H, W)`` anomaly scores.
    truth, brain : np.ndarray
        ``(N, H, W)`` bool true anomalies and brain mask.
    regions : mapping of str to np.ndarray
        Region name -> ``(N, H, W)`` bool mask (e.g. :attr:`SlabSlices.regions`).
    min_positives : int, default 20
        Regions with fewer anomalous pixels get ``nan`` (too few to estimate).

    Returns
    -------
    dict
        ``table[region][model]`` = AUROC of that model's scores over the brain
        pixels of the region (anomalous vs normal pixels), plus
        ``table[region]["positives"]``, the number of anomalous pixels.
    """
    truth, brain = np.asarray(truth, bool), np.asarray(brain, bool)
    table = {}
    for region, mask in regions.items():
        inside = brain & np.asarray(mask, bool)
        positives = int((truth & inside).sum())
        row = {"positives": float(positives)}
        for name, score in scores.items():
            row[name] = (
                pixel_auroc(score, truth, inside) if positives >= min_positives else float("nan")
            )
        table[region] = row
    return table
