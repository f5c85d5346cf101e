"""PyTorch datasets over simulated subjects: voxel tables, 2-D slices and lesion patches.

All datasets z-score each contrast *per subject* inside its brain mask
(``(x - mean) / std``), so scanner intensity scales do not leak into features.
Volumes are indexed ``(X, Y, Z)`` (RAS world axes, see ``Subject.affine``); a
slice along ``axis`` keeps the two other axes in their original order, e.g.
``axis=2`` (axial) gives ``(H, W) = (X, Y)`` = (left->right, posterior->anterior).
Items are CPU tensors; move them with ``.to(device)`` in the training loop.

Always split *subjects*, never voxels, slices or patches: see :func:`split_subjects`.
"""
from __future__ import annotations

from typing import Sequence as SequenceType, TypeVar

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["VoxelFeatureDataset", "SliceDataset", "PatchDataset", "split_subjects",
           "normalize_subject", "TARGETS"]

T = TypeVar("T")
#: Targets understood by the datasets.
TARGETS = ("tissue", "lesion", "tumor", "regions")


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
            raise ValueError(f"Subject (seed {s.seed}) lacks contrast(s) {missing}; it has "
                             f"{list(s.images)}. Simulate them via contrasts=...")
        if target == "tumor" and s.tumor_labels is None:
            raise ValueError("target='tumor' needs subjects simulated with tumor=True.")
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
    """Integer target volume ``(X, Y, Z)``: see :class:`SliceDataset` for the codes."""
    if target == "tissue":
        return np.asarray(subject.labels, dtype=np.int64)
    if target == "lesion":
        return np.asarray(subject.lesion_mask, dtype=np.int64)
    if target == "regions":
        return np.asarray(subject.regions, dtype=np.int64)
    brats = np.asarray(subject.tumor_labels, dtype=np.int64)
    return np.where(brats == 4, 3, brats)  # BraTS 0, 1, 2, 4 -> contiguous 0, 1, 2, 3


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
        subjects, contrasts = _check(subjects, contrasts, target, ("tissue", "lesion", "regions"))
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


