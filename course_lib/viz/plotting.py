"""Figures every chapter uses: orthogonal slices of a volume, mask overlays, training curves.

Orientation
-----------
Volumes follow the NIfTI convention used by nibabel and nilearn: array axes ``(i, j, k)``
are voxel indices, and the 4x4 ``affine`` maps them to world coordinates ``(x, y, z)`` in
millimetres, RAS+ (x grows to the subject's Right, y to Anterior, z to Superior). For the
ICBM152 template the affine is diagonal, so axis 0 is left->right, axis 1 posterior->anterior
and axis 2 inferior->superior. We draw in the *neurological* convention: the subject's right
is on the right of the screen (radiological viewers flip it), and every panel is labelled
with its world axes in mm.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "orthogonal_slices",
    "show_orthogonal",
    "show_slices",
    "plot_history",
    "TISSUE_COLORS",
    "label_colormap",
]

TISSUE_COLORS = {1: (0.2, 0.4, 1.0), 2: (0.6, 0.6, 0.6), 3: (1.0, 1.0, 0.85), 4: (1.0, 0.1, 0.1)}
_VIEWS = ("sagittal", "coronal", "axial")


def _check_axis_aligned(affine: np.ndarray) -> np.ndarray:
    affine = np.asarray(affine, dtype=float)
    if affine.shape != (4, 4):
        raise ValueError(f"affine must be a 4x4 matrix, got shape {affine.shape}")
    linear = affine[:3, :3]
    off_diagonal = linear - np.diag(np.diag(linear))
    if np.abs(off_diagonal).max() > 1e-6 * np.abs(linear).max() or np.any(np.diag(linear) <= 0):
        raise ValueError(
            "show_orthogonal expects an axis-aligned RAS+ affine (positive diagonal). "
            "Reorient first: nibabel.as_closest_canonical(img), or resample the image."
        )
    return affine


def orthogonal_slices(
    volume: np.ndarray, affine: np.ndarray | None = None, index: Sequence[int] | None = None
) -> list[dict]:
    """Cut a 3-D volume into sagittal, coronal and axial slices through one voxel.

    Parameters
    ----------
    volume : ndarray, shape (I, J, K)
        Image in voxel order, RAS+ orientation (see module docstring).
    affine : ndarray (4, 4), optional
        Voxel -> world (mm) matrix; identity (1-mm voxels at the origin) if omitted.
    index : (i, j, k), optional
        Voxel the three planes pass through; the volume centre by default.

    Returns
    -------
    list of dict
        One dict per view with ``"name"``, ``"image"`` (2-D array already transposed for
        ``imshow(origin="lower")``), ``"extent"`` (world mm: left, right, bottom, top),
        ``"xlabel"``, ``"ylabel"`` and ``"world"`` (the world coordinate of the cut, mm).
    """
    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise ValueError(f"volume must be 3-D (I, J, K), got shape {volume.shape}")
    affine = _check_axis_aligned(np.eye(4) if affine is None else affine)
    index = [s // 2 for s in volume.shape] if index is None else [int(v) for v in index]
    for axis, (value, size) in enumerate(zip(index, volume.shape)):
        if not 0 <= value < size:
            raise IndexError(f"index[{axis}]={value} is outside 0..{size - 1}")
    spacing, origin = np.diag(affine)[:3], affine[:3, 3]
    lower = origin - spacing / 2
    upper = origin + spacing * (np.array(volume.shape) - 0.5)
    world = origin + spacing * np.array(index)
    names = ("x (mm, L→R)", "y (mm, P→A)", "z (mm, I→S)")
    views = []
    for fixed, name in enumerate(_VIEWS):
        free = [axis for axis in range(3) if axis != fixed]
        cut = np.take(volume, index[fixed], axis=fixed).T
        views.append(
            {
                "name": name,
                "image": cut,
                "extent": (lower[free[0]], upper[free[0]], lower[free[1]], upper[free[1]]),
                "xlabel": names[free[0]],
                "ylabel": names[free[1]],
                "world": float(world[fixed]),
            }
        )
    return views


def label_colormap(n_labels: int = 5):
    """A listed colormap for integer label maps (0 transparent)."""
    from matplotlib.colors import ListedColormap

    colors = [(0, 0, 0, 0)] + [
        (*TISSUE_COLORS.get(i, plt.cm.tab10(i)[:3]), 1.0) for i in range(1, n_labels)
    ]
    return ListedColormap(colors)


def show_orthogonal(
    volume: np.ndarray,
    affine: np.ndarray | None = None,
    index: Sequence[int] | None = None,
    overlay: np.ndarray | None = None,
    overlay_alpha: float = 0.4,
    cmap: str = "gray",
    title: str | None = None,
    axes: Sequence[plt.Axes] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> plt.Figure:
    """Draw sagittal, coronal and axial slices of ``volume`` in world coordinates.

    ``overlay`` is an integer label map (or boolean mask) on the same grid, drawn in colour
    with label 0 transparent. See :func:`orthogonal_slices` for the conventions.
    """
    views = orthogonal_slices(volume, affine, index)
    overlays = (
        orthogonal_slices(overlay.astype(np.int16), affine, index) if overlay is not None else None
    )
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    else:
        fig = axes[0].figure
    finite = np.asarray(volume)[np.isfinite(volume)]
    vmin = float(np.percentile(finite, 1)) if vmin is None else vmin
    vmax = float(np.percentile(finite, 99.5)) if vmax is None else vmax
    for position, (ax, view) in enumerate(zip(axes, views)):
        ax.imshow(
            view["image"],
            cmap=cmap,
            origin="lower",
            extent=view["extent"],
            vmin=vmin,
            vmax=vmax,
            interpolation="nearest",
        )
        if overlays is not None:
            n_labels = max(int(overlay.max()) + 1, 2)
            ax.imshow(
                overlays[position]["image"],
                cmap=label_colormap(max(n_labels, 5)),
                vmin=0,
                vmax=max(n_labels, 5) - 1,
                origin="lower",
                alpha=overlay_alpha,
                extent=view["extent"],
                interpolation="nearest",
            )
        ax.set_title(f"{view['name']} ({'xyz'[position]} = {view['world']:.0f} mm)", fontsize=9)
        ax.set_xlabel(view["xlabel"], fontsize=8)
        ax.set_ylabel(view["ylabel"], fontsize=8)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def show_slices(
    images: Mapping[str, np.ndarray],
    cmap: str = "gray",
    ncols: int | None = None,
    size: float = 2.4,
    overlays: Mapping[str, np.ndarray] | None = None,
) -> plt.Figure:
    """Show several 2-D images side by side with titles (already oriented for display)."""
    names = list(images)
    ncols = ncols or len(names)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names):
        ax.imshow(np.asarray(images[name]).T, cmap=cmap, origin="lower", interpolation="nearest")
        if overlays and name in overlays:
            mask = np.asarray(overlays[name]).T
            ax.imshow(
                np.ma.masked_where(mask == 0, mask),
                cmap="autumn",
                origin="lower",
                alpha=0.6,
                interpolation="nearest",
            )
        ax.set_title(name, fontsize=9)
    fig.tight_layout()
    return fig


def plot_history(
    history, keys: Sequence[str] | None = None, ax: plt.Axes | None = None, title: str | None = None
) -> plt.Axes:
    """Plot per-epoch curves of a :class:`course_lib.core.training.History` (or a dict of lists)."""
    logs = getattr(history, "history", history)
    keys = list(keys) if keys is not None else list(logs)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3))
    for key in keys:
        if key not in logs:
            raise KeyError(f"no curve named {key!r}; available: {sorted(logs)}")
        ax.plot(np.arange(1, len(logs[key]) + 1), logs[key], marker=".", label=key)
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
