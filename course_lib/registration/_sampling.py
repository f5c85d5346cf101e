"""Pyramid levels and metric sampling for the registration loops (private).

A :class:`LevelSampler` holds the fixed voxels the metric looks at on one pyramid level
(all of them, or a random subset drawn once per level) and, for a world matrix ``M``
(fixed mm -> moving mm), returns the fixed intensities, the moving intensities at the
transformed positions and the in-bounds mask, with autograd through ``M``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from course_lib.registration.pyramid import image_pyramid
from course_lib.registration.warp import _norm_matrix, voxel_grid


def prepare_levels(
    fixed: np.ndarray,
    f_aff: np.ndarray,
    moving: np.ndarray,
    m_aff: np.ndarray,
    factors,
    sigmas,
    device,
    fixed_mask=None,
) -> list[dict]:
    """Gaussian pyramids of both images (float32 tensors on ``device``) and their affines."""

    def tensor(a):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32, device=device)[
            None, None
        ]

    fp = image_pyramid(np.asarray(fixed, dtype=np.float32), f_aff, factors, sigmas)
    mp = image_pyramid(np.asarray(moving, dtype=np.float32), m_aff, factors, sigmas)
    levels = []
    for (f_img, f_a), (m_img, m_a), fac in zip(fp, mp, factors):
        f_img, m_img = tensor(f_img), tensor(m_img)
        mask = None
        if fixed_mask is not None:
            full = np.asarray(fixed_mask, dtype=bool)
            if full.shape != fixed.shape:
                raise ValueError(
                    f"fixed_mask has shape {full.shape} but fixed is "
                    f"{fixed.shape}; give a mask on the fixed grid."
                )
            index = (slice(None, None, fac),) * fixed.ndim
            mask = torch.as_tensor(full[index], device=device)
        levels.append(
            {
                "fixed": f_img,
                "fixed_affine": f_a,
                "moving": m_img,
                "moving_affine": m_a,
                "mask": mask,
            }
        )
    return levels


class LevelSampler:
    """Metric inputs on one pyramid level.

    Parameters
    ----------
    level : dict
        One entry of :func:`prepare_levels`.
    sampling : float
        Fraction of (masked) fixed voxels to use, drawn once with ``rng``.
    rng : numpy.random.Generator
    keep_grid : bool
        Return whole images ``(1, 1, *S)`` (local metrics) instead of point vectors.
    stride : int
        Keep only the voxels whose indices are all multiples of ``stride`` (a regular,
        deterministic subset, before any random ``sampling``); 1 keeps all.
    """

    def __init__(
        self,
        level: dict,
        sampling: float,
        rng: np.random.Generator,
        keep_grid: bool = False,
        stride: int = 1,
    ):
        if not 0 < sampling <= 1:
            raise ValueError(f"sampling must be in (0, 1], got {sampling}.")
        if stride < 1 or (keep_grid and stride > 1):
            raise ValueError(f"stride must be >= 1 (and 1 with keep_grid), got {stride}.")
        fixed = level["fixed"]
        shape = tuple(fixed.shape[2:])
        self.d = len(shape)
        self.shape = shape
        self.keep_grid = keep_grid
        dev = fixed.device
        pts = voxel_grid(shape, torch.float32, dev).reshape(self.d, -1).T
        vals = fixed.reshape(-1)
        self.grid_mask = None
        if keep_grid:
            self.grid_mask = None if level["mask"] is None else level["mask"].to(torch.float32)
        else:
            keep = torch.ones(vals.numel(), dtype=torch.bool, device=dev)
            if level["mask"] is not None:
                keep = level["mask"].reshape(-1)
            if stride > 1:
                on_grid = (pts.round().long() % stride == 0).all(dim=1)
                keep = keep & on_grid
            idx = torch.nonzero(keep).reshape(-1)
            if sampling < 1:
                n = max(16, int(round(sampling * idx.numel())))
                choice = rng.choice(idx.numel(), size=min(n, idx.numel()), replace=False)
                idx = idx[torch.as_tensor(np.sort(choice), device=dev)]
            pts, vals = pts[idx], vals[idx]
        self.points = pts
        self.fixed_values = fixed if keep_grid else vals
        self.moving = level["moving"]
        in_shape = tuple(self.moving.shape[2:])
        norm = _norm_matrix(in_shape, torch.float64, dev)
        rev = list(range(self.d - 1, -1, -1)) + [self.d]  # grid_sample wants x = last axis
        m_inv = torch.as_tensor(
            np.linalg.inv(level["moving_affine"]), dtype=torch.float64, device=dev
        )
        self.left = (norm @ m_inv)[rev]  # moving world -> normalised, reversed order
        self.right = torch.as_tensor(level["fixed_affine"], dtype=torch.float64, device=dev)

    def __call__(self, world: torch.Tensor, displacement: torch.Tensor | None = None):
        """Fixed values, moving values at ``world(x + u(x))``, in-bounds mask.

        ``world`` is the ``(d+1, d+1)`` world matrix fixed mm -> moving mm; the optional
        ``displacement`` ``u`` is ``(1, d, *S)`` in voxels of this level's fixed grid
        (only with ``keep_grid=True``, where the points are all voxels in C order).
        """
        d = self.d
        g_mat = (self.left @ world.to(torch.float64) @ self.right).to(torch.float32)
        pts = self.points
        if displacement is not None:
            if not self.keep_grid:
                raise ValueError("a displacement needs a LevelSampler with keep_grid=True.")
            pts = pts + displacement.reshape(d, -1).T
        g = torch.addmm(g_mat[:d, d], pts, g_mat[:d, :d].T)
        inside = (g.detach().abs() <= 1.0).all(dim=1).to(torch.float32)
        grid = g.reshape(1, -1, *([1] * (d - 1)), d)
        moved = F.grid_sample(
            self.moving, grid, mode="bilinear", padding_mode="zeros", align_corners=True
        ).reshape(-1)
        if not self.keep_grid:
            return self.fixed_values, moved, inside
        shape = (1, 1) + self.shape
        mask = inside.reshape(shape)
        if self.grid_mask is not None:
            mask = mask * self.grid_mask.reshape(shape)
        return self.fixed_values, moved.reshape(shape), mask
