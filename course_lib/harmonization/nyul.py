"""Piecewise-linear histogram standardisation (Nyúl & Udupa 1999; Nyúl, Udupa & Zhang 2000).

Training: for each training image take the intensities at a list of percentiles inside
the mask (the *landmarks*, e.g. 1, 10, 20, ..., 90, 99 %); map the first and last
landmark linearly onto the ends ``s1, s2`` of a standard scale and average the mapped
landmarks over images: these are the *standard landmarks*. Transformation: compute the
new image's landmarks and map each segment between consecutive landmarks linearly onto
the corresponding segment between standard landmarks; intensities below the first or
above the last landmark continue the first/last segment's line. The map is monotone
increasing, so the order of intensities (and tissue contrast order) is kept, while the
histogram's shape is matched to the standard one - scanner-specific nonlinear intensity
scales become comparable.

References
----------
.. [1] L. G. Nyúl, J. K. Udupa, "On standardizing the MR image intensity scale",
   Magnetic Resonance in Medicine 42(6):1072-1081, 1999.
   doi:10.1002/(SICI)1522-2594(199912)42:6<1072::AID-MRM11>3.0.CO;2-M
.. [2] L. G. Nyúl, J. K. Udupa, X. Zhang, "New variants of a method of MRI scale
   standardization", IEEE Transactions on Medical Imaging 19(2):143-150, 2000.
   doi:10.1109/42.836373
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ._checks import as_image, masked_values

__all__ = ["NyulStandardizer", "piecewise_linear"]

DEFAULT_PERCENTILES: tuple[float, ...] = (1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99)


def piecewise_linear(x: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Map ``x`` through the polyline ``source[i] -> target[i]``, extending the end lines.

    ``source`` must be strictly increasing; the result is monotone in ``x`` when
    ``target`` is non-decreasing.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.interp(x, source, target)
    lo_slope = (target[1] - target[0]) / (source[1] - source[0])
    hi_slope = (target[-1] - target[-2]) / (source[-1] - source[-2])
    below, above = x < source[0], x > source[-1]
    y[below] = target[0] + lo_slope * (x[below] - source[0])
    y[above] = target[-1] + hi_slope * (x[above] - source[-1])
    return y


class NyulStandardizer:
    """Learn a standard histogram scale from training images and map images onto it.

    Parameters
    ----------
    percentiles : sequence of float
        Landmark percentiles in (0, 100), strictly increasing; the first and last play
        the role of Nyúl's ``pc1``/``pc2`` (the ends of the range of interest).
    standard_scale : (float, float)
        ``(s1, s2)``: where the first and last landmarks go (arbitrary units).

    Attributes
    ----------
    standard_landmarks_ : ndarray, shape (n_percentiles,)
        Learned by :meth:`fit`; starts at ``s1`` and ends at ``s2``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> train = [(rng.gamma(k, 10.0, (20, 20)), None) for k in (2.0, 3.0, 4.0)]
    >>> nyul = NyulStandardizer().fit(train)
    >>> nyul.standard_landmarks_[[0, -1]]
    array([  0., 100.])
    """

    def __init__(
        self,
        percentiles: Sequence[float] = DEFAULT_PERCENTILES,
        standard_scale: tuple[float, float] = (0.0, 100.0),
    ) -> None:
        p = np.asarray(percentiles, dtype=np.float64)
        if p.ndim != 1 or p.size < 3 or np.any(np.diff(p) <= 0) or p[0] <= 0 or p[-1] >= 100:
            raise ValueError(
                "percentiles must be >= 3 strictly increasing values in (0, 100), e.g. "
                f"(1, 10, 20, ..., 90, 99); got {percentiles!r}"
            )
        s1, s2 = (float(v) for v in standard_scale)
        if not s2 > s1:
            raise ValueError(
                f"standard_scale must be (s1, s2) with s2 > s1, got {standard_scale!r}"
            )
        self.percentiles = p
        self.standard_scale = (s1, s2)
        self.standard_landmarks_: np.ndarray | None = None

    def landmarks(self, image: Any, mask: Any = None) -> np.ndarray:
        """Intensities at :attr:`percentiles` inside ``mask`` (input units), increasing.

        Raises
        ------
        ValueError
            If two landmarks coincide (e.g. a mask full of background zeros).
        """
        _, _, values = masked_values(image, mask)
        lm = np.percentile(values, self.percentiles)
        if np.any(np.diff(lm) <= 0):
            raise ValueError(
                "landmarks are not strictly increasing (many voxels share one intensity, "
                f"e.g. background): {np.round(lm, 4).tolist()}; pass a brain mask that "
                "excludes the background or use fewer percentiles"
            )
        return lm

    def fit(self, images: Iterable[Any]) -> "NyulStandardizer":
        """Learn the standard landmarks.

        Parameters
        ----------
        images : iterable
            Each item is ``(image, mask)`` (mask may be ``None``) or a bare image.

        Returns
        -------
        NyulStandardizer
            ``self``, fitted.
        """
        s1, s2 = self.standard_scale
        mapped = []
        for i, item in enumerate(images):
            image, mask = item if isinstance(item, tuple) else (item, None)
            try:
                lm = self.landmarks(image, mask)
            except ValueError as err:
                raise ValueError(f"training image {i}: {err}") from None
            mapped.append(s1 + (lm - lm[0]) / (lm[-1] - lm[0]) * (s2 - s1))
        if not mapped:
            raise ValueError("fit needs at least one (image, mask) pair")
        self.standard_landmarks_ = np.mean(mapped, axis=0)
        return self

    def transform(self, image: Any, mask: Any = None) -> np.ndarray:
        """Map an image onto the standard scale (every voxel, inside and outside the mask).

        Parameters
        ----------
        image : array-like
            Any shape, input units.
        mask : array-like of bool, optional
            Where the image's landmarks are measured (the brain).

        Returns
        -------
        ndarray, float64
            Same shape, in standard-scale units; the image's landmark ``i`` goes to
            ``standard_landmarks_[i]``.
        """
        if self.standard_landmarks_ is None:
            raise RuntimeError("NyulStandardizer is not fitted; call fit(images) first")
        lm = self.landmarks(image, mask)
        return piecewise_linear(as_image(image), lm, self.standard_landmarks_)
