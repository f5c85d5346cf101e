"""BraTS-like brain tumours, drawn in template space.

A tumour is three nested, irregular compartments around a centre in cerebral
white matter: a necrotic core, an enhancing rim and peritumoral oedema that
spreads mainly through white matter. Labels follow the BraTS convention
(Menze et al. 2015; Bakas et al. 2017): 0 background, 1 necrotic / non-enhancing
core, 2 oedema, 4 enhancing tumour. Mass effect is produced by the subject's
deformation (a radial field around the tumour, see
:func:`.deformation.random_deformation`), so the true mapping to the template
includes it.

Sizes (illustrative): enhancing outer radius 12-22 mm, core 40-70 % of it,
oedema 1.6-2.4x it (restricted mostly to WM); radii modulated by +-15 % smooth noise.

References
----------
Menze BH, Jakab A, Bauer S, et al. The Multimodal Brain Tumor Image Segmentation
Benchmark (BRATS). IEEE TMI 2015;34:1993-2024. doi:10.1109/TMI.2014.2377694

Bakas S, Akbari H, Sotiras A, et al. Advancing The Cancer Genome Atlas glioma MRI
collections with expert segmentation labels and radiomic features. Sci Data
2017;4:170117. doi:10.1038/sdata.2017.117
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .anatomy import Anatomy

__all__ = ["TUMOR_COMPARTMENTS", "BRATS_LABELS", "sample_tumor", "tumor_labels"]

#: Compartment names, in the order of the fraction channels returned by :func:`sample_tumor`.
TUMOR_COMPARTMENTS: tuple[str, ...] = ("necrosis", "edema", "enhancing")
#: BraTS label of each compartment.
BRATS_LABELS: tuple[int, ...] = (1, 2, 4)


def _ramp(distance_inside_mm: np.ndarray, spacing: float) -> np.ndarray:
    return np.clip(0.5 + distance_inside_mm / spacing, 0.0, 1.0)


def sample_tumor(anatomy: Anatomy, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Draw one tumour on the template grid.

    Returns
    -------
    fractions : np.ndarray
        ``(3, X, Y, Z)`` float32 fractions of necrosis, oedema and enhancing tumour
        (sum <= the template brain fraction).
    info : dict
        ``centre_mm`` (template world, RAS), ``radius_mm`` (enhancing outer radius),
        ``core_radius_mm``, ``edema_radius_mm``, ``mass_effect`` (radial amplitude).
    """
    cerebrum = np.isin(anatomy.regions, (1, 2, 3, 4)) & (anatomy.wm > 0.8)
    depth_ok = cerebrum & (anatomy.ventricle_distance > 8.0)
    candidates = np.flatnonzero(depth_ok if depth_ok.any() else cerebrum)
    index = np.unravel_index(int(rng.choice(candidates)), anatomy.shape)
    centre = anatomy.affine[:3, :3] @ np.array(index, float) + anatomy.affine[:3, 3]
    radius = float(rng.uniform(12.0, 22.0))
    core = radius * float(rng.uniform(0.4, 0.7))
    edema = radius * float(rng.uniform(1.6, 2.4))
    spacing = anatomy.spacing

    reach = edema * 1.2 + 2 * spacing
    lo = np.maximum(np.floor(np.array(index) - reach / spacing).astype(int), 0)
    hi = np.minimum(np.ceil(np.array(index) + reach / spacing).astype(int) + 1, anatomy.shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
    axes = [
        anatomy.affine[a, a] * np.arange(lo[a], hi[a]) + anatomy.affine[a, 3] - centre[a]
        for a in range(3)
    ]
    grid = np.meshgrid(*axes, indexing="ij")
    distance = np.sqrt(sum(g**2 for g in grid))
    wobble = ndimage.gaussian_filter(rng.standard_normal(distance.shape), 6.0 / spacing)
    wobble /= float(wobble.std()) or 1.0
    distance = distance * (1.0 + 0.15 * wobble)  # irregular, non-spherical outline

    brain = np.clip(anatomy.gm[box] + anatomy.wm[box] + anatomy.csf[box], 0.0, 1.0)
    inside_core = _ramp(core - distance, spacing)
    inside_tumor = _ramp(radius - distance, spacing)
    inside_edema = _ramp(edema - distance, spacing)
    white = np.clip(1.3 * (anatomy.wm[box] + 0.5 * anatomy.gm[box]), 0.0, 1.0)  # spreads in WM
    fractions = np.zeros((3,) + anatomy.shape, dtype=np.float32)
    fractions[0][box] = inside_core * brain
    fractions[2][box] = (inside_tumor - inside_core) * brain
    fractions[1][box] = (inside_edema - inside_tumor) * white * brain
    info = {
        "centre_mm": centre.round(2).tolist(),
        "radius_mm": round(radius, 2),
        "core_radius_mm": round(core, 2),
        "edema_radius_mm": round(edema, 2),
        "mass_effect": round(float(rng.uniform(0.15, 0.3)), 3),
    }
    return fractions, info


def tumor_labels(fractions: np.ndarray) -> np.ndarray:
    """BraTS labels from ``(3, X, Y, Z)`` compartment fractions (subject space).

    A voxel is tumour where the compartments together fill >= 50 % of it; its
    label is that of the largest compartment. Returns ``(X, Y, Z)`` uint8.
    """
    total = fractions.sum(0)
    labels = np.asarray(BRATS_LABELS, dtype=np.uint8)[np.argmax(fractions, axis=0)]
    labels[total < 0.5] = 0
    return labels
