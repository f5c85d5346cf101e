"""Geometry: the lecture's 12-parameter affine transform (chapters 03a/03b), the one affine
convention of the whole course.

Registration estimates these parameters (:mod:`course_lib.registration`); the data
simulator draws them to place each simulated head (:mod:`course_lib.simulation.deformation`);
data augmentation draws them to rotate and zoom training samples
(:mod:`course_lib.augmentation.affine`). All three build their matrices here, so that a
rotation ``q4`` means the same thing everywhere.

The lecture ("Transformation Affine") composes a 3-D affine matrix from twelve
parameters as a product of six homogeneous 4x4 matrices, read left to right::

    A(q) = T(q1, q2, q3) @ Rx(q4) @ Ry(q5) @ Rz(q6) @ Z(q7, q8, q9) @ S(q10, q11, q12)

with (``c = cos``, ``s = sin``, angles in radians)::

    Rx = [[1, 0, 0], [0, c, s], [0, -s, c]]
    Ry = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    Rz = [[c, s, 0], [-s, c, 0], [0, 0, 1]]
    Z  = diag(q7, q8, q9)
    S  = [[1, q10, q11], [0, 1, q12], [0, 0, 1]]

These are the sign conventions of SPM's ``spm_matrix`` (Friston et al. 1995); note that
``Rx`` and ``Rz`` turn the other way from the textbook right-handed rotations.

In 2-D the analogue has six parameters ``(tx, ty, angle, zx, zy, shear)``::

    A(p) = T(tx, ty) @ R(angle) @ Z(zx, zy) @ S(shear),
    R = [[c, s], [-s, c]],  S = [[1, shear], [0, 1]]

(``R`` is the lecture's ``Rz`` restricted to the plane).

Coordinate convention
---------------------
A matrix built here acts on **world coordinates in millimetres** (RAS+, as in NIfTI):
``y = A @ [x, y, z, 1]``. Images carry their own voxel-to-world matrix (the NIfTI
``affine``: ``world = image_affine @ [i, j, k, 1]`` with ``i, j, k`` the array indices);
the warping functions of :mod:`course_lib.registration.warp` combine the two. Nothing in
this file knows about voxels.

References
----------
.. [1] Friston KJ, Ashburner J, Frith CD, Poline JB, Heather JD, Frackowiak RSJ (1995).
   Spatial registration and normalization of images. Human Brain Mapping 3(3):165-189.
   https://doi.org/10.1002/hbm.460030303
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "affine_matrix",
    "affine_matrix_torch",
    "decompose_affine",
    "identity_params",
    "apply_affine",
    "linear_part",
]

_N_PARAMS = {3: 12, 2: 6}


def identity_params(ndim: int = 3) -> np.ndarray:
    """Return the parameters of the identity transform (zooms 1, everything else 0).

    Parameters
    ----------
    ndim : int
        Spatial dimension, 3 (12 parameters) or 2 (6 parameters).

    Returns
    -------
    numpy.ndarray
        Shape ``(12,)`` or ``(6,)``, float64.
    """
    if ndim == 3:
        return np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0], dtype=np.float64)
    if ndim == 2:
        return np.array([0, 0, 0, 1, 1, 0], dtype=np.float64)
    raise ValueError(f"ndim must be 2 or 3, got {ndim!r}.")


def _ndim_from_count(n: int, name: str = "params") -> int:
    for ndim, count in _N_PARAMS.items():
        if n == count:
            return ndim
    raise ValueError(
        f"{name} must hold 12 parameters (3-D: q1..q12) or 6 (2-D: tx, ty, angle, zx, zy, "
        f"shear) in its last axis, got {n}. Use identity_params(ndim) as a starting point."
    )


def affine_matrix_torch(params: torch.Tensor) -> torch.Tensor:
    """Differentiable version of :func:`affine_matrix` for use inside autograd.

    Parameters
    ----------
    params : torch.Tensor
        Shape ``(..., 12)`` (3-D) or ``(..., 6)`` (2-D), any leading batch shape;
        translations in mm, angles in radians, zooms and shears unitless.

    Returns
    -------
    torch.Tensor
        Shape ``(..., 4, 4)`` or ``(..., 3, 3)``, same dtype and device as ``params``;
        gradients flow back to ``params``.
    """
    if not isinstance(params, torch.Tensor):
        raise TypeError(
            f"params must be a torch.Tensor, got {type(params).__name__}; "
            "use affine_matrix() for NumPy input."
        )
    ndim = _ndim_from_count(params.shape[-1])
    p = params.unbind(-1)
    one, zero = torch.ones_like(p[0]), torch.zeros_like(p[0])

    def mat(rows):
        return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)

    if ndim == 2:
        tx, ty, ang, zx, zy, sh = p
        c, s = torch.cos(ang), torch.sin(ang)
        t = mat([[one, zero, tx], [zero, one, ty], [zero, zero, one]])
        r = mat([[c, s, zero], [-s, c, zero], [zero, zero, one]])
        z = mat([[zx, zero, zero], [zero, zy, zero], [zero, zero, one]])
        shear = mat([[one, sh, zero], [zero, one, zero], [zero, zero, one]])
        return t @ r @ z @ shear
    c4, s4 = torch.cos(p[3]), torch.sin(p[3])
    c5, s5 = torch.cos(p[4]), torch.sin(p[4])
    c6, s6 = torch.cos(p[5]), torch.sin(p[5])
    t = mat(
        [
            [one, zero, zero, p[0]],
            [zero, one, zero, p[1]],
            [zero, zero, one, p[2]],
            [zero, zero, zero, one],
        ]
    )
    rx = mat(
        [
            [one, zero, zero, zero],
            [zero, c4, s4, zero],
            [zero, -s4, c4, zero],
            [zero, zero, zero, one],
        ]
    )
    ry = mat(
        [
            [c5, zero, s5, zero],
            [zero, one, zero, zero],
            [-s5, zero, c5, zero],
            [zero, zero, zero, one],
        ]
    )
    rz = mat(
        [
            [c6, s6, zero, zero],
            [-s6, c6, zero, zero],
            [zero, zero, one, zero],
            [zero, zero, zero, one],
        ]
    )
    z = mat(
        [
            [p[6], zero, zero, zero],
            [zero, p[7], zero, zero],
            [zero, zero, p[8], zero],
            [zero, zero, zero, one],
        ]
    )
    shear = mat(
        [
            [one, p[9], p[10], zero],
            [zero, one, p[11], zero],
            [zero, zero, one, zero],
            [zero, zero, zero, one],
        ]
    )
    return t @ rx @ ry @ rz @ z @ shear


def affine_matrix(params) -> np.ndarray:
    """Build the homogeneous affine matrix from the lecture's parameters.

    Parameters
    ----------
    params : array_like
        12 numbers ``q1..q12`` for 3-D: translation ``q1..q3`` (mm), rotations about x, y,
        z ``q4..q6`` (radians), zooms ``q7..q9``, shears ``q10..q12``; or 6 numbers for
        2-D: ``(tx, ty, angle, zx, zy, shear)``. A leading batch shape is allowed.

    Returns
    -------
    numpy.ndarray
        ``(..., 4, 4)`` (3-D) or ``(..., 3, 3)`` (2-D), float64, equal to
        ``T @ Rx @ Ry @ Rz @ Z @ S`` (see the module docstring). It maps world
        coordinates (mm) to world coordinates (mm).

    Examples
    --------
    >>> np.allclose(affine_matrix(identity_params(3)), np.eye(4))
    True
    """
    arr = np.asarray(params, dtype=np.float64)
    if arr.ndim == 0:
        raise ValueError(
            f"params must be a sequence of 12 (3-D) or 6 (2-D) numbers, got the scalar {params!r}."
        )
    return affine_matrix_torch(torch.from_numpy(arr.copy())).numpy()


def _rotation_angles(r: np.ndarray) -> tuple[float, float, float]:
    """Angles ``(q4, q5, q6)`` with ``r = Rx(q4) @ Ry(q5) @ Rz(q6)`` (lecture signs).

    Expanding the product gives ``r[0, 2] = sin q5``, ``r[0, :2] = cos q5 (cos q6,
    sin q6)`` and ``r[1:, 2] = cos q5 (sin q4, cos q4)``.
    """
    q5 = math.asin(float(np.clip(r[0, 2], -1.0, 1.0)))
    if abs(math.cos(q5)) > 1e-8:
        q4 = math.atan2(r[1, 2], r[2, 2])
        q6 = math.atan2(r[0, 1], r[0, 0])
    else:  # gimbal lock: only q4 -/+ q6 is defined; put it all in q4
        q6 = 0.0
        q4 = math.atan2(-r[2, 1], r[1, 1])
    return q4, q5, q6


def decompose_affine(matrix) -> np.ndarray:
    """Recover the lecture's parameters from an affine matrix (inverse of affine_matrix).

    The linear part ``L = R @ U`` is split by a QR decomposition into a rotation ``R``
    and an upper-triangular ``U = Z @ S`` (zooms on its diagonal, shears above it).

    Conventions that make the answer unique:

    * zooms ``q8, q9`` (3-D) / ``zy`` (2-D) are > 0; the first zoom (``q7`` / ``zx``)
      carries the sign of ``det(L)``, so it is negative only for a reflection;
    * 3-D angles: ``q5`` in ``[-pi/2, pi/2]``, ``q4`` and ``q6`` in ``(-pi, pi]``;
      at gimbal lock (``|q5| = pi/2``) ``q6`` is set to 0;
    * 2-D angle in ``(-pi, pi]``.

    With these, ``affine_matrix(decompose_affine(A))`` equals ``A`` (to rounding) for
    every invertible affine ``A``, and ``decompose_affine(affine_matrix(q))`` equals
    ``q`` whenever ``q`` itself follows the conventions.

    Parameters
    ----------
    matrix : array_like
        ``(4, 4)`` (3-D) or ``(3, 3)`` (2-D) homogeneous affine, last row ``[0, .., 0, 1]``.

    Returns
    -------
    numpy.ndarray
        ``(12,)`` or ``(6,)`` float64 parameters (translations in mm, angles in radians).

    Raises
    ------
    ValueError
        If the matrix has the wrong shape, a last row other than ``[0, ..., 0, 1]``, or a
        singular linear part (zero zoom).
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape not in ((4, 4), (3, 3)):
        raise ValueError(f"matrix must be (4, 4) for 3-D or (3, 3) for 2-D, got {m.shape}.")
    d = m.shape[0] - 1
    bottom = np.zeros(d + 1)
    bottom[-1] = 1.0
    if not np.allclose(m[d], bottom, atol=1e-9):
        raise ValueError(
            f"matrix last row must be {bottom.tolist()}, got {m[d].tolist()}; "
            "is it a homogeneous affine (not a projective matrix)?"
        )
    lin = m[:d, :d]
    if abs(np.linalg.det(lin)) < 1e-12:
        raise ValueError(
            "matrix has a singular linear part (a zoom is 0); it cannot be "
            "decomposed into rotation, zoom and shear."
        )
    q, u = np.linalg.qr(lin)
    signs = np.sign(np.diag(u))  # make diag(U) > 0 -> unique QR
    q, u = q * signs, u * signs[:, None]
    if np.linalg.det(q) < 0:  # reflection: move it into the first zoom
        flip = np.ones(d)
        flip[0] = -1.0
        q, u = q * flip, u * flip[:, None]
    zooms = np.diag(u).copy()
    shear = u / zooms[:, None]
    trans = m[:d, d]
    if d == 2:
        angle = math.atan2(q[0, 1], q[0, 0])
        return np.array([trans[0], trans[1], angle, zooms[0], zooms[1], shear[0, 1]])
    q4, q5, q6 = _rotation_angles(q)
    return np.array([*trans, q4, q5, q6, *zooms, shear[0, 1], shear[0, 2], shear[1, 2]])


