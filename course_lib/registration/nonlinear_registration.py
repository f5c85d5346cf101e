"""Nonlinear (dense) registration: ``T = argmin_T Mis(fixed, moving o T) + gamma Reg(T)``.

The lecture's formulation, solved by gradient descent (Adam, PyTorch autograd) from coarse
to fine. The map from fixed world mm to moving world mm is

    phi(X) = M (X + u(X)),

with ``M`` a fixed affine (typically :func:`~course_lib.registration.register_affine`'s
result) and ``u`` a dense displacement on the fixed grid. Two models of ``u``:

* ``"svf"``: ``u = exp(v) - id`` for a stationary velocity field ``v`` integrated by
  scaling and squaring (Arsigny et al. 2006; Ashburner 2007), diffeomorphic in the
  continuum; the regulariser acts on ``v``.
* ``"displacement"``: ``u`` itself is optimised and regularised (can fold when
  ``gamma`` is small).

``Reg`` is the diffusion (first derivatives) or the bending energy (second
derivatives), in millimetres, weighted by ``gamma``: larger ``gamma`` gives smoother,
less accurate maps with fewer folds -- the trade-off the chapter sweeps.

References
----------
.. [1] Arsigny V, Commowick O, Pennec X, Ayache N (2006). A Log-Euclidean framework for
   statistics on diffeomorphisms. MICCAI, LNCS 4190:924-931.
   https://doi.org/10.1007/11866565_113
.. [2] Ashburner J (2007). A fast diffeomorphic image registration algorithm.
   NeuroImage 38(1):95-113. https://doi.org/10.1016/j.neuroimage.2007.07.007
.. [3] Balakrishnan G, Zhao A, Sabuncu MR, Guttag J, Dalca AV (2019). VoxelMorph: a
   learning framework for deformable medical image registration. IEEE Transactions on
   Medical Imaging 38(8):1788-1800. https://doi.org/10.1109/TMI.2019.2897538
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from course_lib.registration._checks import check_choice, default_device, image_and_affine, spacing
from course_lib.registration._sampling import LevelSampler, prepare_levels
from course_lib.registration.fields import (
    bending_energy,
    diffusion_energy,
    folding_fraction,
    integrate_velocity,
    jacobian_determinant,
)
from course_lib.registration.similarity import similarity_loss
from course_lib.registration.warp import warp_displacement, warp_voxels

__all__ = ["register_nonlinear", "NonlinearRegistrationResult"]

_REGULARISERS = {"diffusion": diffusion_energy, "bending": bending_energy}


@dataclass
class NonlinearRegistrationResult:
    """Output of :func:`register_nonlinear`.

    Attributes
    ----------
    displacement : numpy.ndarray
        ``(d, *S_fixed)`` float32 displacement ``u`` in **world mm** (channel = world
        axis) on the fixed grid; the full map is ``X -> affine @ (X + u(X))``.
    affine : numpy.ndarray
        ``(d+1, d+1)`` world affine ``M`` applied after ``u`` (fixed mm -> moving mm).
    warped : numpy.ndarray
        The moving image resampled on the fixed grid through the full map.
    jacobian : numpy.ndarray
        ``S_fixed`` Jacobian determinant of ``X -> X + u(X)``.
    folding_fraction : float
        Fraction of fixed voxels with a Jacobian determinant <= 0.
    velocity : numpy.ndarray or None
        ``(d, *S_fixed)`` stationary velocity (world mm) for ``model="svf"``.
    cost_history, level_history : list
        Total loss per iteration and the pyramid level of each entry.
    """

    displacement: np.ndarray
    affine: np.ndarray
    warped: np.ndarray
    jacobian: np.ndarray
    folding_fraction: float
    velocity: np.ndarray | None = None
    cost_history: list = field(default_factory=list)
    level_history: list = field(default_factory=list)


def _resize_field(field_vox: torch.Tensor, ratio: float, shape) -> torch.Tensor:
    """Field in coarse voxels -> finer grid (voxel 0 shared, spacing / ratio), in fine voxels."""
    d = field_vox.shape[1]
    m = torch.eye(d + 1, dtype=field_vox.dtype, device=field_vox.device)
    m[:d, :d] /= ratio
    return warp_voxels(field_vox, m, padding="border", out_shape=tuple(shape)) * ratio


def _to_world(field_vox: torch.Tensor, affine: np.ndarray) -> np.ndarray:
    d = field_vox.shape[1]
    lin = torch.as_tensor(affine[:d, :d], dtype=field_vox.dtype, device=field_vox.device)
    return torch.einsum("ij,j...->i...", lin, field_vox[0]).cpu().numpy().astype(np.float32)


def register_nonlinear(
    fixed,
    moving,
    fixed_affine=None,
    moving_affine=None,
    *,
    affine=None,
    model: str = "svf",
    regulariser: str = "diffusion",
    gamma: float = 1.0,
    metric: str = "lncc",
    factors=(4, 2, 1),
    sigmas=None,
    iterations=(100, 60, 30),
    lr: float = 0.2,
    steps: int = 7,
    field_factor: int = 1,
    metric_kwargs: dict | None = None,
    device=None,
    progress: bool = True,
) -> NonlinearRegistrationResult:
    """Dense nonlinear registration of ``moving`` to ``fixed`` (2-D or 3-D).

    Parameters
    ----------
    fixed, moving : numpy.ndarray, torch.Tensor or nibabel image
        Spatial arrays (no batch/channel axes).
    fixed_affine, moving_affine : array_like, optional
        Voxel -> world (mm) matrices; identity when absent.
    affine : array_like, optional
        ``(d+1, d+1)`` world affine fixed mm -> moving mm applied after the
        displacement (e.g. ``register_affine(...).matrix``); identity by default.
    model : {"svf", "displacement"}
        Stationary velocity field (diffeomorphic) or free displacement.
    regulariser : {"diffusion", "bending"}
        Smoothness penalty ``Reg`` (see :mod:`course_lib.registration.fields`).
    gamma : float
        Weight of ``Reg`` (>= 0).
    metric : {"lncc", "ncc", "ssd", "mi"}
        Mismatch ``Mis`` (its loss form, see
        :func:`~course_lib.registration.similarity.similarity_loss`).
    factors, sigmas, iterations
        Pyramid shrink factors (coarse to fine), Gaussian widths (voxels) and Adam
        iterations per level. If the last factor is > 1 the field is upsampled to the
        full grid at the end (cheaper, smoother).
    lr : float
        Adam step, in voxels of the optimised field's grid.
    steps : int
        Scaling-and-squaring steps (``model="svf"``).
    field_factor : int
        The optimised field lives on a grid ``field_factor`` times coarser than each
        level (its displacement is upsampled linearly for warping): fewer unknowns,
        smoother fields and, in 3-D, several times faster iterations. 1 = one vector per
        voxel.
    metric_kwargs : dict, optional
        Extra metric arguments (``window`` for lncc, ``bins`` for mi).
    device : torch.device, optional
        Default :func:`course_lib.core.device.get_device`.
    progress : bool
        Show a ``tqdm.auto`` bar with the level and the cost.

    Returns
    -------
    NonlinearRegistrationResult
    """
    fixed, f_aff = image_and_affine(fixed, fixed_affine, "fixed")
    moving, m_aff = image_and_affine(moving, moving_affine, "moving")
    d = fixed.ndim
    check_choice("model", model, ("svf", "displacement"))
    check_choice("regulariser", regulariser, _REGULARISERS)
    check_choice("metric", metric, ("lncc", "ncc", "ssd", "mi"))
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}.")
    if int(field_factor) != field_factor or field_factor < 1:
        raise ValueError(f"field_factor must be a positive integer, got {field_factor!r}.")
    ff = int(field_factor)
    factors = tuple(int(f) for f in factors)
    iters = tuple(iterations) if np.ndim(iterations) else (int(iterations),) * len(factors)
    if len(iters) != len(factors):
        raise ValueError(
            f"iterations has {len(iters)} entries but factors has "
            f"{len(factors)}: give one count per pyramid level."
        )
    device = default_device(device)
    loss_fn = similarity_loss(metric, **(metric_kwargs or {}))
    reg_fn = _REGULARISERS[regulariser]
    world = torch.as_tensor(
        np.eye(d + 1) if affine is None else affine, dtype=torch.float64, device=device
    )
    levels = prepare_levels(fixed, f_aff, moving, m_aff, factors, sigmas, device)
    rng = np.random.default_rng(0)
    hist, lev_hist = [], []
    param = None
    bar = tqdm(total=sum(iters), disable=not progress, desc="nonlinear", leave=False)
    try:
        for li, (level, n_iter) in enumerate(zip(levels, iters)):
            shape = tuple(level["fixed"].shape[2:])
            field_shape = tuple(-(-n // ff) for n in shape)  # ceil(n / ff)
            sp = spacing(level["fixed_affine"]) * ff
            if param is None:
                param = torch.zeros((1, d) + field_shape, dtype=torch.float32, device=device)
            else:
                param = _resize_field(param.detach(), factors[li - 1] / factors[li], field_shape)
            param.requires_grad_(True)
            sampler = LevelSampler(level, 1.0, rng, keep_grid=True)
            opt = torch.optim.Adam([param], lr=lr)
            for _ in range(n_iter):
                disp = integrate_velocity(param, steps) if model == "svf" else param
                if ff > 1:
                    disp = _resize_field(disp, float(ff), shape)
                fixed_img, moved, mask = sampler(world, disp)
                loss = loss_fn(fixed_img, moved, mask) + gamma * reg_fn(param, sp)
                loss.backward()
                opt.step()
                opt.zero_grad()
                hist.append(float(loss.detach()))
                lev_hist.append(li)
                if progress:
                    bar.update(1)
                    bar.set_postfix(
                        level=f"{li + 1}/{len(factors)}", cost=f"{hist[-1]:.5g}", refresh=False
                    )
    finally:
        bar.close()
    with torch.no_grad():
        if factors[-1] * ff != 1:
            param = _resize_field(param.detach(), float(factors[-1] * ff), fixed.shape)
        param = param.detach()
        disp = integrate_velocity(param, steps) if model == "svf" else param
        disp_mm = _to_world(disp, f_aff)
        vel_mm = _to_world(param, f_aff) if model == "svf" else None
        warped = warp_displacement(
            torch.from_numpy(moving),
            torch.from_numpy(disp_mm),
            m_aff,
            f_aff,
            transform=world.cpu().numpy(),
        ).numpy()
    jac = jacobian_determinant(disp[0].cpu().numpy().astype(np.float64))
    return NonlinearRegistrationResult(
        displacement=disp_mm,
        affine=world.cpu().numpy(),
        warped=warped,
        jacobian=jac,
        folding_fraction=folding_fraction(jac),
        velocity=vel_mm,
        cost_history=hist,
        level_history=lev_hist,
    )
