"""Classic (pre-deep-learning) building blocks the first chapters compare against.

Chapter 01 feeds a multi-layer perceptron with the intensities of a voxel *and its
neighbours*; chapter 02 compares a patch CNN with a random forest on hand-crafted
features and cleans segmentations up with connected components (standing in for
the fully connected CRF of Kamnitsas et al. 2017). The three helpers are plain
NumPy/SciPy functions:

* :func:`neighbourhood_features` -- one row per masked voxel with the values of
  its ``(2r+1)^3`` neighbourhood in every channel;
* :func:`lesion_features` -- a small bank of smoothed intensities, gradient
  magnitude and local contrast per channel (the kind of features a random
  forest used before CNNs), computed in the axial plane or in 3-D;
* :func:`remove_small_components` -- drop connected components smaller than a
  given volume.

Arrays are indexed ``(X, Y, Z)`` like the simulated subjects (voxel ``i, j, k``);
axial slices are ``[:, :, k]``. Channels come first: ``(C, X, Y, Z)``.

References
----------
.. [1] K. Kamnitsas et al., "Efficient multi-scale 3D CNN with fully connected
   CRF for accurate brain lesion segmentation", Medical Image Analysis 36,
   61-78, 2017. doi:10.1016/j.media.2016.10.004
.. [2] L. Breiman, "Random forests", Machine Learning 45, 5-32, 2001.
   doi:10.1023/A:1010933404324
.. [3] A. Criminisi, J. Shotton (eds.), *Decision Forests for Computer Vision
   and Medical Image Analysis*, Springer, 2013. doi:10.1007/978-1-4471-4929-3
"""

from __future__ import annotations

from itertools import product
from typing import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = [
    "neighbourhood_offsets",
    "neighbourhood_features",
    "LESION_FEATURES",
    "lesion_feature_names",
    "lesion_features",
    "remove_small_components",
]

#: Names of the per-channel features of :func:`lesion_features`, in order.
LESION_FEATURES = ("intensity", "smooth_1", "smooth_2", "gradient", "local_contrast")


def _as_volume(volume: NDArray, name: str = "volume") -> NDArray[np.float32]:
    v = np.asarray(volume, dtype=np.float32)
    if v.ndim == 3:
        v = v[None]
    if v.ndim != 4:
        raise ValueError(
            f"`{name}` must have shape (C, X, Y, Z) or (X, Y, Z), got {v.shape}; "
            "stack the contrasts first, e.g. normalize_subject(subject, contrasts)."
        )
    return v


def neighbourhood_offsets(radius: int) -> NDArray[np.int64]:
    """The ``(2r+1)^3`` voxel offsets of a cubic neighbourhood, ``(K, 3)`` int.

    Offsets are in lexicographic order of ``(dx, dy, dz)``, each from ``-r`` to
    ``r``; the centre ``(0, 0, 0)`` is row ``K // 2``.
    """
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or radius < 0:
        raise ValueError(f"`radius` must be a non-negative integer (voxels), got {radius!r}.")
    steps = range(-int(radius), int(radius) + 1)
    return np.array(list(product(steps, steps, steps)), dtype=np.int64)


def neighbourhood_features(
    volume: NDArray,
    mask: NDArray | None = None,
    radius: int = 1,
    voxels: NDArray | None = None,
) -> NDArray[np.float32]:
    """Values of each voxel's cubic neighbourhood in every channel, one row per voxel.

    Parameters
    ----------
    volume : ndarray, shape (C, X, Y, Z) or (X, Y, Z)
        Images (e.g. z-scored contrasts).
    mask : ndarray of bool, shape (X, Y, Z), optional
        Voxels to describe, in C order (``np.argwhere(mask)``). Ignored when
        ``voxels`` is given; one of the two is required.
    radius : int, default 1
        Neighbourhood half-width in voxels: ``radius=1`` gives 3x3x3 = 27 voxels,
        ``radius=0`` the voxel alone.
    voxels : ndarray of int, shape (N, 3), optional
        Explicit ``(i, j, k)`` voxel indices to describe.

    Returns
    -------
    ndarray, shape (N, C * (2r+1)^3), float32
        Column ``c * K + o`` holds channel ``c`` at offset ``o`` of
        :func:`neighbourhood_offsets` (``K = (2r+1)^3``); the centre voxel of
        channel ``c`` is column ``c * K + K // 2``. Neighbours outside the grid
        take the value of the nearest voxel on the border (edge padding).
    """
    v = _as_volume(volume)
    offsets = neighbourhood_offsets(radius)
    if voxels is None:
        if mask is None:
            raise ValueError("Pass `mask` (bool (X, Y, Z)) or `voxels` ((N, 3) indices).")
        m = np.asarray(mask, dtype=bool)
        if m.shape != v.shape[1:]:
            raise ValueError(f"`mask` must have shape {v.shape[1:]}, got {m.shape}.")
        idx = np.argwhere(m)
    else:
        idx = np.asarray(voxels, dtype=np.int64)
        if idx.ndim != 2 or idx.shape[1] != 3:
            raise ValueError(f"`voxels` must have shape (N, 3), got {idx.shape}.")
        if len(idx) and (idx.min() < 0 or np.any(idx.max(0) >= np.array(v.shape[1:]))):
            raise ValueError(f"`voxels` must lie inside the grid {v.shape[1:]}.")
    r = int(radius)
    padded = np.pad(v, ((0, 0), (r, r), (r, r), (r, r)), mode="edge")
    flat = padded.reshape(len(v), -1)
    strides = np.array([padded.shape[2] * padded.shape[3], padded.shape[3], 1], dtype=np.int64)
    centre = (idx + r) @ strides  # flat index of each voxel in the padded grid
    shifts = offsets @ strides
    k = len(offsets)
    out = np.empty((len(idx), len(v) * k), dtype=np.float32)
    for c in range(len(v)):
        out[:, c * k : (c + 1) * k] = flat[c][centre[:, None] + shifts[None, :]]
    return out


