"""Dense deformation fields: scaling and squaring, Jacobian determinant, regularisers.

Fields are ``(B, d, *S)`` tensors (or ``(d, *S)``), channel ``a`` being the displacement
along array axis ``a`` in **voxels** unless a function says otherwise. A displacement
``u`` defines the map ``phi(x) = x + u(x)`` (pull-back, see
:mod:`course_lib.registration.warp`).

* A *stationary velocity field* ``v`` is turned into a diffeomorphism ``phi = exp(v)`` by
  scaling and squaring: ``phi_0 = id + v / 2^K``, then ``phi_{k+1} = phi_k o phi_k``
  (Arsigny et al. 2006; Ashburner 2007, DARTEL). Its Jacobian is positive in the
  continuum; on the grid a few voxels may still fold if ``v`` is very rough.
* The Jacobian determinant ``det(I + grad u)`` measures local volume change (> 1
  expansion, < 1 compression); ``det <= 0`` means the map folds (non-invertible).
* Regularisers, in millimetres (so that ``gamma`` means the same on every pyramid level):
  diffusion ``mean |grad u|^2`` and bending energy ``mean |Hessian u|^2``.

References
----------
.. [1] Arsigny V, Commowick O, Pennec X, Ayache N (2006). A Log-Euclidean framework for
   statistics on diffeomorphisms. MICCAI, LNCS 4190:924-931.
   https://doi.org/10.1007/11866565_113
.. [2] Ashburner J (2007). A fast diffeomorphic image registration algorithm.
   NeuroImage 38(1):95-113. https://doi.org/10.1016/j.neuroimage.2007.07.007
.. [3] Fischer B, Modersitzki J (2002). Fast diffusion registration. In: Inverse Problems,
   Image Analysis, and Medical Imaging, Contemporary Mathematics 313:117-128, American
   Mathematical Society.
.. [4] Rueckert D, Sonoda LI, Hayes C, Hill DLG, Leach MO, Hawkes DJ (1999). Nonrigid
   registration using free-form deformations: application to breast MR images. IEEE
   Transactions on Medical Imaging 18(8):712-721. https://doi.org/10.1109/42.796284
"""

from __future__ import annotations

import numpy as np
import torch

from course_lib.registration._checks import as_affine
from course_lib.registration.warp import warp_voxels

__all__ = [
    "integrate_velocity",
    "jacobian_determinant",
    "folding_fraction",
    "diffusion_energy",
    "bending_energy",
]


def _batch_field(field: torch.Tensor, name: str) -> torch.Tensor:
    if field.ndim in (3, 4) and field.shape[0] == field.ndim - 1:
        field = field[None]
    if field.ndim not in (4, 5) or field.shape[1] != field.ndim - 2:
        raise ValueError(
            f"{name} must be (d, *S) or (B, d, *S) with d = 2 or 3 spatial "
            f"axes, got shape {tuple(field.shape)}."
        )
    return field


