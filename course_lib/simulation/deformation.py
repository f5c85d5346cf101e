"""Random smooth invertible deformations: how each simulated subject differs from the template.

The true mapping from a subject voxel centre ``y`` (world mm, RAS) to template
space is

    t = A (y + u(y)),

with ``A`` a random affine (:func:`random_affine`) and ``u`` a smooth
displacement. ``u`` is a cubic B-spline (free-form deformation, Rueckert et al.
1999) whose coefficients sit on a control grid in world millimetres, so a seed
gives the same anatomy at 1 mm and 2 mm. Its coefficients come from a random
*stationary velocity field* integrated by scaling and squaring (Arsigny et al.
2006), which makes the map diffeomorphic in the continuum; the minimum Jacobian
determinant of ``y -> y + u(y)`` is then measured on a 2-mm lattice and the
field is shrunk if it were ever <= 0.05.

References
----------
Rueckert D, Sonoda LI, Hayes C, et al. Nonrigid registration using free-form
deformations: application to breast MR images. IEEE TMI 1999;18:712-721.
doi:10.1109/42.796284

Arsigny V, Commowick O, Pennec X, Ayache N. A Log-Euclidean framework for statistics on
diffeomorphisms. MICCAI 2006, LNCS 4190:924-931. doi:10.1007/11866565_113
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from course_lib.geometry import affine_matrix

__all__ = ["Deformation", "random_affine", "random_deformation", "bspline_weights"]

#: Ranges of the random affine (stated in the course text).
ROTATION_DEG, SCALING, TRANSLATION_MM = 10.0, 0.10, 10.0
NODE_SPACING_MM = 8.0
JACOBIAN_LATTICE_MM = 2.0
#: World bounding box (mm, RAS) covered by the control grid: the ICBM152 field of view.
FOV_MIN = np.array([-98.0, -134.0, -72.0])
FOV_MAX = np.array([98.0, 98.0, 116.0])


def bspline_weights(positions: np.ndarray, n_nodes: int, derivative: bool = False) -> np.ndarray:
    """Cubic B-spline weight matrix ``W[p, i] = beta3(positions[p] - i)`` (or its derivative).

    ``positions`` are in node units (0 = first node). Returns ``(P, n_nodes)`` float32.
    """
    t = positions[:, None] - np.arange(n_nodes)[None, :]
    a = np.abs(t)
    if not derivative:
        w = np.where(a < 1, 2.0 / 3.0 - a**2 + 0.5 * a**3, np.where(a < 2, (2 - a) ** 3 / 6, 0))
    else:
        inner = -2 * t + 1.5 * t * a
        w = np.where(a < 1, inner, np.where(a < 2, -0.5 * np.sign(t) * (2 - a) ** 2, 0))
    return w.astype(np.float32)


def _separable(coefficients: np.ndarray, wx: np.ndarray, wy: np.ndarray, wz: np.ndarray):
    out = np.tensordot(wx, coefficients, axes=(1, 0))  # (nx, gy, gz)
    out = np.tensordot(out, wy, axes=(1, 1))  # (nx, gz, ny)
    return np.tensordot(out, wz, axes=(1, 1))  # (nx, ny, nz)


@dataclass(frozen=True, eq=False)
class Deformation:
    """Subject -> template mapping ``t = A (y + u(y))`` (world mm, RAS).

    Attributes
    ----------
    affine : np.ndarray
        ``(4, 4)`` world -> world matrix ``A`` (the affine part of the mapping).
    coefficients : np.ndarray
        ``(3, Gx, Gy, Gz)`` float32 B-spline coefficients of ``u`` in mm.
    origin : np.ndarray
        ``(3,)`` world position (mm) of control node ``(0, 0, 0)``.
    node_spacing : float
        Control-node spacing in mm.
    """

    affine: np.ndarray
    coefficients: np.ndarray
    origin: np.ndarray
    node_spacing: float

    def _weights(self, shape, grid_affine, derivative_axis: int | None = None):
        grid_affine = np.asarray(grid_affine, dtype=np.float64)
        ws = []
        for a in range(3):
            world = grid_affine[a, a] * np.arange(shape[a]) + grid_affine[a, 3]
            pos = (world - self.origin[a]) / self.node_spacing
            w = bspline_weights(pos, self.coefficients.shape[a + 1], derivative_axis == a)
            if derivative_axis == a:
                w = w / np.float32(self.node_spacing)  # d/dworld = (1 / h) d/dposition
            ws.append(w)
        return ws

    def displacement(self, shape: tuple[int, int, int], grid_affine: np.ndarray) -> np.ndarray:
        """``u`` (mm) at each voxel centre of an axis-aligned grid, ``(3, X, Y, Z)`` float32."""
        wx, wy, wz = self._weights(shape, grid_affine)
        return np.stack([_separable(c, wx, wy, wz) for c in self.coefficients])

    def template_coords(self, shape: tuple[int, int, int], grid_affine: np.ndarray) -> np.ndarray:
        """Template world coordinates ``t`` (mm, RAS) of each voxel centre, ``(3, X, Y, Z)``."""
        u = self.displacement(shape, grid_affine)
        grid_affine = np.asarray(grid_affine, dtype=np.float64)
        axes = [grid_affine[a, a] * np.arange(shape[a]) + grid_affine[a, 3] for a in range(3)]
        p = [
            u[a] + axes[a].astype(np.float32).reshape([-1 if b == a else 1 for b in range(3)])
            for a in range(3)
        ]
        out = np.empty_like(u)
        for i in range(3):
            row = self.affine[i].astype(np.float32)
            out[i] = row[0] * p[0] + row[1] * p[1] + row[2] * p[2] + row[3]
        return out

    def jacobian_determinant(self, shape: tuple[int, int, int], grid_affine: np.ndarray):
        """``det(I + du/dy)`` of the non-linear part at each voxel centre, ``(X, Y, Z)``."""
        base = self._weights(shape, grid_affine)
        grad = np.empty((3, 3) + tuple(shape), dtype=np.float32)
        for b in range(3):  # derivative along world axis b
            ws = list(base)
            ws[b] = self._weights(shape, grid_affine, derivative_axis=b)[b]
            for a in range(3):
                grad[a, b] = _separable(self.coefficients[a], *ws)
        for a in range(3):
            grad[a, a] += 1.0
        j = grad
        return (
            j[0, 0] * (j[1, 1] * j[2, 2] - j[1, 2] * j[2, 1])
            - j[0, 1] * (j[1, 0] * j[2, 2] - j[1, 2] * j[2, 0])
            + j[0, 2] * (j[1, 0] * j[2, 1] - j[1, 1] * j[2, 0])
        )

    def min_jacobian(self) -> float:
        """Minimum Jacobian determinant of ``y -> y + u(y)`` on a 2-mm lattice over the FOV."""
        h = JACOBIAN_LATTICE_MM
        shape = tuple(int(n) for n in np.floor((FOV_MAX - FOV_MIN) / h) + 1)
        lattice = np.diag([h, h, h, 1.0])
        lattice[:3, 3] = FOV_MIN
        return float(self.jacobian_determinant(shape, lattice).min())


def random_affine(rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Random world -> world affine about the MNI origin (near the anterior commissure).

    The lecture's parameters (:mod:`course_lib.geometry`) are drawn uniformly:
    translations ``q1..q3`` in +-10 mm, rotations ``q4..q6`` in +-10 deg, zooms ``q7..q9``
    in 1 +- 0.10, no shear; all ranges are multiplied by ``strength``. Returns the
    ``(4, 4)`` float64 matrix ``T @ Rx @ Ry @ Rz @ Z`` of
    :func:`course_lib.geometry.affine_matrix`.
    """
    angles = np.deg2rad(rng.uniform(-ROTATION_DEG, ROTATION_DEG, 3) * strength)
    zooms = 1.0 + rng.uniform(-SCALING, SCALING, 3) * strength
    shift = rng.uniform(-TRANSLATION_MM, TRANSLATION_MM, 3) * strength
    return affine_matrix(np.r_[shift, angles, zooms, 0.0, 0.0, 0.0])


