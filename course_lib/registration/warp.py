"""Resample images and label maps through an affine or a dense displacement (2-D and 3-D).

Conventions (read once, used everywhere in :mod:`course_lib.registration`)
--------------------------------------------------------------------------
* **Tensors** are ``(B, C, *S)`` with ``S = (H, W)`` or ``(H, W, D)``; the spatial axes are
  the array axes ``0, 1[, 2]`` of ``S`` in that order (``i, j[, k]``). A NIfTI volume of
  shape ``(X, Y, Z)`` becomes ``(1, 1, X, Y, Z)`` unchanged (no transposition).
* **Voxel coordinates** are the array indices ``(i, j[, k])``; voxel centres are at
  integers. **World coordinates** are millimetres (RAS+ for NIfTI) and an image's
  ``affine`` maps voxel to world: ``world = affine @ [i, j, k, 1]``.
* A transform is a **pull-back** ("backward") map, as in ITK/SimpleITK: it maps a point
  of the output (fixed) grid to the point of the input (moving) image that is sampled
  there, ``out(x) = moving(T(x))``. A registration therefore returns ``T`` =
  fixed world -> moving world.
* Interpolation: ``"linear"`` (bi/tri-linear) or ``"nearest"`` (label maps; integer
  dtypes are kept). Points outside the input read ``padding``: ``"zeros"`` (default; the
  background label 0), ``"border"`` or ``"reflection"``.
* Exactness: an identity matrix between equal grids returns an exact copy (unless the
  matrix requires grad). Otherwise ``"nearest"`` reproduces values exactly at integer
  positions, while ``"linear"`` goes through :func:`torch.nn.functional.grid_sample`,
  whose normalised coordinates round: a zero displacement, or an identity that requires
  grad, is exact to ~1e-5 of the intensity range in float32 and ~1e-13 in float64 (warp
  a float64 tensor when bit-level fidelity matters).

Everything is differentiable (autograd) with respect to the image, the matrix and the
displacement, so the registration functions optimise through these warps.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from course_lib.registration._checks import as_affine, check_mode, check_padding

__all__ = ["warp_voxels", "warp_affine", "warp_displacement", "resample", "voxel_grid"]


def _norm_matrix(shape, dtype, device) -> torch.Tensor:
    """``(d+1, d+1)`` map voxel index -> grid_sample's normalised coordinate (same order).

    With ``align_corners=True`` index 0 maps to -1 and ``n - 1`` to +1; an axis of size
    1 uses ``g = i`` so that its single voxel sits at 0 (in bounds).
    """
    d = len(shape)
    n = torch.eye(d + 1, dtype=dtype, device=device)
    for a, size in enumerate(shape):
        if size > 1:
            n[a, a] = 2.0 / (size - 1)
            n[a, d] = -1.0
    return n


def _to_grid_theta(vox: torch.Tensor, in_shape, out_shape) -> torch.Tensor:
    """Convert a voxel->voxel matrix (array axis order) to ``affine_grid``'s theta."""
    d = len(in_shape)
    n_in = _norm_matrix(in_shape, vox.dtype, vox.device)
    n_out_inv = torch.linalg.inv(_norm_matrix(out_shape, vox.dtype, vox.device))
    theta = n_in @ vox @ n_out_inv
    rev = list(range(d - 1, -1, -1)) + [d]  # grid_sample lists coordinates x=last axis first
    return theta[..., rev, :][..., :, rev][..., :d, :]


def voxel_grid(shape, dtype=torch.float32, device=None) -> torch.Tensor:
    """Voxel coordinates of every voxel of a grid.

    Parameters
    ----------
    shape : tuple of int
        Spatial shape ``S`` (2 or 3 axes).
    dtype, device
        Of the result.

    Returns
    -------
    torch.Tensor
        ``(d, *S)``: channel ``a`` holds the index along array axis ``a``.
    """
    axes = [torch.arange(s, dtype=dtype, device=device) for s in shape]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=0)


def _batched(image: torch.Tensor, d: int, name: str) -> tuple[torch.Tensor, bool]:
    if not isinstance(image, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(image).__name__}; use "
            "resample() for NumPy arrays."
        )
    if image.ndim == d:
        return image[None, None], True
    if image.ndim == d + 2:
        return image, False
    raise ValueError(
        f"{name} must be ({d} spatial axes) or (B, C, {d} spatial axes), got "
        f"shape {tuple(image.shape)} for a {d}-D transform."
    )