def integrate_velocity(velocity: torch.Tensor, steps: int = 7) -> torch.Tensor:
    """Exponentiate a stationary velocity field by scaling and squaring.

    Parameters
    ----------
    velocity : torch.Tensor
        ``(B, d, *S)`` in voxels (array axis order).
    steps : int
        Number of squarings ``K`` (the field is divided by ``2**K`` first).

    Returns
    -------
    torch.Tensor
        Displacement ``u`` of ``exp(v) = id + u``, ``(B, d, *S)`` voxels; differentiable.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}.")
    disp = _batch_field(velocity, "velocity") / (2.0**steps)
    for _ in range(steps):  # u <- u + u o (id + u)
        disp = disp + warp_voxels(disp, disp, padding="border")
    return disp


def _spacing(affine, d: int) -> np.ndarray:
    if affine is None:
        return np.ones(d)
    return np.linalg.norm(as_affine(affine, d)[:d, :d], axis=0)


def jacobian_determinant(
    displacement: torch.Tensor | np.ndarray, affine=None
) -> torch.Tensor | np.ndarray:
    """Jacobian determinant of ``x -> x + u(x)`` at every voxel.

    Parameters
    ----------
    displacement : torch.Tensor or numpy.ndarray
        ``(d, *S)`` or ``(B, d, *S)``. In voxels when ``affine`` is None; in world mm
        (channel = world axis) when the grid's voxel -> world ``affine`` is given.
    affine : array_like, optional
        ``(d+1, d+1)`` voxel -> world matrix of the grid.

    Returns
    -------
    torch.Tensor or numpy.ndarray
        ``S`` or ``(B, *S)`` (same type as the input), unitless: 1 = volume preserved,
        <= 0 = folding. Central differences inside, one-sided at the borders; the value
        does not depend on the voxel size or orientation (``det`` is invariant under the
        change of coordinates).
    """
    is_numpy = isinstance(displacement, np.ndarray)
    u = torch.as_tensor(displacement)
    unbatched = u.ndim in (3, 4) and u.shape[0] == u.ndim - 1
    u = _batch_field(u.to(torch.float64) if is_numpy else u, "displacement")
    d = u.shape[1]
    if affine is not None:  # world mm -> voxels: u_vox = inv(R) u_world
        r_inv = torch.as_tensor(
            np.linalg.inv(as_affine(affine, d)[:d, :d]), dtype=u.dtype, device=u.device
        )
        u = torch.einsum("ij,bj...->bi...", r_inv, u)
    grads = [torch.gradient(u[:, a], dim=tuple(range(1, d + 1))) for a in range(d)]
    j = [[grads[a][b] + (1.0 if a == b else 0.0) for b in range(d)] for a in range(d)]
    if d == 2:
        det = j[0][0] * j[1][1] - j[0][1] * j[1][0]
    else:
        det = (
            j[0][0] * (j[1][1] * j[2][2] - j[1][2] * j[2][1])
            - j[0][1] * (j[1][0] * j[2][2] - j[1][2] * j[2][0])
            + j[0][2] * (j[1][0] * j[2][1] - j[1][1] * j[2][0])
        )
    det = det[0] if unbatched else det
    return det.numpy() if is_numpy else det


def folding_fraction(jacobian, mask=None) -> float:
    """Fraction of voxels where the map folds (Jacobian determinant <= 0).

    Parameters
    ----------
    jacobian : torch.Tensor or numpy.ndarray
        Output of :func:`jacobian_determinant`.
    mask : array_like of bool, optional
        Count only these voxels (e.g. the brain).

    Returns
    -------
    float
        In ``[0, 1]`` (multiply by 100 for a percentage).
    """
    jac = (
        jacobian.detach().cpu().numpy()
        if isinstance(jacobian, torch.Tensor)
        else np.asarray(jacobian)
    )
    folded = jac <= 0
    if mask is not None:
        m = np.broadcast_to(np.asarray(mask, dtype=bool), jac.shape)
        return float(folded[m].mean()) if m.any() else 0.0
    return float(folded.mean())


def _mm_field(field: torch.Tensor, spacing) -> tuple[torch.Tensor, list[float]]:
    field = _batch_field(field, "field")
    d = field.shape[1]
    sp = [float(s) for s in np.broadcast_to(np.asarray(spacing, dtype=float), (d,))]
    scale = torch.as_tensor(sp, dtype=field.dtype, device=field.device).view(1, d, *[1] * d)
    return field * scale, sp


def diffusion_energy(field: torch.Tensor, spacing=1.0) -> torch.Tensor:
    """Diffusion regulariser ``mean over voxels of sum_ij (du_i / dx_j)^2``.

    Parameters
    ----------
    field : torch.Tensor
        ``(B, d, *S)`` displacement or velocity in voxels.
    spacing : float or sequence of float
        Voxel size (mm) per array axis: the field is converted to mm and differentiated
        per mm (forward differences), so the value is unitless.

    Returns
    -------
    torch.Tensor
        Scalar >= 0; 0 for a constant field (a translation).
    """
    u, sp = _mm_field(field, spacing)
    d = u.shape[1]
    total = u.new_zeros(())
    for b in range(d):
        diff = torch.diff(u, dim=2 + b) / sp[b]
        total = total + (diff**2).sum(1).mean()
    return total


def bending_energy(field: torch.Tensor, spacing=1.0) -> torch.Tensor:
    """Bending energy ``mean over voxels of sum_i sum_jk (d^2 u_i / dx_j dx_k)^2``.

    Second differences (per mm^2); mixed terms counted twice, as in the thin-plate
    energy of Rueckert et al. (1999). Zero for any affine field.

    Parameters
    ----------
    field : torch.Tensor
        ``(B, d, *S)`` displacement or velocity in voxels.
    spacing : float or sequence of float
        Voxel size (mm) per array axis.

    Returns
    -------
    torch.Tensor
        Scalar >= 0, in mm^-2.
    """
    u, sp = _mm_field(field, spacing)
    d = u.shape[1]
    total = u.new_zeros(())
    for j in range(d):
        second = torch.diff(u, n=2, dim=2 + j) / sp[j] ** 2
        total = total + (second**2).sum(1).mean()
        for k in range(j + 1, d):
            mixed = torch.diff(torch.diff(u, dim=2 + j), dim=2 + k) / (sp[j] * sp[k])
            total = total + 2 * (mixed**2).sum(1).mean()
    return total
