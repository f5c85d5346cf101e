"""A coarse parcellation of the ICBM152 template by MNI coordinates.

The course needs *regions* (per-region anomaly scores in chapter 09, region-wise
volumes, lesion placement), not a neuroanatomical atlas. Lobes are therefore cut
by planes in MNI space that follow the main sulci only approximately: the
central sulcus (frontal | parietal), the parieto-occipital sulcus (parietal |
occipital) and the Sylvian fissure (temporal below). Deep grey matter,
ventricles and the cerebellum + brainstem are found from the tissue labels and
the distance to the brain surface. Treat the boundaries as +- 1 cm.

All arrays are indexed ``(X, Y, Z)`` = voxel ``(i, j, k)`` of the template grid;
world coordinates are MNI millimetres in RAS+ (x to the subject's right, y
anterior, z superior).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = [
    "REGION_NAMES",
    "parcellate",
    "periventricular_mask",
    "voxel_world_axes",
]

#: Region code -> name. Index into this tuple with the uint8 values of
#: ``Anatomy.regions`` / ``Subject.regions``.
REGION_NAMES: tuple[str, ...] = (
    "background",
    "frontal",
    "parietal",
    "temporal",
    "occipital",
    "deep_gm",
    "cerebellum_brainstem",
    "ventricles",
)

_CSF, _GM, _WM = 1, 2, 3


def voxel_world_axes(shape: tuple[int, int, int], affine: np.ndarray) -> tuple[np.ndarray, ...]:
    """World (mm, RAS) coordinate of each voxel index along x, y and z.

    Only valid for axis-aligned affines (true for the ICBM152 grids).

    Returns
    -------
    tuple of three 1-D float32 arrays
        ``x[i]``, ``y[j]``, ``z[k]`` in millimetres, broadcastable with
        ``x[:, None, None]`` etc.
    """
    affine = np.asarray(affine, dtype=np.float64)
    if not np.allclose(affine[:3, :3], np.diag(np.diag(affine[:3, :3]))):
        raise ValueError("voxel_world_axes needs an axis-aligned affine (diagonal 3x3 part).")
    return tuple(
        (affine[a, a] * np.arange(shape[a]) + affine[a, 3]).astype(np.float32) for a in range(3)
    )


def parcellate(
    labels: np.ndarray, mask: np.ndarray, affine: np.ndarray, spacing: float
) -> tuple[np.ndarray, np.ndarray]:
    """Coarse regions of the template and the distance to the ventricles.

    Parameters
    ----------
    labels : np.ndarray
        ``(X, Y, Z)`` uint8 hard tissue labels (0 background, 1 CSF, 2 GM, 3 WM).
    mask : np.ndarray
        ``(X, Y, Z)`` bool brain mask.
    affine : np.ndarray
        ``(4, 4)`` voxel -> world (mm, RAS) affine, axis aligned.
    spacing : float
        Isotropic voxel size in mm.

    Returns
    -------
    regions : np.ndarray
        ``(X, Y, Z)`` uint8 codes into :data:`REGION_NAMES`; 0 outside ``mask``.
    ventricle_distance : np.ndarray
        ``(X, Y, Z)`` float32 Euclidean distance in mm to the nearest ventricle
        voxel (0 inside the ventricles).
    """
    x, y, z = voxel_world_axes(labels.shape, affine)
    X, Y, Z = x[:, None, None], y[None, :, None], z[None, None, :]
    depth = ndimage.distance_transform_edt(mask, sampling=spacing).astype(np.float32)

    # Ventricles: CSF deep inside the brain, near the midline, above the pons.
    candidates = (labels == _CSF) & (depth > 12.0) & (np.abs(X) < 30) & (Z > -20) & (Z < 40)
    candidates &= (Y > -60) & (Y < 40)
    components, count = ndimage.label(candidates)
    ventricles = np.zeros_like(candidates)
    if count:
        sizes = ndimage.sum_labels(candidates, components, index=np.arange(1, count + 1))
        keep = np.flatnonzero(sizes * spacing**3 >= 500.0) + 1  # components >= 0.5 mL
        ventricles = np.isin(components, keep)
    ventricle_distance = ndimage.distance_transform_edt(~ventricles, sampling=spacing)

    regions = np.zeros(labels.shape, dtype=np.uint8)
    brain = mask.astype(bool)
    # Lobes by planes (order matters: later assignments overwrite earlier ones).
    central_sulcus_y = -10.0 - 0.4 * (Z - 20.0)  # slopes backwards towards the vertex
    regions[brain] = 2  # parietal by default
    regions[brain & (Y > central_sulcus_y)] = 1  # frontal
    temporal = (Z < 5.0) & (Y < 15.0) & (np.abs(X) > 25.0)
    temporal |= (Z < -15.0) & (Y < 25.0) & (Y > -40.0)
    regions[brain & temporal] = 3
    regions[brain & (Y < -68.0 + 0.0 * Z) & (Z > -12.0)] = 4  # occipital
    posterior_fossa = (Z < -12.0) & (Y < -35.0)
    brainstem = (np.abs(X) < 15.0) & (Y < -10.0) & (Y > -45.0) & (Z < -8.0)
    regions[brain & (posterior_fossa | brainstem)] = 6
    deep_gm = (labels == _GM) & (depth > 15.0) & (np.abs(X) > 2.0) & (np.abs(X) < 32.0)
    deep_gm &= (Y > -35.0) & (Y < 22.0) & (Z > -12.0) & (Z < 24.0)
    regions[brain & deep_gm] = 5
    regions[ventricles] = 7
    return regions, ventricle_distance.astype(np.float32)


def periventricular_mask(
    labels: np.ndarray, ventricle_distance: np.ndarray, max_distance_mm: float = 10.0
) -> np.ndarray:
    """White matter within ``max_distance_mm`` of the lateral ventricles.

    MS lesions are most frequent here (e.g. Dawson's fingers), which is why the
    lesion simulator samples most lesion centres in this mask.

    Parameters
    ----------
    labels : np.ndarray
        ``(X, Y, Z)`` uint8 tissue labels (3 = WM).
    ventricle_distance : np.ndarray
        ``(X, Y, Z)`` distance to the ventricles in mm (see :func:`parcellate`).
    max_distance_mm : float
        Band width in mm; must be positive.

    Returns
    -------
    np.ndarray
        ``(X, Y, Z)`` bool mask.
    """
    if not max_distance_mm > 0:
        raise ValueError(f"max_distance_mm must be > 0 mm, got {max_distance_mm!r}")
    return (labels == _WM) & (ventricle_distance <= max_distance_mm)
