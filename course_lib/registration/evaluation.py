"""Registration accuracy on landmarks: target registration error (TRE) in millimetres.

The TRE of a landmark is the distance between where the estimated transform sends it and
where it truly is (Fitzpatrick et al. 1998). With the pull-back convention of this
subpackage a registration returns ``T``: fixed world mm -> moving world mm, so a
landmark pair is ``(p_fixed, p_moving)`` and its TRE is ``|T(p_fixed) - p_moving|``.

References
----------
.. [1] Fitzpatrick JM, West JB, Maurer CR (1998). Predicting error in rigid-body
   point-based registration. IEEE Transactions on Medical Imaging 17(5):694-702.
   https://doi.org/10.1109/42.736021
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.geometry import apply_affine
from course_lib.registration._checks import as_affine

__all__ = ["target_registration_error", "landmark_grid"]


def target_registration_error(points_fixed, points_moving, transform) -> np.ndarray:
    """Per-landmark target registration error, in mm.

    Parameters
    ----------
    points_fixed : array_like
        ``(N, d)`` landmark positions in the fixed image, world mm.
    points_moving : array_like
        ``(N, d)`` the true corresponding positions in the moving image, world mm.
    transform : array_like or callable
        ``(d+1, d+1)`` world matrix fixed mm -> moving mm (a registration result), or a
        function mapping ``(N, d)`` fixed points to ``(N, d)`` moving points (e.g. one
        that also applies a displacement field).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` distances in mm; summarise with ``.mean()`` / ``np.median`` /
        ``np.percentile(..., 95)``.
    """
    pf = np.asarray(points_fixed, dtype=np.float64)
    pm = np.asarray(points_moving, dtype=np.float64)
    if pf.ndim != 2 or pf.shape != pm.shape:
        raise ValueError(
            f"points_fixed and points_moving must both be (N, d) with the same "
            f"shape, got {pf.shape} and {pm.shape}."
        )
    if isinstance(transform, Callable):
        mapped = np.asarray(transform(pf), dtype=np.float64)
    else:
        mapped = apply_affine(as_affine(transform, pf.shape[1], "transform"), pf)
    if mapped.shape != pf.shape:
        raise ValueError(f"transform returned shape {mapped.shape}, expected {pf.shape}.")
    return np.linalg.norm(mapped - pm, axis=1)


def landmark_grid(mask, affine, step_mm: float = 10.0) -> np.ndarray:
    """Regular grid of landmarks inside a mask, in world mm.

    Parameters
    ----------
    mask : array_like of bool
        Region (e.g. the brain) on the image grid, 2-D or 3-D.
    affine : array_like
        ``(d+1, d+1)`` voxel -> world matrix of that grid.
    step_mm : float
        Approximate spacing between landmarks, mm (rounded to whole voxels per axis).

    Returns
    -------
    numpy.ndarray
        ``(N, d)`` world coordinates of the selected voxel centres.
    """
    m = np.asarray(mask, dtype=bool)
    aff = as_affine(affine, m.ndim)
    vox = np.linalg.norm(aff[:-1, :-1], axis=0)
    stride = [max(1, int(round(step_mm / v))) for v in vox]
    sub = m[tuple(slice(s // 2, None, s) for s in stride)]
    idx = np.argwhere(sub) * np.array(stride) + np.array([s // 2 for s in stride])
    return apply_affine(aff, idx)
