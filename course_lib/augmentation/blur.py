"""Loss of sharpness: Gaussian ``Blur`` and thick-slice ``ResolutionLoss`` (image only).

Both change the image and keep the label: the anatomy (the segmentation target) is the
same, only its picture is degraded, as with a scanner of lower resolution or a protocol
with thick slices. ``Blur`` is a separable Gaussian filter with the same kernel and
boundary rule as ``scipy.ndimage.gaussian_filter(mode="mirror", truncate=4.0)``.
``ResolutionLoss`` averages blocks of ``factor`` voxels along one axis (partial-volume
averaging of a thick slice) and interpolates linearly back to the original grid, like
TorchIO's RandomAnisotropy.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .base import RandomTransform, Transform, uniform_range
from .sample import Sample

__all__ = ["Blur", "RandomBlur", "ResolutionLoss", "RandomResolutionLoss", "gaussian_kernel1d"]


def gaussian_kernel1d(sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """Normalised 1-D Gaussian kernel of radius ``int(truncate * sigma + 0.5)``, float64."""
    radius = int(truncate * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _along_axis(x: torch.Tensor, axis: int, fn) -> torch.Tensor:
    """Apply ``fn`` ((N, 1, L) -> (N, 1, L')) along tensor dimension ``axis``."""
    moved = x.movedim(axis, -1)
    lead = moved.shape[:-1]
    res = fn(moved.reshape(-1, 1, moved.shape[-1]))
    return res.reshape(*lead, res.shape[-1]).movedim(-1, axis)


class Blur(Transform):
    """Gaussian smoothing of the image with standard deviation ``sigma`` voxels.

    Parameters
    ----------
    sigma : float or sequence of float
        Standard deviation in voxels, one value for all axes or one per spatial axis;
        ``0`` leaves an axis unchanged.
    """

    def __init__(self, sigma: float | Sequence[float] = 1.0) -> None:
        if isinstance(sigma, (int, float, np.integer, np.floating)):
            sigma = (float(sigma),)
        self.sigma = tuple(float(s) for s in sigma)
        if min(self.sigma) < 0:
            raise ValueError(f"sigma must be >= 0 voxels, got {self.sigma}")

    def params(self) -> dict[str, Any]:
        return {"sigma": self.sigma}

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        ndim = image.ndim - 1
        sigmas = self.sigma * ndim if len(self.sigma) == 1 else self.sigma
        if len(sigmas) != ndim:
            raise ValueError(f"sigma needs 1 or {ndim} values for a {ndim}-D sample, got {self.sigma}")
        x = image.to(torch.float64)
        for axis, s in enumerate(sigmas):
            if s == 0.0:
                continue
            kernel = gaussian_kernel1d(s).to(x.device)
            n = x.shape[axis + 1]
            r = min(kernel.numel() // 2, n - 1)  # reflect padding needs r < n
            kernel = kernel[kernel.numel() // 2 - r: kernel.numel() // 2 + r + 1]
            kernel = (kernel / kernel.sum()).reshape(1, 1, -1)

            def conv(v: torch.Tensor, k=kernel, r=r) -> torch.Tensor:
                return F.conv1d(F.pad(v, (r, r), mode="reflect") if r else v, k)

            x = _along_axis(x, axis + 1, conv)
        out = dict(sample)
        out["image"] = x.to(image.dtype)
        return out


class RandomBlur(RandomTransform):
    """Sample :class:`Blur` with ``sigma`` uniform in a range (one value per axis).

    Parameters
    ----------
    sigma : float or (low, high)
        Range of sigma in voxels; ``x`` means ``(0, x)``.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self, sigma: float | tuple[float, float] = 1.0, p: float = 1.0, seed: int | None = None
    ) -> None:
        super().__init__(p=p, seed=seed)
        if isinstance(sigma, (int, float, np.integer, np.floating)):
            sigma = (0.0, float(sigma))
        self.sigma = uniform_range(sigma, "sigma")
        if self.sigma[0] < 0:
            raise ValueError(f"sigma range must be >= 0, got {self.sigma}")

    def _sample(self, sample: Sample, rng: np.random.Generator) -> Blur:
        ndim = sample["image"].ndim - 1
        return Blur(tuple(float(s) for s in rng.uniform(*self.sigma, size=ndim)))


class ResolutionLoss(Transform):
    """Average blocks of ``factor`` voxels along ``axis``, then interpolate back.

    Parameters
    ----------
    factor : float
        Ratio of the simulated slice thickness to the voxel size (``>= 1``; ``1`` is the
        identity). Non-integer factors use area-weighted averaging.
    axis : int
        Spatial axis (``0=H, 1=W, 2=D``) along which resolution is lost.
    """

    def __init__(self, factor: float = 2.0, axis: int = 0) -> None:
        if not factor >= 1.0:
            raise ValueError(f"factor must be >= 1 (1 = unchanged), got {factor}")
        if axis not in (0, 1, 2):
            raise ValueError(f"axis must be a spatial axis 0, 1 or 2, got {axis}")
        self.factor = float(factor)
        self.axis = int(axis)

    def params(self) -> dict[str, Any]:
        return {"factor": self.factor, "axis": self.axis}

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        if self.axis >= image.ndim - 1:
            raise ValueError(
                f"axis {self.axis} does not exist in a {image.ndim - 1}-D sample"
            )
        n = image.shape[self.axis + 1]
        m = max(1, int(round(n / self.factor)))

        def degrade(v: torch.Tensor) -> torch.Tensor:
            low = F.adaptive_avg_pool1d(v, m)
            return F.interpolate(low, size=n, mode="linear", align_corners=False)

        out = dict(sample)
        x = _along_axis(image.to(torch.float64), self.axis + 1, degrade)
        out["image"] = x.to(image.dtype)
        return out


class RandomResolutionLoss(RandomTransform):
    """Sample :class:`ResolutionLoss`: a factor in a range and one of ``axes``.

    Parameters
    ----------
    factor : float or (low, high)
        Range of the thickness factor; ``x`` means ``(1, x)``.
    axes : sequence of int
        Candidate axes; axes absent from a 2-D sample are ignored.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self,
        factor: float | tuple[float, float] = 3.0,
        axes: Sequence[int] = (0, 1, 2),
        p: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(p=p, seed=seed)
        if isinstance(factor, (int, float, np.integer, np.floating)):
            factor = (1.0, float(factor))
        self.factor = uniform_range(factor, "factor")
        if self.factor[0] < 1.0:
            raise ValueError(f"factor range must be >= 1, got {self.factor}")
        self.axes = tuple(int(a) for a in axes)
        if not self.axes or any(a not in (0, 1, 2) for a in self.axes):
            raise ValueError(f"axes must be spatial axes among 0, 1, 2, got {axes!r}")

    def _sample(self, sample: Sample, rng: np.random.Generator) -> ResolutionLoss:
        ndim = sample["image"].ndim - 1
        axes = [a for a in self.axes if a < ndim]
        if not axes:
            raise ValueError(f"none of axes {self.axes} exists in a {ndim}-D sample")
        axis = int(axes[int(rng.integers(len(axes)))])
        return ResolutionLoss(float(rng.uniform(*self.factor)), axis)
