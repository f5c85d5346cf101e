"""Affine registration by gradient descent through the warp (PyTorch autograd), 2-D / 3-D.

The transform is the lecture's ``T @ Rx @ Ry @ Rz @ Z @ S`` (see
:mod:`course_lib.registration.affine`) composed about a centre ``c`` (the fixed image's
centre of mass by default), ``M = C(c) @ A(q) @ C(-c)``; restricting ``q`` gives the
lecture's families: rigid (6 parameters in 3-D, 3 in 2-D), similarity (+1 isotropic
zoom), rigid+zoom (+3 zooms) and affine (12 / 6; optimised directly as the matrix entries,
which span the same transforms with fewer operations, then decomposed). The free
parameters are rescaled so that a unit step moves points by about 1 mm (angles, zooms,
shears and matrix entries divided by the RMS radius of the fixed grid, like SimpleITK's
physical-shift scales), then Adam minimises the similarity loss from coarse to fine on a
Gaussian pyramid, on all fixed voxels or a random subset (``sampling``). Each level stops
early when the cost stops improving: the step is halved after ``patience`` iterations
without improvement and the level ends when the step falls below ``min_step`` mm; the
best parameters seen on the level are kept (Adam oscillates near the optimum).

References
----------
.. [1] Maes F, Collignon A, Vandermeulen D, Marchal G, Suetens P (1997). Multimodality
   image registration by maximization of mutual information. IEEE Transactions on Medical
   Imaging 16(2):187-198. https://doi.org/10.1109/42.563664
.. [2] Jenkinson M, Smith S (2001). A global optimisation method for robust affine
   registration of brain images. Medical Image Analysis 5(2):143-156.
   https://doi.org/10.1016/S1361-8415(01)00036-6
.. [3] Kingma DP, Ba J (2015). Adam: a method for stochastic optimization. ICLR.
   https://arxiv.org/abs/1412.6980
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from course_lib.geometry import affine_matrix_torch, decompose_affine
from course_lib.registration._checks import check_choice, default_device, image_and_affine
from course_lib.registration._sampling import LevelSampler, prepare_levels
from course_lib.registration.mattes_mi import MattesMutualInformation
from course_lib.registration.similarity import similarity_loss

__all__ = [
    "register_affine",
    "AffineRegistrationResult",
    "N_FREE_PARAMS",
    "AUTO_MAX_POINTS",
    "AUTO_MAX_POINTS_MI",
]

AUTO_MAX_POINTS = 16384
"""Most fixed voxels per pyramid level that ``sampling="auto"`` looks at (regular subset)."""

AUTO_MAX_POINTS_MI = 8192
"""The same for ``metric="mi"``: its histogram is well filled by fewer samples, and each
costs more than for NCC (on the real 2-D slices of ``benchmarks/bench_registration.py``,
8,192 instead of 16,384 took 17 % less CPU at a mean TRE of 0.07-0.20 mm; SimpleITK's
fastest setups there use 10 % of 56,797 pixels)."""

N_FREE_PARAMS = {
    3: {"rigid": 6, "similarity": 7, "rigid+zoom": 9, "affine": 12},
    2: {"rigid": 3, "similarity": 4, "rigid+zoom": 5, "affine": 6},
}
"""Number of free parameters per mode and dimension (the lecture: rigid 6 ... affine 12)."""


@dataclass
class AffineRegistrationResult:
    """Output of :func:`register_affine`.

    Attributes
    ----------
    matrix : numpy.ndarray
        ``(d+1, d+1)`` world (mm) transform **fixed -> moving** (pull-back): resample the
        moving image with ``warp_affine(moving, moving_affine, fixed_affine, fixed_shape,
        transform=matrix)``.
    params : numpy.ndarray
        ``decompose_affine(matrix)``: the lecture's 12 (or 6) parameters about the world
        origin.
    cost_history : list of float
        Loss after every iteration, all levels in order.
    level_history : list of int
        Pyramid level index of each entry of ``cost_history``.
    iterations : list of int
        Iterations actually run per level (early stopping).
    """

    matrix: np.ndarray
    params: np.ndarray
    cost_history: list = field(default_factory=list)
    level_history: list = field(default_factory=list)
    iterations: list = field(default_factory=list)


class _Adam:
    """Adam (Kingma and Ba 2015) on one parameter tensor, written out.

    The same arithmetic, in the same order, as ``torch.optim.Adam``'s single-tensor path
    (so results are bit-identical) without its per-step bookkeeping, which costs more
    than the update itself for the 6-12 parameters of an affine registration.
    """

    def __init__(self, param: torch.Tensor, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.param, self.lr, self.betas, self.eps = param, lr, betas, eps
        self.exp_avg = torch.zeros_like(param)
        self.exp_avg_sq = torch.zeros_like(param)
        self.steps = 0

    @torch.no_grad()
    def step(self) -> None:
        """Update ``param`` from ``param.grad``, then clear the gradient."""
        beta1, beta2 = self.betas
        grad = self.param.grad
        self.steps += 1
        self.exp_avg.lerp_(grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1 ** float(self.steps)
        bias_correction2 = 1 - beta2 ** float(self.steps)
        denom = (self.exp_avg_sq.sqrt() / bias_correction2**0.5).add_(self.eps)
        self.param.addcdiv_(self.exp_avg, denom, value=-(self.lr / bias_correction1))
        self.param.grad = None


def _expand(theta: torch.Tensor, mode: str, d: int, radius: float) -> torch.Tensor:
    """Free, mm-scaled parameters -> the lecture's 12 (6) parameters (not "affine")."""
    nt, nr = (3, 3) if d == 3 else (2, 1)
    t, rest = theta[:nt], theta[nt:] / radius
    rot, rest = rest[:nr], rest[nr:]
    zoom = torch.ones(d, dtype=theta.dtype, device=theta.device)
    if mode == "similarity":
        zoom = zoom + rest[:1]
    elif mode != "rigid":
        zoom = zoom + rest[:d]
    shear = torch.zeros(3 if d == 3 else 1, dtype=theta.dtype, device=theta.device)
    return torch.cat([t, rot, zoom, shear])