def lesion_feature_names(contrasts: Sequence[str]) -> list[str]:
    """Column names of :func:`lesion_features`: ``"<contrast>:<feature>"``."""
    return [f"{c}:{f}" for c in contrasts for f in LESION_FEATURES]


def lesion_features(
    volume: NDArray,
    sigmas: tuple[float, float] = (1.0, 2.0),
    context_sigma: float = 4.0,
    in_plane: bool = True,
) -> NDArray[np.float32]:
    """Hand-crafted voxel features for a lesion classifier (e.g. a random forest).

    For every channel, five maps (names in :data:`LESION_FEATURES`):

    1. the intensity itself;
    2. and 3. Gaussian-smoothed intensity at ``sigmas[0]`` and ``sigmas[1]``
       (noise-robust local means);
    4. gradient magnitude of the image smoothed at ``sigmas[0]`` (edges);
    5. local contrast: intensity minus its Gaussian mean at ``context_sigma``
       (a bright spot on a darker surrounding, like a FLAIR lesion in white
       matter, gives a large positive value).

    Parameters
    ----------
    volume : ndarray, shape (C, X, Y, Z) or (X, Y, Z)
        Images, e.g. z-scored FLAIR and T1w.
    sigmas : pair of float
        Smoothing scales in voxels.
    context_sigma : float
        Scale of the surrounding used by the local contrast, in voxels.
    in_plane : bool, default True
        Filter within each axial slice only (along X and Y, not Z), so that the
        features see the same 2-D information as a 2-D patch CNN; False filters
        in 3-D.

    Returns
    -------
    ndarray, shape (5 * C, X, Y, Z), float32
        Channel-major: features of channel 0 first (see
        :func:`lesion_feature_names`).
    """
    v = _as_volume(volume)
    if len(sigmas) != 2 or min(sigmas) <= 0 or context_sigma <= 0:
        raise ValueError(
            f"`sigmas` must be two positive scales and `context_sigma` positive, got "
            f"{sigmas!r} and {context_sigma!r}."
        )

    def scale(sigma: float) -> tuple[float, float, float]:
        return (sigma, sigma, 0.0) if in_plane else (sigma, sigma, sigma)

    axes = (0, 1) if in_plane else (0, 1, 2)

    def gradient_magnitude(image: NDArray, sigma: float) -> NDArray:
        # derivative of a Gaussian along each filtered axis (a zero-sigma axis must not
        # be "differentiated": SciPy skips it and would return the image itself)
        squares = [
            ndimage.gaussian_filter(image, scale(sigma), order=[int(a == b) for b in range(3)]) ** 2
            for a in axes
        ]
        return np.sqrt(np.sum(squares, axis=0))

    maps = []
    for image in v:
        maps += [
            image,
            ndimage.gaussian_filter(image, scale(sigmas[0])),
            ndimage.gaussian_filter(image, scale(sigmas[1])),
            gradient_magnitude(image, sigmas[0]),
            image - ndimage.gaussian_filter(image, scale(context_sigma)),
        ]
    return np.stack(maps).astype(np.float32, copy=False)


def remove_small_components(
    mask: NDArray,
    min_size: int,
    connectivity: int | None = None,
) -> NDArray[np.bool_]:
    """Remove connected components with fewer than ``min_size`` voxels.

    A crude but effective clean-up of a voxel-wise segmentation: isolated false
    positives are usually tiny, real lesions span several voxels. It plays the
    role of the fully connected CRF of Kamnitsas et al. (2017), which also
    removes small, isolated detections.

    Parameters
    ----------
    mask : ndarray of bool, shape (X, Y[, Z])
        Binary segmentation.
    min_size : int
        Smallest component kept, in voxels (``0`` or ``1`` keep everything).
    connectivity : int, optional
        Neighbourhood of :func:`scipy.ndimage.generate_binary_structure`: 1 (faces),
        up to ``mask.ndim`` (faces, edges and corners). Default ``mask.ndim``.

    Returns
    -------
    ndarray of bool
        A new mask of the same shape.
    """
    m = np.asarray(mask)
    if m.dtype != np.bool_:
        if not np.isin(np.unique(m), (0, 1)).all():
            raise ValueError("`mask` must be binary (bool or 0/1); threshold it first.")
        m = m.astype(bool)
    if isinstance(min_size, bool) or not isinstance(min_size, (int, np.integer)) or min_size < 0:
        raise ValueError(f"`min_size` must be a non-negative integer (voxels), got {min_size!r}.")
    connectivity = m.ndim if connectivity is None else int(connectivity)
    if not 1 <= connectivity <= m.ndim:
        raise ValueError(f"`connectivity` must be in 1..{m.ndim}, got {connectivity}.")
    if min_size <= 1 or not m.any():
        return m.copy()
    labels, n = ndimage.label(m, ndimage.generate_binary_structure(m.ndim, connectivity))
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    keep = sizes >= min_size
    keep[0] = False
    return keep[labels]