def _is_identity(vox: torch.Tensor, in_shape, out_shape) -> bool:
    """True for an identity voxel map between equal grids that needs no gradient.

    Such a warp returns a copy of the input: bit-exact, where ``grid_sample`` would round
    (see "Exactness" in the module docstring).
    """
    if vox.requires_grad or tuple(in_shape) != tuple(out_shape) or vox.ndim != 2:
        return False
    eye = torch.eye(vox.shape[-1], dtype=vox.dtype, device=vox.device)
    return bool((vox - eye).abs().max() <= 1e-12)


def _check_label_mode(image: torch.Tensor, mode: str) -> None:
    if not torch.is_floating_point(image) and mode != "nearest":
        raise ValueError(
            "an integer (label) image can only be warped with mode='nearest'; "
            "convert it to float first for linear interpolation."
        )


def _sample(image: torch.Tensor, grid: torch.Tensor, mode: str, padding: str) -> torch.Tensor:
    """grid_sample that keeps integer label maps integer (nearest mode)."""
    _check_label_mode(image, mode)
    is_int = not torch.is_floating_point(image)
    src = image.to(torch.float64 if is_int else image.dtype)
    if src.shape[0] != grid.shape[0]:  # one image, a batch of transforms
        src = src.expand(grid.shape[0], *src.shape[1:])
    out = F.grid_sample(
        src,
        grid.to(src.dtype),
        mode="bilinear" if mode == "linear" else "nearest",
        padding_mode=padding,
        align_corners=True,
    )
    return out.round().to(image.dtype) if is_int else out


def _grid(
    vox: torch.Tensor, in_shape, out_shape, batch: int, shift: torch.Tensor | None = None
) -> torch.Tensor:
    """Normalised sampling grid for the input voxels ``vox @ x + shift(x)``.

    ``vox`` is ``(d+1, d+1)`` or ``(B, d+1, d+1)`` (output voxel -> input voxel);
    ``shift`` is an optional ``(B, d, *out_shape)`` offset in *input* voxels.
    """
    d = len(in_shape)
    vox = vox.expand(batch, d + 1, d + 1) if vox.ndim == 2 else vox
    if shift is not None and shift.shape[0] != batch:
        shift = shift.expand(batch, *shift.shape[1:])
    theta = _to_grid_theta(vox, in_shape, out_shape)
    grid = F.affine_grid(theta, [batch, 1, *out_shape], align_corners=True)
    if shift is not None:
        scale = torch.diagonal(_norm_matrix(in_shape, vox.dtype, vox.device))[:d]
        scaled = shift.to(vox.dtype) * scale.view(1, d, *([1] * d))
        grid = grid + scaled.flip(1).movedim(1, -1)
    return grid


def warp_voxels(
    image: torch.Tensor, transform, mode: str = "linear", padding: str = "zeros", out_shape=None
) -> torch.Tensor:
    """Warp a batch of images in **voxel space** (for data augmentation).

    Parameters
    ----------
    image : torch.Tensor
        ``(B, C, *S)`` float image, or integer label map with ``mode="nearest"``.
    transform : torch.Tensor or numpy.ndarray
        Either a matrix ``(d+1, d+1)`` or ``(B, d+1, d+1)`` that maps **output voxel
        indices to input voxel indices**, ``[i_in, j_in, k_in, 1] = M @ [i_out, j_out,
        k_out, 1]`` (array axis order); or a displacement ``(B, d, *S_out)`` in voxels,
        ``x_in = x_out + u(x_out)``, channel ``a`` along array axis ``a``.
    mode : {"linear", "nearest"}
    padding : {"zeros", "border", "reflection"}
    out_shape : tuple of int, optional
        Output spatial shape; default ``S`` (for a displacement, its spatial shape).

    Returns
    -------
    torch.Tensor
        ``(B, C, *out_shape)``, dtype of ``image``.
    """
    mode, padding = check_mode(mode), check_padding(padding)
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"image must be a torch.Tensor (B, C, *S), got {type(image).__name__}.")
    t = torch.as_tensor(transform, device=image.device)
    dtype = image.dtype if image.is_floating_point() else torch.float64
    is_matrix = t.ndim in (2, 3) and t.shape[-1] == t.shape[-2] and t.shape[-1] in (3, 4)
    is_field = t.ndim in (4, 5) and t.shape[1] == t.ndim - 2
    if not (is_matrix or is_field):
        raise ValueError(
            f"transform must be a (d+1, d+1) / (B, d+1, d+1) matrix or a "
            f"(B, d, *S) displacement (d = 2 or 3), got shape {tuple(t.shape)}."
        )
    d = t.shape[-1] - 1 if is_matrix else t.shape[1]
    if image.ndim != d + 2:
        raise ValueError(
            f"image must be (B, C, *S) with {d} spatial axes to match a transform "
            f"of shape {tuple(t.shape)}, got {tuple(image.shape)}."
        )
    batch = max(image.shape[0], t.shape[0] if t.ndim in (3, 4, 5) else 1)
    if is_matrix:
        out_shape = tuple(out_shape or image.shape[2:])
        if _is_identity(t, image.shape[2:], out_shape):
            _check_label_mode(image, mode)
            return image.clone()
        grid = _grid(t.to(dtype), image.shape[2:], out_shape, batch)
    else:
        eye = torch.eye(d + 1, dtype=dtype, device=image.device)
        grid = _grid(eye, image.shape[2:], tuple(t.shape[2:]), batch, shift=t)
    return _sample(image, grid, mode, padding)


