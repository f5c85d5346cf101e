"""The ilastik-style multi-scale filter bank that chapter 13's random forest reads.

ilastik's pixel classification describes every pixel by a few filters, each at several
Gaussian scales sigma [1]_ [2]_: a smoothed intensity, the gradient magnitude, the Laplacian of
Gaussian and the eigenvalues of the structure tensor (ilastik also offers Hessian eigenvalues and
a difference of Gaussians; chapter 13 keeps the four families above). A shallow classifier on
these features can be retrained in well under a second on a slice, which is what makes
interactive training possible.

All functions work on one 2-D slice ``(X, Y)`` (chapter 13 paints axial slices); scales are in
pixels, like ilastik's. Borders are mirrored (``mode="reflect"``) so that a feature near the edge
does not see an artificial step.

References
----------
.. [1] C. Sommer, C. Straehle, U. Koethe, F. A. Hamprecht, "ilastik: Interactive learning and
   segmentation toolkit", IEEE ISBI 2011, 230-233. doi:10.1109/ISBI.2011.5872394
.. [2] S. Berg et al., "ilastik: interactive machine learning for (bio)image analysis",
   Nature Methods 16, 1226-1232, 2019. doi:10.1038/s41592-019-0582-9
.. [3] J. Bigun, G. H. Granlund, "Optimal orientation detection of linear symmetry", ICCV 1987,
   433-438 (the structure tensor).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = [
    "DEFAULT_SIGMAS",
    "FEATURE_FAMILIES",
    "gradient_magnitude",
    "laplacian_of_gaussian",
    "structure_tensor_eigenvalues",
    "feature_names",
    "filter_bank",
]

#: Scales (pixels) used by chapter 13: a subset of ilastik's defaults 0.3, 0.7, 1, 1.6, 3.5, 5, 10.
DEFAULT_SIGMAS: tuple[float, ...] = (0.7, 1.0, 1.6, 3.5, 5.0)

#: Feature families in the order :func:`filter_bank` stacks them at each scale.
FEATURE_FAMILIES: tuple[str, ...] = (
    "gaussian",
    "gradient_magnitude",
    "laplacian_of_gaussian",
    "structure_tensor_ev1",
    "structure_tensor_ev2",
)

_MODE = "reflect"


def _as_slice(image: NDArray) -> NDArray[np.float64]:
    array = np.asarray(image, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(
            f"`image` must be one 2-D slice (X, Y), got shape {array.shape}; "
            "take an axial slice first, e.g. volume[:, :, k]."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("`image` contains NaN or infinite values; replace them (np.nan_to_num).")
    return array


def _check_sigma(sigma: float) -> float:
    if isinstance(sigma, bool) or not np.isscalar(sigma) or not float(sigma) > 0:
        raise ValueError(f"every sigma must be a positive number of pixels, got {sigma!r}.")
    return float(sigma)


def _derivatives(image: NDArray[np.float64], sigma: float) -> tuple[NDArray, NDArray]:
    """First derivatives along X and Y of the image smoothed at ``sigma``."""
    dx = ndimage.gaussian_filter(image, sigma, order=(1, 0), mode=_MODE)
    dy = ndimage.gaussian_filter(image, sigma, order=(0, 1), mode=_MODE)
    return dx, dy


def gradient_magnitude(image: NDArray, sigma: float) -> NDArray[np.float64]:
    """Gradient magnitude of Gaussian: ``sqrt(Ix^2 + Iy^2)`` with Gaussian derivatives at ``sigma``."""
    dx, dy = _derivatives(_as_slice(image), _check_sigma(sigma))
    return np.hypot(dx, dy)


def laplacian_of_gaussian(image: NDArray, sigma: float) -> NDArray[np.float64]:
    """Laplacian of Gaussian ``Ixx + Iyy`` at ``sigma`` (negative on bright blobs)."""
    image, sigma = _as_slice(image), _check_sigma(sigma)
    dxx = ndimage.gaussian_filter(image, sigma, order=(2, 0), mode=_MODE)
    dyy = ndimage.gaussian_filter(image, sigma, order=(0, 2), mode=_MODE)
    return dxx + dyy


def structure_tensor_eigenvalues(
    image: NDArray, sigma: float, inner_scale: float | None = None
) -> NDArray[np.float64]:
    """The two eigenvalues (largest first) of the 2-D structure tensor, ``(2, X, Y)``.

    The tensor is ``G_sigma * [[Ix Ix, Ix Iy], [Ix Iy, Iy Iy]]``: products of Gaussian
    derivatives taken at ``inner_scale`` (default ``sigma / 2``), averaged by a Gaussian at the
    outer scale ``sigma``. ilastik uses the reverse (inner scale ``sigma``, outer ``sigma / 2``,
    in its vigra ``structureTensorEigenvalues`` call); both describe structure at about ``sigma``. Both eigenvalues large: a corner or texture; one
    large: an edge; both small: a flat region.
    """
    image, sigma = _as_slice(image), _check_sigma(sigma)
    inner = sigma / 2 if inner_scale is None else _check_sigma(inner_scale)
    dx, dy = _derivatives(image, inner)
    txx = ndimage.gaussian_filter(dx * dx, sigma, mode=_MODE)
    txy = ndimage.gaussian_filter(dx * dy, sigma, mode=_MODE)
    tyy = ndimage.gaussian_filter(dy * dy, sigma, mode=_MODE)
    # Closed form for a symmetric 2 x 2 matrix: mean +- sqrt(half-difference^2 + off-diagonal^2).
    mean = (txx + tyy) / 2
    radius = np.sqrt(((txx - tyy) / 2) ** 2 + txy**2)
    return np.stack([mean + radius, mean - radius])


def feature_names(sigmas: Sequence[float] = DEFAULT_SIGMAS) -> list[str]:
    """Names of the columns of :func:`filter_bank`, e.g. ``"gaussian s=1.6"``."""
    names = ["intensity"]
    for sigma in sigmas:
        names += [f"{family} s={_check_sigma(sigma):g}" for family in FEATURE_FAMILIES]
    return names


def filter_bank(image: NDArray, sigmas: Sequence[float] = DEFAULT_SIGMAS) -> NDArray[np.float32]:
    """All features of a slice, ``(X, Y, F)`` float32, columns named by :func:`feature_names`.

    ``F = 1 + 5 * len(sigmas)``: the raw intensity, then at every scale the Gaussian-smoothed
    intensity, the gradient magnitude, the Laplacian of Gaussian and the two structure-tensor
    eigenvalues.
    """
    image = _as_slice(image)
    if len(sigmas) == 0:
        raise ValueError("`sigmas` is empty; pass at least one scale, e.g. DEFAULT_SIGMAS.")
    channels = [image]
    for sigma in sigmas:
        sigma = _check_sigma(sigma)
        channels.append(ndimage.gaussian_filter(image, sigma, mode=_MODE))
        channels.append(gradient_magnitude(image, sigma))
        channels.append(laplacian_of_gaussian(image, sigma))
        channels.extend(structure_tensor_eigenvalues(image, sigma))
    return np.stack(channels, axis=-1).astype(np.float32)
