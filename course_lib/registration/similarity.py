"""Similarity measures between a fixed and a warped moving image, usable as losses.

All functions take PyTorch tensors and are differentiable. ``fixed`` and ``moving`` have
the same shape; the global measures (:func:`ssd`, :func:`ncc`,
:func:`mutual_information`) pool every element (any shape, e.g. ``(B, C, *S)`` or a
flat vector of sampled points), :func:`local_ncc` needs ``(B, C, *S)`` images. An optional
``mask`` (same shape, 0/1 or weights) restricts the measure, e.g. to fixed voxels whose
transformed position falls inside the moving image.

``ssd`` is a cost (lower is better); ``ncc``, ``local_ncc`` and ``mutual_information`` are
similarities (higher is better). :func:`similarity_loss` turns a name into a loss to
minimise.

References
----------
.. [1] Viola P, Wells WM (1997). Alignment by maximization of mutual information.
   International Journal of Computer Vision 24(2):137-154.
   https://doi.org/10.1023/A:1007958904918
.. [2] Mattes D, Haynor DR, Vesselle H, Lewellen TK, Eubank W (2003). PET-CT image
   registration in the chest using free-form deformations. IEEE Transactions on Medical
   Imaging 22(1):120-128. https://doi.org/10.1109/TMI.2003.809072
.. [3] Avants BB, Epstein CL, Grossman M, Gee JC (2008). Symmetric diffeomorphic image
   registration with cross-correlation. Medical Image Analysis 12(1):26-41.
   https://doi.org/10.1016/j.media.2007.06.004
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from course_lib.registration._checks import check_choice

__all__ = ["ssd", "ncc", "local_ncc", "mutual_information", "similarity_loss"]


def _weights(fixed: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return torch.ones_like(fixed)
    if mask.shape != fixed.shape:
        mask = mask.expand_as(fixed)
    return mask.to(fixed.dtype)


def ssd(
    fixed: torch.Tensor, moving: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean of squared differences (the sum of squared differences divided by N).

    Returns
    -------
    torch.Tensor
        Scalar, in squared intensity units; 0 for identical images. Lower is better.
    """
    w = _weights(fixed, mask)
    return (w * (fixed - moving) ** 2).sum() / w.sum().clamp_min(1e-12)


def ncc(
    fixed: torch.Tensor, moving: torch.Tensor, mask: torch.Tensor | None = None, eps: float = 1e-8
) -> torch.Tensor:
    """Global normalised cross-correlation (Pearson's r over all voxels).

    Returns
    -------
    torch.Tensor
        Scalar in ``[-1, 1]``; 1 for images equal up to a positive affine intensity map.
    """
    w = _weights(fixed, mask)
    n = w.sum().clamp_min(1e-12)
    fm = (w * fixed).sum() / n
    mm = (w * moving).sum() / n
    f, m = fixed - fm, moving - mm
    cov = (w * f * m).sum() / n
    return cov / torch.sqrt((w * f * f).sum() / n * ((w * m * m).sum() / n) + eps)


def _box(x: torch.Tensor, window: int) -> torch.Tensor:
    """Mean over a cubic window (same size output, zero padding), one axis at a time."""
    d = x.ndim - 2
    pool = F.avg_pool3d if d == 3 else F.avg_pool2d
    for axis in range(d):
        kernel = [1] * d
        kernel[axis] = window
        pad = [0] * d
        pad[axis] = window // 2
        x = pool(x, tuple(kernel), stride=1, padding=tuple(pad), count_include_pad=True)
    return x