class SliceDataset(Dataset):
    """2-D slices of every subject with a dense target.

    Parameters
    ----------
    subjects : sequence of Subject
    contrasts : sequence of str
        Input channels, in order.
    target : str
        ``"tissue"``: 0 background, 1 CSF, 2 GM, 3 WM; ``"lesion"``: 0/1;
        ``"tumor"``: 0 background, 1 necrotic core, 2 oedema, 3 enhancing (BraTS 4);
        ``"regions"``: region codes (``REGION_NAMES``).
    axis : int
        Slicing axis (2 = axial, 1 = coronal, 0 = sagittal).
    min_brain_fraction : float
        Keep slices whose brain mask covers at least this fraction of the slice.
    pad_to_multiple : int
        Zero-pad (after normalisation) ``H`` and ``W`` at the end up to a multiple
        of this (U-Nets halve the size 4 times: 16); 1 disables padding.

    Items are ``(image (C, H, W) float32, target (H, W) int64)``; ``index[i]``
    gives ``(subject position, slice number)``.
    """

    def __init__(self, subjects, contrasts=("T1w", "T2w", "FLAIR"), target: str = "tissue",
                 axis: int = 2, min_brain_fraction: float = 0.1, pad_to_multiple: int = 16):
        subjects, contrasts = _check(subjects, contrasts, target)
        if axis not in (0, 1, 2):
            raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}.")
        if pad_to_multiple < 1:
            raise ValueError(f"pad_to_multiple must be >= 1, got {pad_to_multiple!r}.")
        self.contrasts, self.target, self.axis = contrasts, target, axis
        self._volumes, self._targets, index = [], [], []
        for k, s in enumerate(subjects):
            self._volumes.append(normalize_subject(s, contrasts))
            self._targets.append(_target_volume(s, target))
            other = tuple(a for a in range(3) if a != axis)
            fraction = np.asarray(s.brain_mask).mean(axis=other)
            index += [(k, int(z)) for z in np.flatnonzero(fraction >= min_brain_fraction)]
        self.index = index
        shape = [n for a, n in enumerate(subjects[0].shape) if a != axis]
        self.out_shape = tuple(-(-n // pad_to_multiple) * pad_to_multiple for n in shape)

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i):
        k, z = self.index[i]
        image = np.take(self._volumes[k], z, axis=self.axis + 1)
        target = np.take(self._targets[k], z, axis=self.axis)
        h, w = self.out_shape
        padded = np.zeros((image.shape[0], h, w), dtype=np.float32)
        padded[:, : image.shape[1], : image.shape[2]] = image
        label = np.zeros((h, w), dtype=np.int64)
        label[: target.shape[0], : target.shape[1]] = target
        return torch.from_numpy(padded), torch.from_numpy(label)


class PatchDataset(Dataset):
    """Axial 2-D patches centred on voxels, balanced between lesion and background.

    Centres are drawn once, at construction, from ``seed``: ``round(n_patches *
    positive_fraction)`` uniformly among target voxels of all subjects, the rest
    among non-target brain voxels. A patch covers voxels ``c - P//2 .. c + P - P//2 - 1``
    in X and Y at the centre's axial slice (outside the grid: zeros before
    normalisation). Items are ``(patch (C, P, P) float32, label () float32)``,
    label 1.0 when the centre voxel is lesion (or tumour, ``target="tumor"``).
    ``centres`` holds ``(subject position, i, j, k)`` rows.
    """

    def __init__(self, subjects, contrasts=("T1w", "T2w", "FLAIR"), patch_size: int = 40,
                 n_patches: int = 2000, positive_fraction: float = 0.5, target: str = "lesion",
                 seed: int = 0):
        subjects, contrasts = _check(subjects, contrasts, target, ("lesion", "tumor"))
        if patch_size < 1 or n_patches < 0 or not 0.0 <= positive_fraction <= 1.0:
            raise ValueError("need patch_size >= 1, n_patches >= 0, 0 <= positive_fraction <= 1; "
                             f"got {patch_size!r}, {n_patches!r}, {positive_fraction!r}.")
        rng = np.random.default_rng(seed)
        self.contrasts, self.patch_size, self.target = contrasts, int(patch_size), target
        half = self.patch_size // 2
        self._volumes, pos, neg = [], [], []
        for k, s in enumerate(subjects):
            volume = normalize_subject(s, contrasts)
            means, stds = _stats(s, contrasts)
            shape = (len(contrasts), volume.shape[1] + self.patch_size,
                     volume.shape[2] + self.patch_size, volume.shape[3])
            padded = np.empty(shape, dtype=np.float32)
            padded[:] = (-means / stds)[:, None, None, None]  # normalised value of raw 0
            padded[:, half: half + volume.shape[1], half: half + volume.shape[2]] = volume
            self._volumes.append(padded)
            positive = _target_volume(s, target) > 0
            pos.append(np.column_stack([np.full(positive.sum(), k), np.argwhere(positive)]))
            negative = np.asarray(s.brain_mask) & ~positive
            neg.append(np.column_stack([np.full(negative.sum(), k), np.argwhere(negative)]))
        pos, neg = np.concatenate(pos), np.concatenate(neg)
        n_pos = int(round(n_patches * positive_fraction))
        if n_pos and not len(pos):
            raise ValueError(f"No {target} voxels in these subjects: cannot draw positive patches "
                             "(simulate with lesions=True, or set positive_fraction=0).")
        chosen_pos = pos[rng.integers(0, len(pos), n_pos)] if n_pos else pos[:0]
        chosen_neg = neg[rng.integers(0, len(neg), n_patches - n_pos)]
        self.centres = np.concatenate([chosen_pos, chosen_neg]).astype(np.int64)
        self.labels = np.concatenate([np.ones(n_pos), np.zeros(n_patches - n_pos)])
        self.labels = self.labels.astype(np.float32)
        order = rng.permutation(n_patches)
        self.centres, self.labels = self.centres[order], self.labels[order]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i):
        k, x, y, z = (int(v) for v in self.centres[i])
        p = self.patch_size  # padded index of voxel x is x + P//2: window starts at x
        patch = self._volumes[k][:, x: x + p, y: y + p, z]
        return torch.from_numpy(np.ascontiguousarray(patch)), torch.tensor(self.labels[i])


def split_subjects(subjects: SequenceType[T], fractions=(0.6, 0.2, 0.2),
                   seed: int = 0) -> tuple[list[T], ...]:
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