def _world_to_voxel_matrix(transform, moving_affine, fixed_affine, d, ref: torch.Tensor):
    """``inv(moving_affine) @ T @ fixed_affine`` as a float64 tensor (keeps T's autograd)."""
    dtype = torch.float64
    a_m_inv = torch.as_tensor(
        np.linalg.inv(as_affine(moving_affine, d, "moving_affine")), dtype=dtype, device=ref.device
    )
    a_f = torch.as_tensor(
        as_affine(fixed_affine, d, "fixed_affine"), dtype=dtype, device=ref.device
    )
    if transform is None:
        return a_m_inv @ a_f, a_m_inv
    t = torch.as_tensor(transform, dtype=dtype, device=ref.device)
    if t.shape[-2:] != (d + 1, d + 1):
        raise ValueError(
            f"transform must be ({d + 1}, {d + 1}) (world mm, fixed -> moving), "
            f"got {tuple(t.shape)}."
        )
    return a_m_inv @ t @ a_f, a_m_inv @ t


def warp_affine(
    moving: torch.Tensor,
    moving_affine,
    fixed_affine,
    fixed_shape,
    transform=None,
    mode: str = "linear",
    padding: str = "zeros",
) -> torch.Tensor:
    """Resample ``moving`` onto the fixed grid through a world-space affine.

    ``out[x] = moving(inv(moving_affine) @ transform @ fixed_affine @ x)`` for every fixed
    voxel ``x``: the two images may have different shapes, spacings and orientations.

    Parameters
    ----------
    moving : torch.Tensor
        ``S_m`` or ``(B, C, *S_m)``.
    moving_affine, fixed_affine : array_like or torch.Tensor
        ``(d+1, d+1)`` voxel -> world (mm) matrices of the two grids.
    fixed_shape : tuple of int
        Spatial shape of the output grid.
    transform : array_like or torch.Tensor, optional
        ``(d+1, d+1)`` (or ``(B, d+1, d+1)``) world -> world map, **fixed mm -> moving mm**
        (pull-back); ``None`` is the identity (plain resampling between grids). A tensor
        that requires grad gets gradients.
    mode, padding
        See the module docstring.

    Returns
    -------
    torch.Tensor
        Same layout as ``moving`` with spatial shape ``fixed_shape``.
    """
    mode, padding = check_mode(mode), check_padding(padding)
    d = len(fixed_shape)
    img, squeeze = _batched(moving, d, "moving")
    vox, _ = _world_to_voxel_matrix(transform, moving_affine, fixed_affine, d, img)
    if _is_identity(vox, img.shape[2:], tuple(fixed_shape)):
        _check_label_mode(img, mode)
        out = img.clone()
        return out[0, 0] if squeeze else out
    batch = max(img.shape[0], vox.shape[0] if vox.ndim == 3 else 1)
    out = _sample(img, _grid(vox, img.shape[2:], tuple(fixed_shape), batch), mode, padding)
    return out[0, 0] if squeeze else out


