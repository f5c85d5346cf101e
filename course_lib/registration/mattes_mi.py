"""Mattes mutual information: a fast Parzen-window MI for registration loops (chapter 03a).

:func:`course_lib.registration.similarity.mutual_information` spreads *both* images over
the histogram with a Gaussian kernel (6 bins per image, 36 joint cells per sample). In a
registration the fixed samples never move, so Mattes et al. (2003) give them a box kernel
(each fixed sample falls in one bin, found once) and only the moving samples a cubic
B-spline kernel (4 bins, a polynomial: no exponentials), which keeps the cost smooth in the
transform parameters. Each sample then touches 4 joint cells instead of 36, and everything
about the fixed samples (their bins) and both intensity ranges is computed once per
pyramid level. SimpleITK's ``SetMetricAsMattesMutualInformation`` uses the same windows.

:class:`MattesMutualInformation` holds the fixed side of one pyramid level; calling it
with the moving samples returns the MI in nats. :func:`mattes_mutual_information` is the
one-shot function (both sides at once).

References
----------
.. [1] Mattes D, Haynor DR, Vesselle H, Lewellen TK, Eubank W (2003). PET-CT image
   registration in the chest using free-form deformations. IEEE Transactions on Medical
   Imaging 22(1):120-128. https://doi.org/10.1109/TMI.2003.809072
.. [2] Thevenaz P, Unser M (2000). Optimization of mutual information for multiresolution
   image registration. IEEE Transactions on Image Processing 9(12):2083-2099.
   https://doi.org/10.1109/83.887976
"""

from __future__ import annotations

import torch

__all__ = ["MattesMutualInformation", "mattes_mutual_information", "bspline_parzen_taps"]

PAD = 2
"""Bins kept empty at each end of the histogram so the cubic window (4 bins) fits."""


BSPLINE3 = (
    torch.tensor(
        [
            [1.0, 4.0, 1.0, 0.0],
            [-3.0, 0.0, 3.0, 0.0],
            [3.0, -6.0, 3.0, 0.0],
            [-1.0, 3.0, -3.0, 1.0],
        ],
        dtype=torch.float64,
    )
    / 6.0
)
"""``[1, u, u^2, u^3] @ BSPLINE3`` = the cubic B-spline at the 4 bins around a position
``u`` in ``[0, 1]`` past the second of them (the four polynomial pieces of ``beta3``)."""


def _positions(x: torch.Tensor, lo: float, hi: float, bins: int) -> torch.Tensor:
    """Intensities -> continuous bin positions, clamped to ``[PAD - 1, bins - PAD]``."""
    scale = (bins - 2 * PAD + 1) / max(hi - lo, 1e-12)
    return torch.add(PAD - 1 - lo * scale, x, alpha=scale).clamp(PAD - 1, bins - PAD)


def bspline_parzen_taps(
    x: torch.Tensor, lo: float, hi: float, bins: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cubic B-spline Parzen weights of intensities ``x`` (clamped to ``[lo, hi]``).

    Returns
    -------
    index : torch.Tensor
        ``(N, 4)`` long, the 4 histogram bins each value reaches (inside ``[0, bins-1]``).
    weight : torch.Tensor
        ``(N, 4)``, the cubic B-spline ``beta3(bin - position)`` at those bins; every row
        sums to 1. Differentiable with respect to ``x``.
    """
    pos = _positions(x, lo, hi, bins)
    first = (torch.floor(pos.detach()) - 1).clamp(0, bins - 4)  # the 4 taps: first .. first + 3
    u = pos - first - 1.0  # in [0, 1]: position relative to the second tap
    u2 = u * u
    powers = torch.stack([torch.ones_like(u), u, u2, u2 * u], dim=1)
    weight = powers @ BSPLINE3.to(device=x.device, dtype=x.dtype)
    index = first.long()[:, None] + torch.arange(4, device=x.device)
    return index, weight


def _mi_from_joint(joint: torch.Tensor) -> torch.Tensor:
    """``sum p(a, b) log(p(a, b) / (p(a) p(b)))`` of a joint histogram of counts (nats)."""
    joint = joint / joint.sum().clamp_min(1e-12)
    tiny = torch.finfo(joint.dtype).tiny
    log_ratio = (
        torch.log(joint + tiny)
        - torch.log(joint.sum(1, keepdim=True) + tiny)
        - torch.log(joint.sum(0, keepdim=True) + tiny)
    )
    return (joint * log_ratio).sum()


class MattesMutualInformation:
    """Mutual information of fixed samples (box window) and moving samples (cubic B-spline).

    Parameters
    ----------
    fixed : torch.Tensor
        The fixed intensities of the ``N`` samples (any shape, flattened); their bins are
        computed once here.
    moving_range : (float, float)
        Intensity range of the moving image (e.g. its min and max): every moving sample
        is clamped to it, so the histogram has the same bins at every iteration.
    bins : int
        Histogram bins per image (>= 2 * PAD + 2), including the ``PAD`` empty bins at
        each end; SimpleITK's default is 50.
    fixed_range : (float, float), optional
        Default: min and max of ``fixed``.
    """

    def __init__(self, fixed: torch.Tensor, moving_range, bins: int = 32, fixed_range=None):
        if bins < 2 * PAD + 2:
            raise ValueError(f"bins must be >= {2 * PAD + 2} (cubic window + padding), got {bins}.")
        fixed = fixed.detach().reshape(-1)
        if fixed.numel() == 0:
            raise ValueError("no fixed samples: mutual information is undefined.")
        lo, hi = fixed_range if fixed_range is not None else (fixed.min(), fixed.max())
        # box window: the nearest bin centre
        pos = _positions(fixed, float(lo), float(hi), bins)
        self.fixed_row = torch.round(pos).long().clamp(PAD - 1, bins - PAD) * bins
        self.bins = bins
        self.moving_range = (float(moving_range[0]), float(moving_range[1]))

    def __call__(self, moving: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """MI in nats (>= 0; higher when aligned) of the moving samples ``(N,)``.

        ``mask`` (``(N,)``, 0/1 or weights) weights the samples, e.g. the in-bounds indicator.
        """
        moving = moving.reshape(-1)
        if moving.numel() != self.fixed_row.numel():
            raise ValueError(
                f"{moving.numel()} moving samples for {self.fixed_row.numel()} fixed ones: "
                "give the moving intensities at the fixed samples' positions."
            )
        index, weight = bspline_parzen_taps(moving, *self.moving_range, self.bins)
        if mask is not None:
            weight = weight * mask.reshape(-1, 1).to(weight.dtype)
        cell = (self.fixed_row[:, None] + index).reshape(-1)
        joint = torch.zeros(self.bins * self.bins, dtype=weight.dtype, device=weight.device)
        joint = joint.index_add(0, cell, weight.reshape(-1)).reshape(self.bins, self.bins)
        return _mi_from_joint(joint)


def mattes_mutual_information(
    fixed: torch.Tensor,
    moving: torch.Tensor,
    bins: int = 32,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mattes MI of two same-shape tensors, ranges = min / max of each (one-shot).

    Returns
    -------
    torch.Tensor
        Scalar MI in nats, differentiable with respect to ``moving``.
    """
    if fixed.shape != moving.shape:
        raise ValueError(f"fixed {tuple(fixed.shape)} and moving {tuple(moving.shape)} differ.")
    m = moving.detach()
    metric = MattesMutualInformation(fixed, (float(m.min()), float(m.max())), bins)
    return metric(moving, mask)
