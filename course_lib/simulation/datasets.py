"""Simulated subjects as training data: per-subject z-scoring, voxel tables, subject-level splits.

Features are z-scored per contrast and *per subject* inside its brain mask
(``(x - mean) / std``), so scanner intensity scales do not leak into features.
Volumes are indexed ``(X, Y, Z)`` (RAS world axes, see ``Subject.affine``); a
slice along ``axis`` keeps the two other axes in their original order, e.g.
``axis=2`` (axial) gives ``(H, W) = (X, Y)`` = (left->right, posterior->anterior).
Items are CPU tensors; move them with ``.to(device)`` in the training loop.

Always split *subjects*, never voxels, slices or patches: see :func:`split_subjects`.
"""

from __future__ import annotations

from typing import Sequence as SequenceType
from typing import TypeVar

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["VoxelFeatureDataset", "split_subjects", "normalize_subject", "TARGETS"]

T = TypeVar("T")
#: Targets understood by the datasets.
TARGETS = ("tissue", "lesion", "regions")


def _check(subjects, contrasts, target, allowed=TARGETS):
    subjects = list(subjects)
    if not subjects:
        raise ValueError("subjects is empty: pass at least one Subject.")
    if target not in allowed:
        raise ValueError(f"target must be one of {allowed}, got {target!r}.")
    contrasts = tuple(contrasts)
    for s in subjects:
        missing = [c for c in contrasts if c not in s.images]
        if missing:
            raise ValueError(
                f"Subject (seed {s.seed}) lacks contrast(s) {missing}; it has "
                f"{list(s.images)}. Simulate them via contrasts=..."
            )
    return subjects, contrasts


def _stats(subject, contrasts) -> tuple[np.ndarray, np.ndarray]:
    mask = np.asarray(subject.brain_mask)
    means, stds = [], []
    for c in contrasts:
        values = np.asarray(subject.images[c], dtype=np.float32)[mask]
        means.append(values.mean())
        stds.append(values.std() + 1e-6)
    return np.array(means, np.float32), np.array(stds, np.float32)


def normalize_subject(subject, contrasts: SequenceType[str]) -> np.ndarray:
    """``(C, X, Y, Z)`` float32 contrasts z-scored inside the subject's brain mask."""
    means, stds = _stats(subject, contrasts)
    out = np.empty((len(contrasts),) + subject.shape, dtype=np.float32)
    for i, c in enumerate(contrasts):
        out[i] = (np.asarray(subject.images[c], dtype=np.float32) - means[i]) / stds[i]
    return out


def _target_volume(subject, target: str) -> np.ndarray:
    """Integer target volume ``(X, Y, Z)``: tissue 0-3, lesion 0/1 or region codes."""
    if target == "tissue":
        return np.asarray(subject.labels, dtype=np.int64)
    if target == "lesion":
        return np.asarray(subject.lesion_mask, dtype=np.int64)
    return np.asarray(subject.regions, dtype=np.int64)


class VoxelFeatureDataset(Dataset):
    """One row per brain voxel: the contrasts' z-scored intensities and a label.

    Parameters
    ----------
    subjects : sequence of Subject
    contrasts : sequence of str
        Feature columns, in order.
    target : str
        ``"tissue"``: 0 CSF, 1 GM, 2 WM; ``"lesion"``: 0/1; ``"regions"``: region code.

    Attributes
    ----------
    X : np.ndarray
        ``(N, F)`` float32 features (``F = len(contrasts)``), for scikit-learn.
    y : np.ndarray
        ``(N,)`` int64 labels.
    subject_index : np.ndarray
        ``(N,)`` int64 position of each voxel's subject in ``subjects``.
    """

    def __init__(self, subjects, contrasts=("T1w", "T2w", "FLAIR"), target: str = "tissue"):
        subjects, contrasts = _check(subjects, contrasts, target)
        xs, ys, idx = [], [], []
        for k, s in enumerate(subjects):
            mask = np.asarray(s.brain_mask) & (np.asarray(s.labels) > 0)
            xs.append(normalize_subject(s, contrasts)[:, mask].T)
            y = _target_volume(s, target)[mask]
            ys.append(y - 1 if target == "tissue" else y)
            idx.append(np.full(int(mask.sum()), k, dtype=np.int64))
        self.X = np.ascontiguousarray(np.concatenate(xs), dtype=np.float32)
        self.y = np.concatenate(ys).astype(np.int64)
        self.subject_index = np.concatenate(idx)
        self.contrasts, self.target = contrasts, target
        self._X, self._y = torch.from_numpy(self.X), torch.from_numpy(self.y)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):
        """``(features (F,) float32, label () int64)``."""
        return self._X[i], self._y[i]

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All features ``(N, F)`` and labels ``(N,)`` as tensors sharing memory with X, y."""
        return self._X, self._y


def split_subjects(
    subjects: SequenceType[T], fractions=(0.6, 0.2, 0.2), seed: int = 0
) -> tuple[list[T], ...]:
    """Split *subjects* (not voxels) into train / validation / test lists.

    Why subject level: neighbouring voxels, slices and overlapping patches of one
    subject are nearly identical (same anatomy, noise level, bias field and
    scanner). If some go to training and their neighbours to testing, the test
    score measures memorisation of that subject and is optimistic; a new
    patient would score lower. Every voxel of a subject must therefore fall in
    exactly one split.

    Parameters
    ----------
    subjects : sequence
        Subjects (or anything: ids, paths).
    fractions : sequence of float
        Non-negative fractions summing to 1; one output list per fraction.
        Counts are ``round(fraction * n)`` except the last, which takes the rest.
    seed : int
        Seed of the random permutation.

    Returns
    -------
    tuple of lists
        Disjoint lists whose union is ``subjects``.
    """
    fractions = tuple(float(f) for f in fractions)
    if not fractions or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions!r}.")
    items = list(subjects)
    order = np.random.default_rng(seed).permutation(len(items))
    counts = [int(round(f * len(items))) for f in fractions[:-1]]
    if sum(counts) > len(items):
        counts[-1] -= sum(counts) - len(items)
    bounds = np.cumsum([0] + counts + [len(items) - sum(counts)])
    return tuple([items[j] for j in order[a:b]] for a, b in zip(bounds[:-1], bounds[1:]))
