"""Z-score intensity normalisation inside a brain mask."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import masked_values

__all__ = ["zscore"]


def zscore(image: Any, mask: Any = None) -> np.ndarray:
    """Normalise an image to zero mean and unit variance over the voxels of a mask.

    ``out = (image - mu) / sigma`` with ``mu``, ``sigma`` the mean and (population)
    standard deviation of the intensities inside ``mask``; every voxel is transformed,
    including those outside the mask. The simplest intensity harmonization: it removes
    a global gain and offset per image, but not differences in tissue contrast (the
    relative positions of CSF, grey and white matter), which WhiteStripe and the Nyúl
    standardisation address.

    Parameters
    ----------
    image : array-like
        Intensities, any shape (``(H, W)``, ``(H, W, D)``...), arbitrary units.
    mask : array-like of bool, optional
        Brain mask of the same shape; default all voxels (then the background dominates
        the statistics: pass a mask).

    Returns
    -------
    ndarray, float64
        Same shape; dimensionless (units of the in-mask standard deviation).

    Raises
    ------
    ValueError
        If the mask is empty or the intensities inside it are constant.

    References
    ----------
    .. [1] R. T. Shinohara et al., "Statistical normalization techniques for magnetic
       resonance imaging", NeuroImage: Clinical 6:9-19, 2014 (z-scoring in the brain is
       one of the baselines discussed). doi:10.1016/j.nicl.2014.08.008
    """
    arr, _, values = masked_values(image, mask)
    mu = values.mean()
    sigma = values.std()
    if not sigma > 0:
        raise ValueError("image is constant inside the mask; z-scoring is undefined")
    return (arr - mu) / sigma