def _centered(params: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """``C(c) @ A(params) @ C(-c)``."""
    d = centre.numel()
    a = affine_matrix_torch(params)
    c = torch.eye(d + 1, dtype=a.dtype, device=a.device)
    c_inv = c.clone()
    c[:d, d], c_inv[:d, d] = centre, -centre
    return c @ a @ c_inv


def _matrix(
    theta: torch.Tensor, mode: str, d: int, radius: float, centre: torch.Tensor
) -> torch.Tensor:
    """World matrix ``C(c) @ A @ C(-c)`` from the free parameters.

    For ``mode="affine"`` the parameters are the matrix entries themselves
    (``theta = [t, (L - I) * radius]``), which spans the same 12 (6) degrees of freedom
    as the lecture's product with far fewer operations per iteration; the other modes
    go through the lecture's parameters.
    """
    if mode != "affine":
        return _centered(_expand(theta, mode, d, radius), centre)
    lin = torch.eye(d, dtype=theta.dtype, device=theta.device) + theta[d:].view(d, d) / radius
    shift = theta[:d] + centre - lin @ centre
    bottom = torch.zeros(1, d + 1, dtype=theta.dtype, device=theta.device)
    bottom[0, d] = 1.0
    return torch.cat([torch.cat([lin, shift[:, None]], dim=1), bottom], dim=0)


def _centre_and_shift(init, fixed, f_aff, moving, m_aff) -> tuple[np.ndarray, np.ndarray]:
    """Rotation centre (world mm) and initial translation for an ``init`` string."""

    def grid_centre(arr, aff):
        return (aff @ np.r_[(np.array(arr.shape) - 1) / 2.0, 1.0])[:-1]

    def mass_centre(arr, aff):
        w = np.clip(arr, 0, None).astype(np.float64)
        if w.sum() <= 0:
            return grid_centre(arr, aff)
        idx = np.indices(arr.shape).reshape(arr.ndim, -1)
        return (aff @ np.r_[idx @ w.ravel() / w.sum(), 1.0])[:-1]

    if init == "moments":
        cf, cm = mass_centre(fixed, f_aff), mass_centre(moving, m_aff)
    else:
        cf, cm = grid_centre(fixed, f_aff), grid_centre(moving, m_aff)
    return cf, (cm - cf if init != "identity" else np.zeros_like(cf))


def register_affine(
    fixed,
    moving,
    fixed_affine=None,
    moving_affine=None,
    *,
    mode: str = "affine",
    metric: str = "ncc",
    factors=(4, 2, 1),
    sigmas=None,
    iterations=(100, 60, 30),
    lr: float = 0.5,
    sampling: float | str = "auto",
    init="moments",
    fixed_mask=None,
    tol: float = 0.0,
    patience: int = 3,
    min_step: float = 0.05,
    metric_kwargs: dict | None = None,
    seed: int = 0,
    device=None,
    progress: bool = True,
) -> AffineRegistrationResult:
    """Register ``moving`` to ``fixed`` with a rigid, similarity or affine transform.

    Parameters
    ----------
    fixed, moving : numpy.ndarray, torch.Tensor or nibabel image
        2-D or 3-D spatial arrays (no batch/channel axes); the grids may differ.
    fixed_affine, moving_affine : array_like, optional
        ``(d+1, d+1)`` voxel -> world (mm) matrices; taken from nibabel images, else
        the identity (1-mm voxels).
    mode : {"rigid", "similarity", "rigid+zoom", "affine"}
        Which of the lecture's parameters are free (see :data:`N_FREE_PARAMS`).
    metric : {"ncc", "ssd", "mi", "lncc"}
        Similarity; ``"mi"`` for different modalities (e.g. T1w to T2w): Mattes mutual
        information (:class:`~course_lib.registration.mattes_mi.MattesMutualInformation`:
        box window on the fixed samples, whose bins are found once per level, cubic
        B-spline window on the moving ones, ``bins`` 32 by default).
    factors, sigmas
        Pyramid shrink factors (coarse to fine) and Gaussian widths (full-resolution
        voxels, default ``f / 2``); see :func:`~course_lib.registration.pyramid.image_pyramid`.
    iterations : int or sequence of int
        Maximum Adam iterations per level.
    lr : float
        Initial step of the finest level in mm (level ``f`` starts at ``lr * f``).
    sampling : "auto" or float
        Which fixed voxels the metric looks at. ``"auto"`` (default, deterministic): all
        of them on levels with at most :data:`AUTO_MAX_POINTS` voxels
        (:data:`AUTO_MAX_POINTS_MI` for ``metric="mi"``), else a regular
        subset (every ``s``-th voxel along each axis, the smallest ``s`` that brings the
        level to at most that many; SimpleITK's ``REGULAR`` strategy without jitter). A
        float is the fraction of voxels in a random subset drawn once per level with
        ``seed`` (SimpleITK's ``RANDOM``); 1 uses all. lncc always uses all.
    init : {"moments", "geometry", "identity"} or array_like
        Starting point: align centres of mass, or grid centres, or nothing; a ``(d+1,
        d+1)`` matrix is used as the initial transform (optimisation then refines it).
    fixed_mask : array_like, optional
        Boolean array on the fixed grid restricting the metric (e.g. the brain).
    tol, patience, min_step
        Early stopping (see the module docstring): an iteration "improves" when the cost
        drops below ``best - tol * |best|``; after ``patience`` iterations without
        improvement the step is halved, and the level ends once it is below
        ``min_step * f`` mm. The defaults were tuned on ``benchmarks/bench_registration.py``.
    metric_kwargs : dict, optional
        Extra arguments of the metric (``bins`` for mi, ``window`` for lncc).
    seed : int
        Seed of the sampling.
    device : torch.device, optional
        Default :func:`course_lib.core.device.get_device`.
    progress : bool
        Show a ``tqdm.auto`` bar with the level and the current cost.

    Returns
    -------
    AffineRegistrationResult
        ``matrix`` (world mm, fixed -> moving), ``params`` (lecture convention) and the
        cost history.
    """
    fixed, f_aff = image_and_affine(fixed, fixed_affine, "fixed")
    moving, m_aff = image_and_affine(moving, moving_affine, "moving")
    d = fixed.ndim
    if moving.ndim != d:
        raise ValueError(
            f"fixed is {d}-D but moving is {moving.ndim}-D; register images of the same dimension."
        )
    check_choice("mode", mode, N_FREE_PARAMS[d])
    check_choice("metric", metric, ("ncc", "ssd", "mi", "lncc"))
    factors = tuple(factors)
    iters = tuple(iterations) if np.ndim(iterations) else (int(iterations),) * len(factors)
    if len(iters) != len(factors):
        raise ValueError(
            f"iterations has {len(iters)} entries but factors has "
            f"{len(factors)}: give one maximum per pyramid level."
        )
    auto = isinstance(sampling, str)
    if auto:
        check_choice("sampling", sampling, ("auto",))
    elif metric == "lncc" and sampling < 1:
        raise ValueError("metric='lncc' needs whole images: set sampling=1.0 or 'auto'.")
    device = default_device(device)
    metric_kwargs = dict(metric_kwargs or {})
    loss_fn = None if metric == "mi" else similarity_loss(metric, **metric_kwargs)

    if isinstance(init, str):
        check_choice("init", init, ("moments", "geometry", "identity"))
        centre, shift = _centre_and_shift(init, fixed, f_aff, moving, m_aff)
        base = np.eye(d + 1)
    else:
        base = np.asarray(init, dtype=np.float64)
        centre, _ = _centre_and_shift("geometry", fixed, f_aff, moving, m_aff)
        shift = np.zeros(d)
    ext = (np.array(fixed.shape) - 1) * np.linalg.norm(f_aff[:d, :d], axis=0)
    radius = float(np.sqrt((ext**2).sum() / 12.0))  # RMS distance to the grid centre
    theta = torch.zeros(N_FREE_PARAMS[d][mode], dtype=torch.float64, device=device)
    theta.data[:d] = torch.as_tensor(shift)
    theta.requires_grad_(True)
    centre_t = torch.as_tensor(centre, dtype=torch.float64, device=device)
    base_t = torch.as_tensor(base, dtype=torch.float64, device=device)

    def world_matrix() -> torch.Tensor:
        return base_t @ _matrix(theta, mode, d, radius, centre_t)

    levels = prepare_levels(
        fixed, f_aff, moving, m_aff, factors, sigmas, device, fixed_mask=fixed_mask
    )
    rng = np.random.default_rng(seed)
    result = AffineRegistrationResult(np.eye(d + 1), np.zeros(0))
    bar = tqdm(total=sum(iters), disable=not progress, desc="affine", leave=False)
    try:
        for li, (level, n_iter, f) in enumerate(zip(levels, iters, factors)):
            stride = 1
            if auto and metric != "lncc":
                n_voxels = level["fixed"].numel()
                cap = AUTO_MAX_POINTS_MI if metric == "mi" else AUTO_MAX_POINTS
                while n_voxels / stride**d > cap:
                    stride += 1
            sampler = LevelSampler(
                level, 1.0 if auto else sampling, rng, keep_grid=metric == "lncc", stride=stride
            )
            if metric == "mi":  # the fixed side of Mattes MI is computed once per level
                moving_img = level["moving"]
                mattes = MattesMutualInformation(
                    sampler.fixed_values,
                    (float(moving_img.min()), float(moving_img.max())),
                    **metric_kwargs,
                )
                loss_fn = lambda f_vals, moved, mask, mi=mattes: -mi(moved, mask)  # noqa: E731
            step = lr * f
            opt = _Adam(theta, lr=step)
            best, since_best, done = np.inf, 0, 0
            best_theta = theta.detach().clone()
            for _ in range(n_iter):
                fixed_vals, moved, mask = sampler(world_matrix())
                loss = loss_fn(fixed_vals, moved, mask)
                loss.backward()
                value = float(loss.detach())
                if value < best:
                    best_theta = theta.detach().clone()
                opt.step()
                done += 1
                result.cost_history.append(value)
                result.level_history.append(li)
                if progress:
                    bar.update(1)
                    bar.set_postfix(
                        level=f"{li + 1}/{len(factors)}", cost=f"{value:.5g}", refresh=False
                    )
                if not np.isfinite(best) or value < best - tol * max(abs(best), 1e-12):
                    since_best = 0
                else:
                    since_best += 1
                best = min(best, value)
                if since_best >= patience:
                    step *= 0.5
                    since_best = 0
                    opt.lr = step
                    if step < min_step * f:
                        break
            with torch.no_grad():  # Adam oscillates: keep the best point seen
                theta.copy_(best_theta)
            result.iterations.append(done)
    finally:
        bar.close()
    with torch.no_grad():
        result.matrix = world_matrix().cpu().numpy()
    result.params = decompose_affine(result.matrix)
    return result