def apply_affine(matrix, points) -> np.ndarray:
    """Apply a homogeneous affine to points.

    Parameters
    ----------
    matrix : array_like
        ``(d+1, d+1)`` homogeneous matrix (``d`` = 2 or 3).
    points : array_like
        ``(N, d)`` (or ``(d,)``) coordinates, in the units the matrix expects (world mm
        for the matrices of this module, voxel indices for an image's voxel-to-world
        affine).

    Returns
    -------
    numpy.ndarray
        Transformed points, same shape as ``points``, float64.
    """
    m = np.asarray(matrix, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64)
    d = m.shape[0] - 1
    if m.shape != (d + 1, d + 1) or pts.shape[-1] != d:
        raise ValueError(
            f"points must have {d} coordinates in their last axis to match a "
            f"{m.shape} matrix, got points of shape {pts.shape}."
        )
    return pts @ m[:d, :d].T + m[:d, d]


def linear_part(rotation_rad=0.0, zoom=1.0, shear=0.0, ndim: int = 3) -> np.ndarray:
    """The rotation-zoom-shear block ``R @ Z @ S`` of :func:`affine_matrix`, without translation.

    Parameters
    ----------
    rotation_rad : float or sequence of float
        One angle (2-D) or the three angles ``q4, q5, q6`` about x, y, z (3-D), in radians,
        with the lecture's signs.
    zoom : float or sequence of float
        One factor for every axis, or one per axis.
    shear : float or sequence of float
        2-D: one shear; 3-D: ``q10, q11, q12`` (a single number is used for all three).
    ndim : int
        2 or 3.

    Returns
    -------
    numpy.ndarray
        ``(ndim, ndim)`` float64, equal to ``affine_matrix(q)[:ndim, :ndim]`` for the
        corresponding parameters ``q``.

    Examples
    --------
    >>> q = identity_params(3); q[3:6] = 0.1, -0.2, 0.3; q[6:9] = 1.1
    >>> np.allclose(linear_part((0.1, -0.2, 0.3), 1.1), affine_matrix(q)[:3, :3])
    True
    """
    if ndim not in (2, 3):
        raise ValueError(f"ndim must be 2 or 3, got {ndim!r}.")
    n_angles, n_shears = (1, 1) if ndim == 2 else (3, 3)

    def values(value, count, name):
        arr = np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()
        if arr.size == 1:
            arr = np.repeat(arr, count)
        if arr.size != count:
            raise ValueError(f"{name} needs 1 or {count} values for {ndim}-D, got {arr.size}.")
        return arr

    q = identity_params(ndim)
    if ndim == 2:
        q[2] = values(rotation_rad, 1, "rotation_rad")[0]
        q[3:5] = values(zoom, 2, "zoom")
        q[5] = values(shear, 1, "shear")[0]
    else:
        q[3:6] = values(rotation_rad, n_angles, "rotation_rad")
        q[6:9] = values(zoom, 3, "zoom")
        q[9:12] = values(shear, n_shears, "shear")
    return affine_matrix(q)[:ndim, :ndim]