def _scaling_and_squaring(velocity: np.ndarray, steps: int = 6) -> np.ndarray:
    """Integrate a stationary velocity field sampled on the node grid (units: nodes)."""
    disp = velocity / 2.0**steps
    grid = np.indices(velocity.shape[1:], dtype=np.float64)
    for _ in range(steps):
        warped = [ndimage.map_coordinates(d, grid + disp, order=1, mode="nearest") for d in disp]
        disp = disp + np.stack(warped)
    return disp


def random_deformation(
    rng: np.random.Generator,
    strength: float = 1.0,
    radial_fields: tuple[tuple[np.ndarray, float, float], ...] = (),
) -> tuple[Deformation, float]:
    """Draw a random subject -> template deformation.

    Parameters
    ----------
    rng : np.random.Generator
        Source of randomness (the only one used).
    strength : float
        Scales both the affine ranges and the non-linear amplitude (RMS ~ 2.5 mm
        at 1.0); 0 gives the identity.
    radial_fields : tuple of (centre_mm, amplitude, sigma_mm)
        Extra local fields ``-amplitude (y - c) exp(-|y - c|^2 / (2 sigma^2))``
        that pull subject points towards ``c`` in template space: the tissue
        around ``c`` appears expanded (mass effect of a tumour). ``c`` is given
        in template world mm; amplitude < 0.5.

    Returns
    -------
    deformation : Deformation
    min_jacobian : float
        Minimum Jacobian determinant of the non-linear part (> 0).
    """
    if not strength >= 0:
        raise ValueError(f"deformation_strength must be >= 0, got {strength!r}.")
    affine = random_affine(rng, strength)
    shape = tuple(int(n) for n in np.ceil((FOV_MAX - FOV_MIN) / NODE_SPACING_MM) + 5)
    origin = FOV_MIN - 2 * NODE_SPACING_MM
    noise = rng.standard_normal((3,) + shape)
    velocity = np.stack([ndimage.gaussian_filter(n, 2.0, mode="wrap") for n in noise])
    rms = float(np.sqrt(np.mean(velocity**2))) or 1.0
    velocity *= 2.5 * strength / rms / NODE_SPACING_MM  # node units
    disp = _scaling_and_squaring(velocity) * NODE_SPACING_MM  # mm
    if radial_fields:
        nodes = [origin[a] + NODE_SPACING_MM * np.arange(shape[a]) for a in range(3)]
        grids = np.meshgrid(*nodes, indexing="ij")
        inverse = np.linalg.inv(affine)
        for centre, amplitude, sigma in radial_fields:
            c = inverse[:3, :3] @ np.asarray(centre, float) + inverse[:3, 3]
            offsets = [g - c[a] for a, g in enumerate(grids)]
            bump = np.exp(-sum(o**2 for o in offsets) / (2.0 * sigma**2))
            for a in range(3):
                disp[a] -= amplitude * offsets[a] * bump
    coefficients = disp.astype(np.float32)
    for _ in range(8):
        deformation = Deformation(affine, coefficients, origin, NODE_SPACING_MM)
        min_j = deformation.min_jacobian()
        if min_j > 0.05:
            return deformation, min_j
        coefficients = coefficients * np.float32(0.7)
    raise RuntimeError("Could not draw an invertible deformation; lower deformation_strength.")