def warp_displacement(
    moving: torch.Tensor,
    displacement: torch.Tensor,
    moving_affine,
    fixed_affine,
    transform=None,
    mode: str = "linear",
    padding: str = "zeros",
) -> torch.Tensor:
    """Resample ``moving`` onto the fixed grid through a dense displacement (world mm).

    ``out[x] = moving(T(X + u(X)))`` with ``X = fixed_affine @ x`` the world position of
    fixed voxel ``x``, ``u`` the displacement in mm and ``T`` an optional affine applied
    afterwards (the output of an affine registration), all pull-back.

    Parameters
    ----------
    moving : torch.Tensor
        ``S_m`` or ``(B, C, *S_m)``.
    displacement : torch.Tensor
        ``(d, *S_f)`` or ``(B, d, *S_f)`` in **world millimetres**; channel ``a`` is the
        world axis ``a`` (x, y[, z]); defined on the fixed grid.
    moving_affine, fixed_affine : array_like
        ``(d+1, d+1)`` voxel -> world matrices.
    transform : array_like or torch.Tensor, optional
        ``(d+1, d+1)`` world affine fixed -> moving applied after the displacement.
    mode, padding
        See the module docstring.

    Returns
    -------
    torch.Tensor
        Same layout as ``moving`` with the spatial shape of ``displacement``.
    """
    mode, padding = check_mode(mode), check_padding(padding)
    d = as_affine(fixed_affine, None, "fixed_affine").shape[0] - 1
    if displacement.ndim == d + 1:
        displacement = displacement[None]
    if displacement.ndim != d + 2 or displacement.shape[1] != d:
        raise ValueError(
            f"displacement must be ({d}, *S) or (B, {d}, *S) in world mm for a "
            f"{d}-D fixed_affine, got shape {tuple(displacement.shape)}."
        )
    img, squeeze = _batched(moving, d, "moving")
    vox, to_moving = _world_to_voxel_matrix(transform, moving_affine, fixed_affine, d, img)
    # moving voxel = inv(A_m) T (A_f x + u) = vox @ x + lin @ u
    lin = to_moving[..., :d, :d]
    shift = torch.einsum(
        "...ij,bj...->bi...", lin, displacement.to(device=img.device, dtype=vox.dtype)
    )
    batch = max(img.shape[0], shift.shape[0])
    grid = _grid(vox, img.shape[2:], tuple(displacement.shape[2:]), batch, shift=shift)
    out = _sample(img, grid, mode, padding)
    return out[0, 0] if squeeze else out


def resample(
    array,
    source_affine,
    target_affine,
    target_shape,
    transform=None,
    mode: str | None = None,
    padding: str = "zeros",
) -> np.ndarray:
    """NumPy convenience: resample an image or a label map onto another grid (world mm).

    Parameters
    ----------
    array : numpy.ndarray
        Spatial array ``S_src`` (2-D or 3-D). Integer / boolean arrays are label maps.
    source_affine, target_affine : array_like
        ``(d+1, d+1)`` voxel -> world (mm) matrices of the source and the target grid.
    target_shape : tuple of int
        Spatial shape of the result.
    transform : array_like, optional
        World affine target mm -> source mm (pull-back), e.g. a registration result.
    mode : {"linear", "nearest"}, optional
        Default ``"nearest"`` for integer/boolean arrays, ``"linear"`` otherwise.
    padding : {"zeros", "border", "reflection"}

    Returns
    -------
    numpy.ndarray
        ``target_shape``; same dtype as ``array`` for label maps, float64 otherwise.
    """
    arr = np.asarray(array)
    if mode is None:
        mode = "linear" if np.issubdtype(arr.dtype, np.floating) else "nearest"
    is_label = arr.dtype == bool or np.issubdtype(arr.dtype, np.integer)
    tensor = torch.from_numpy(arr.astype(np.int64 if is_label else np.float64))
    if is_label and mode != "nearest":
        tensor = tensor.double()
    out = warp_affine(
        tensor,
        source_affine,
        target_affine,
        tuple(target_shape),
        transform=transform,
        mode=mode,
        padding=padding,
    ).numpy()
    return out.astype(arr.dtype) if is_label and mode == "nearest" else out
