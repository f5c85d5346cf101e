"""Regional features (mean intensity, volume) from images and integer label maps, for ComBat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._checks import as_image

__all__ = ["feature_table", "FEATURE_STATS"]

FEATURE_STATS: tuple[str, ...] = ("mean", "std", "volume")


def feature_table(
    images: Sequence[Any],
    label_maps: Sequence[Any],
    labels: Sequence[int] | None = None,
    label_names: Mapping[int, str] | None = None,
    stats: Sequence[str] = ("mean", "volume"),
    voxel_volume_mm3: float | Sequence[float] = 1.0,
) -> tuple[np.ndarray, list[str]]:
    """Extract one row of regional features per subject.

    Parameters
    ----------
    images : sequence of array-like
        One intensity image per subject (any shape; subjects may differ in shape).
    label_maps : sequence of array-like of int
        One label map per subject, same shape as its image; ``0`` is background.
    labels : sequence of int, optional
        Regions to describe; default every non-zero label found in any subject, sorted.
    label_names : mapping int -> str, optional
        Names used in the feature names (default ``"label<k>"``).
    stats : sequence of {"mean", "std", "volume"}
        Per region: mean and standard deviation of the intensity (image units) and the
        volume (number of voxels times ``voxel_volume_mm3``, in mm^3).
    voxel_volume_mm3 : float or sequence of float
        Volume of one voxel in mm^3, one value for all subjects or one per subject
        (e.g. ``abs(det(affine[:3, :3]))`` of each NIfTI).

    Returns
    -------
    features : ndarray (n_subjects, n_labels * n_stats), float64
        Columns ordered region by region, stats in the order given. A region absent from
        a subject has volume 0 and NaN mean/std (drop such columns before ComBat).
    names : list of str
        Column names such as ``"WM_mean"``, ``"WM_volume_mm3"``.
    """
    if len(images) != len(label_maps):
        raise ValueError(
            f"got {len(images)} images but {len(label_maps)} label maps; pass one label "
            "map per image"
        )
    if not len(images):
        raise ValueError("feature_table needs at least one subject")
    unknown = [s for s in stats if s not in FEATURE_STATS]
    if unknown or not len(stats):
        raise ValueError(f"stats must be a non-empty subset of {FEATURE_STATS}, got {list(stats)}")
    vox = np.broadcast_to(np.asarray(voxel_volume_mm3, dtype=np.float64), (len(images),))
    maps = []
    for i, (img, lab) in enumerate(zip(images, label_maps)):
        arr = as_image(img, f"images[{i}]")
        lab = np.asarray(lab.detach().cpu().numpy() if hasattr(lab, "detach") else lab)
        if not np.issubdtype(lab.dtype, np.integer):
            raise TypeError(f"label_maps[{i}] must have an integer dtype, got {lab.dtype}")
        if lab.shape != arr.shape:
            raise ValueError(f"label_maps[{i}] has shape {lab.shape}, images[{i}] has {arr.shape}")
        if lab.min() < 0:
            raise ValueError(f"label_maps[{i}] has negative labels; use 0 for background")
        maps.append((arr.ravel(), lab.ravel()))
    if labels is None:
        found = set()
        for _, lab in maps:
            found.update(np.unique(lab).tolist())
        labels = sorted(found - {0})
    labels = [int(v) for v in labels]
    names_of = dict(label_names or {})

    columns: list[str] = []
    for v in labels:
        base = names_of.get(v, f"label{v}")
        for s in stats:
            columns.append(f"{base}_volume_mm3" if s == "volume" else f"{base}_{s}")
    table = np.empty((len(maps), len(columns)))
    for i, (arr, lab) in enumerate(maps):
        size = max(int(lab.max()), max(labels, default=0)) + 1
        count = np.bincount(lab, minlength=size).astype(np.float64)
        total = np.bincount(lab, weights=arr, minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / count
            if "std" in stats:
                sq = np.bincount(lab, weights=arr * arr, minlength=size)
                std = np.sqrt(np.maximum(sq / count - mean**2, 0.0))
        row = []
        for v in labels:
            for s in stats:
                if s == "volume":
                    row.append(count[v] * vox[i])
                elif s == "mean":
                    row.append(mean[v] if count[v] else np.nan)
                else:
                    row.append(std[v] if count[v] else np.nan)
        table[i] = row
    return table, columns