def local_ncc(
    fixed: torch.Tensor,
    moving: torch.Tensor,
    window: int = 9,
    mask: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Local (windowed) normalised cross-correlation, averaged over the image.

    For every voxel the correlation of the two images in a ``window``^d neighbourhood,
    ``cov / sqrt(var_f var_m + eps)``, computed with box filters as in ANTs' CC metric
    (Avants et al. 2008); robust to slowly varying intensity differences (bias field).

    Parameters
    ----------
    fixed, moving : torch.Tensor
        ``(B, C, H, W[, D])``.
    window : int
        Odd window width in voxels.
    mask : torch.Tensor, optional
        Weights for the final average.
    eps : float
        Regulariser of the denominator (intensity units squared).

    Returns
    -------
    torch.Tensor
        Scalar, at most 1 (identical images in textured regions). Higher is better.
    """
    if fixed.ndim not in (4, 5):
        raise ValueError(f"local_ncc needs (B, C, H, W[, D]) tensors, got {tuple(fixed.shape)}.")
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be a positive odd integer, got {window}.")
    mf, mm = _box(fixed, window), _box(moving, window)
    cov = _box(fixed * moving, window) - mf * mm
    vf = (_box(fixed * fixed, window) - mf * mf).clamp_min(0)
    vm = (_box(moving * moving, window) - mm * mm).clamp_min(0)
    cc = cov / torch.sqrt(vf * vm + eps)
    w = _weights(fixed, mask)
    return (w * cc).sum() / w.sum().clamp_min(1e-12)


def _parzen_taps(
    x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, bins: int, sigma: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian Parzen weights of intensities rescaled to ``[0, bins-1]``, as a small kernel.

    Each value only reaches the bins within ``6 sigma`` of it (the weight further out is
    below ``exp(-18)`` of the peak), so instead of an ``(N, bins)`` matrix this returns
    the ``K = 2 ceil(6 sigma)`` nearest bins of every value: ``index`` ``(N, K)`` (long)
    and ``weight`` ``(N, K)``, normalised over the bins inside ``[0, bins-1]`` (taps
    outside get weight 0 and a clamped index).
    """
    pos = (x - lo) / (hi - lo).clamp_min(1e-12) * (bins - 1)
    reach = max(1, int(math.ceil(6.0 * sigma)))
    offsets = torch.arange(-reach + 1, reach + 1, device=x.device)
    index = torch.floor(pos.detach()).long()[:, None] + offsets
    valid = (index >= 0) & (index <= bins - 1)
    logits = -0.5 * ((pos[:, None] - index.to(x.dtype)) / sigma) ** 2
    logits = logits.masked_fill(~valid, float("-inf"))
    # normalised Gaussian weights; softmax avoids underflow for narrow kernels
    return index.clamp(0, bins - 1), torch.softmax(logits, dim=1)


def mutual_information(
    fixed: torch.Tensor,
    moving: torch.Tensor,
    bins: int = 32,
    mask: torch.Tensor | None = None,
    sigma: float = 0.5,
    normalized: bool = False,
) -> torch.Tensor:
    """Mutual information from a differentiable Parzen-window joint histogram.

    Each intensity is rescaled to ``[0, bins - 1]`` (min/max of each image under the
    mask, treated as constants) and spread over the bins by a Gaussian kernel of width
    ``sigma`` bins (Viola and Wells 1997; Mattes et al. 2003 use a cubic B-spline
    kernel for the same purpose). The joint histogram ``p(a, b)`` and its marginals give
    ``MI = sum p(a, b) log(p(a, b) / (p(a) p(b)))`` in nats.

    Parameters
    ----------
    fixed, moving : torch.Tensor
        Same shape, any layout (all elements pooled).
    bins : int
        Histogram bins per image.
    mask : torch.Tensor, optional
        Weights of the samples (e.g. in-bounds indicator).
    sigma : float
        Parzen kernel width in bins (0.5 is close to the cubic B-spline kernel of Mattes
        et al.; wider kernels give smoother but more biased costs).
    normalized : bool
        Return Studholme's normalised MI ``(H(A) + H(B)) / H(A, B)`` (in ``[1, 2]``)
        instead.

    Returns
    -------
    torch.Tensor
        Scalar, >= 0; higher when the images are aligned, also across modalities (it does
        not assume any intensity relation). Each sample only touches its ``K = 2
        ceil(6 sigma)`` nearest bins per image (6 for the default ``sigma``), so time and
        memory are ``O(N K^2)``, independent of ``bins``; sample points rather than passing
        a large 3-D volume whole.
    """
    if bins < 2:
        raise ValueError(f"bins must be >= 2, got {bins}.")
    w = _weights(fixed, mask).reshape(-1)
    f, m = fixed.reshape(-1), moving.reshape(-1)
    keep = w > 0
    f, m, w = f[keep], m[keep], w[keep]
    if f.numel() == 0:
        raise ValueError("mask selects no voxel: mutual information is undefined.")
    with torch.no_grad():
        f_lo, f_hi, m_lo, m_hi = f.min(), f.max(), m.min(), m.max()
    idx_f, wf = _parzen_taps(f, f_lo, f_hi, bins, sigma)
    idx_m, wm = _parzen_taps(m, m_lo, m_hi, bins, sigma)
    # joint histogram: every sample adds w * wf[a] * wm[b] to bin (idx_f[a], idx_m[b])
    cell = (idx_f[:, :, None] * bins + idx_m[:, None, :]).reshape(-1)
    share = ((wf * w[:, None])[:, :, None] * wm[:, None, :]).reshape(-1)
    joint = torch.zeros(bins * bins, dtype=share.dtype, device=share.device)
    joint = joint.index_add(0, cell, share).reshape(bins, bins)
    joint = joint / joint.sum()
    pf, pm = joint.sum(1), joint.sum(0)
    tiny = torch.finfo(joint.dtype).tiny
    h_joint = -(joint * torch.log(joint + tiny)).sum()
    h_f = -(pf * torch.log(pf + tiny)).sum()
    h_m = -(pm * torch.log(pm + tiny)).sum()
    if normalized:
        return (h_f + h_m) / h_joint
    return h_f + h_m - h_joint


def similarity_loss(metric: str, **kwargs) -> Callable[..., torch.Tensor]:
    """Return ``loss(fixed, moving, mask=None)`` to *minimise* for a named measure.

    Parameters
    ----------
    metric : {"ssd", "ncc", "lncc", "mi"}
        ``"ssd"``: :func:`ssd`; ``"ncc"``: ``-ncc``; ``"lncc"``: ``-local_ncc``;
        ``"mi"``: ``-mutual_information``.
    **kwargs
        Passed to the measure (``window`` for lncc, ``bins`` / ``sigma`` for mi).

    Returns
    -------
    callable
    """
    check_choice("metric", metric, ("ssd", "ncc", "lncc", "mi"))
    if metric == "ssd":
        return lambda f, m, mask=None: ssd(f, m, mask)
    if metric == "ncc":
        return lambda f, m, mask=None: -ncc(f, m, mask, **kwargs)
    if metric == "lncc":
        return lambda f, m, mask=None: -local_ncc(f, m, mask=mask, **kwargs)
    return lambda f, m, mask=None: -mutual_information(f, m, mask=mask, **kwargs)
