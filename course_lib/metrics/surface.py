"""Surface-distance metrics in millimetres: Hausdorff, HD95 and ASSD.

Definitions used throughout (2-D and 3-D, any voxel spacing):

* **Surface** of a binary mask: its foreground voxels that have at least one
  background neighbour, i.e. ``mask & ~binary_erosion(mask, structure)`` with
  ``structure = generate_binary_structure(ndim, connectivity)``. With the
  default ``connectivity=1`` the neighbours are the ``2 * ndim`` face
  neighbours. Outside the array counts as background, so foreground touching
  the array border is surface there.
* **Directed surface distances** from A to B: for every surface voxel of A,
  the Euclidean distance in mm between its centre and the nearest surface
  voxel centre of B, from ``scipy.ndimage.distance_transform_edt(~surface_B,
  sampling=spacing)``. Spacing follows the array's axis order.
* **Hausdorff distance** at percentile q: ``max(P_q(d(A->B)), P_q(d(B->A)))``
  with ``P_q`` NumPy's (linearly interpolated) percentile; q = 100 is the
  classic Hausdorff distance [1]_, q = 95 the robust "HD95" (the same
  convention as MONAI's ``compute_hausdorff_distance``).
* **ASSD**: mean of all directed distances of both directions pooled,
  ``(sum d(A->B) + sum d(B->A)) / (|S_A| + |S_B|)`` [2]_.

Empty masks: both empty -> every distance is 0.0; exactly one empty -> every
distance is ``inf`` (the distance to an empty set is unbounded). Averages over
subjects must therefore say how they treat ``inf``: see
:func:`course_lib.metrics.summarize` and :func:`image_diagonal`.

Speed: only the bounding box of ``pred | truth`` (plus one voxel) can hold
surface voxels, so the distance transforms run on that crop; the result is
exactly the same as on the full array.

References
----------
.. [1] D. P. Huttenlocher, G. A. Klanderman, W. J. Rucklidge, "Comparing
   images using the Hausdorff distance," IEEE TPAMI 15(9):850-863, 1993.
   doi:10.1109/34.232073
.. [2] T. Heimann et al., "Comparison and evaluation of methods for liver
   segmentation from CT datasets," IEEE TMI 28(8):1251-1265, 2009.
   doi:10.1109/TMI.2009.2013851
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from course_lib.metrics._arrays import as_binary_mask, as_mask_pair, as_spacing

__all__ = [
    "surface_voxels",
    "SurfaceDistances",
    "surface_distances",
    "hausdorff_distance",
    "hd95",
    "average_symmetric_surface_distance",
    "assd",
    "surface_distance_metrics",
    "image_diagonal",
]


def _check_connectivity(connectivity: int, ndim: int) -> int:
    if (
        isinstance(connectivity, bool)
        or not isinstance(connectivity, (int, np.integer))
        or not 1 <= connectivity <= ndim
    ):
        raise ValueError(
            f"`connectivity` must be an integer in 1..{ndim} for {ndim}-D masks "
            f"(1: face neighbours, {ndim}: all neighbours), got {connectivity!r}."
        )
    return int(connectivity)


def surface_voxels(mask: Any, connectivity: int = 1) -> NDArray[np.bool_]:
    """Boundary voxels of a binary mask (foreground with a background neighbour).

    Parameters
    ----------
    mask : array_like or torch.Tensor of bool or {0, 1}
        Binary mask, e.g. ``(H, W)`` or ``(H, W, D)``.
    connectivity : int
        Neighbourhood of the erosion, 1..ndim (1: face neighbours, the default;
        ndim: faces, edges and corners, giving a thicker surface).

    Returns
    -------
    numpy.ndarray of bool
        Same shape as ``mask``; True on surface voxels.
    """
    m = as_binary_mask(mask, "mask")
    structure = ndimage.generate_binary_structure(m.ndim, _check_connectivity(connectivity, m.ndim))
    return m & ~ndimage.binary_erosion(m, structure=structure, border_value=0)


def _union_crop(p: np.ndarray, t: np.ndarray) -> tuple[slice, ...]:
    """Bounding box of ``p | t`` grown by one voxel (clipped to the array)."""
    slices = []
    union = p | t
    for axis in range(union.ndim):
        other = tuple(a for a in range(union.ndim) if a != axis)
        idx = np.flatnonzero(union.any(axis=other))
        slices.append(slice(max(idx[0] - 1, 0), min(idx[-1] + 2, union.shape[axis])))
    return tuple(slices)


@dataclass(frozen=True)
class SurfaceDistances:
    """Directed surface distances between a prediction and a reference, in mm.

    Attributes
    ----------
    pred_to_truth : numpy.ndarray of float, shape (n_pred_surface,)
        For each surface voxel of ``pred``, distance to the nearest surface
        voxel of ``truth``.
    truth_to_pred : numpy.ndarray of float, shape (n_truth_surface,)
        The same from ``truth`` to ``pred``.
    pred_empty, truth_empty : bool
        Whether each mask is empty (then distances are 0.0 or ``inf``).
    """

    pred_to_truth: NDArray[np.float64]
    truth_to_pred: NDArray[np.float64]
    pred_empty: bool
    truth_empty: bool

    def _empty_value(self) -> float | None:
        if self.pred_empty and self.truth_empty:
            return 0.0
        if self.pred_empty or self.truth_empty:
            return float("inf")
        return None

    def hausdorff(self, percentile: float = 100.0) -> float:
        """Symmetric Hausdorff distance (mm) at ``percentile`` (100: the maximum)."""
        if not 0.0 <= percentile <= 100.0:
            raise ValueError(f"`percentile` must be in [0, 100], got {percentile}.")
        empty = self._empty_value()
        if empty is not None:
            return empty
        return float(
            max(
                np.percentile(self.pred_to_truth, percentile),
                np.percentile(self.truth_to_pred, percentile),
            )
        )

    def assd(self) -> float:
        """Average symmetric surface distance (mm), both directions pooled."""
        empty = self._empty_value()
        if empty is not None:
            return empty
        total = self.pred_to_truth.sum() + self.truth_to_pred.sum()
        return float(total / (self.pred_to_truth.size + self.truth_to_pred.size))


def surface_distances(
    pred: Any, truth: Any, spacing: Any = None, connectivity: int = 1, crop: bool = True
) -> SurfaceDistances:
    """Directed surface distances both ways (the work behind HD, HD95 and ASSD).

    Compute this once and call ``.hausdorff(100)``, ``.hausdorff(95)`` and
    ``.assd()`` on the result to get all three for the price of one.

    Parameters
    ----------
    pred, truth : array_like or torch.Tensor of bool or {0, 1}
        Binary masks of the same shape, ``(H, W)`` or ``(H, W, D)``.
    spacing : None, float or sequence of float
        Voxel size per axis in mm, in array axis order; ``None`` = 1 (voxels).
    connectivity : int
        Surface definition, see :func:`surface_voxels`.
    crop : bool
        Work on the bounding box of ``pred | truth`` plus one voxel (default).
        The result is identical either way; ``False`` exists to measure the
        speed-up (``benchmarks/bench_metrics.py``).

    Returns
    -------
    SurfaceDistances
        Distances in mm (or voxels when ``spacing`` is None).
    """
    p, t = as_mask_pair(pred, truth)
    sampling = as_spacing(spacing, p.ndim)
    connectivity = _check_connectivity(connectivity, p.ndim)
    pred_empty, truth_empty = not p.any(), not t.any()
    if pred_empty or truth_empty:
        none = np.zeros(0)
        return SurfaceDistances(none, none, pred_empty, truth_empty)
    box = _union_crop(p, t) if crop else (slice(None),) * p.ndim
    sp = surface_voxels(p[box], connectivity)
    st = surface_voxels(t[box], connectivity)
    to_truth = ndimage.distance_transform_edt(~st, sampling=sampling)[sp]
    to_pred = ndimage.distance_transform_edt(~sp, sampling=sampling)[st]
    return SurfaceDistances(to_truth, to_pred, False, False)


def hausdorff_distance(
    pred: Any,
    truth: Any,
    spacing: Any = None,
    percentile: float = 100.0,
    connectivity: int = 1,
) -> float:
    """Symmetric Hausdorff distance between mask surfaces, in mm.

    Parameters
    ----------
    pred, truth : array_like or torch.Tensor of bool or {0, 1}
        Binary masks of the same shape, ``(H, W)`` or ``(H, W, D)``.
    spacing : None, float or sequence of float
        Voxel size per axis in mm (array axis order); ``None`` = voxel units.
    percentile : float
        100 (default) for the maximum; 95 for HD95 (see module docstring).
    connectivity : int
        Surface definition, see :func:`surface_voxels`.

    Returns
    -------
    float
        Distance in mm; 0.0 if both masks are empty, ``inf`` if one is.
    """
    return surface_distances(pred, truth, spacing, connectivity).hausdorff(percentile)


def hd95(pred: Any, truth: Any, spacing: Any = None, connectivity: int = 1) -> float:
    """95th-percentile Hausdorff distance in mm (robust to a few outlier voxels).

    See :func:`hausdorff_distance` (``percentile=95``).
    """
    return hausdorff_distance(pred, truth, spacing, 95.0, connectivity)


def average_symmetric_surface_distance(
    pred: Any, truth: Any, spacing: Any = None, connectivity: int = 1
) -> float:
    """Average symmetric surface distance (ASSD) in mm.

    Parameters are those of :func:`hausdorff_distance`.

    Returns
    -------
    float
        Mean of the directed distances of both surfaces pooled; 0.0 if both
        masks are empty, ``inf`` if exactly one is.
    """
    return surface_distances(pred, truth, spacing, connectivity).assd()


assd = average_symmetric_surface_distance


def surface_distance_metrics(
    pred: Any,
    truth: Any,
    spacing: Any = None,
    connectivity: int = 1,
    percentile: float = 95.0,
) -> dict[str, float]:
    """Hausdorff, percentile Hausdorff and ASSD from one distance computation.

    Returns
    -------
    dict
        ``{"hausdorff": ..., "hd95": ..., "assd": ...}`` in mm (the ``"hd95"``
        key holds the ``percentile`` value, 95 by default).
    """
    d = surface_distances(pred, truth, spacing, connectivity)
    return {"hausdorff": d.hausdorff(100.0), "hd95": d.hausdorff(percentile), "assd": d.assd()}


def image_diagonal(shape: tuple[int, ...], spacing: Any = None) -> float:
    """Length in mm of the diagonal of the image grid (largest possible distance).

    A common finite stand-in for an infinite Hausdorff distance (one mask empty)
    when averaging over subjects: ``summarize(values, nonfinite=image_diagonal(...))``.

    Parameters
    ----------
    shape : tuple of int
        Array shape, e.g. ``(197, 233, 189)``.
    spacing : None, float or sequence of float
        Voxel size per axis in mm.

    Returns
    -------
    float
        ``sqrt(sum(((n_i - 1) * s_i) ** 2))``, the distance between the centres
        of two opposite corner voxels.
    """
    sampling = np.asarray(as_spacing(spacing, len(shape)))
    return float(np.sqrt(np.sum(((np.asarray(shape) - 1) * sampling) ** 2)))
