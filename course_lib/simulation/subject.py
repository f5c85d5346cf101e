"""One simulated subject: the template deformed, given pathology, and imaged by a center.

Pipeline of :func:`simulate_subject` (each step has its own seeded random stream,
so switching lesions on does not change the subject's anatomy or noise):

1. template-space tissue maps, optionally atrophied (:mod:`.atrophy`), with
   lesions (:mod:`.lesions`) and/or a tumour (:mod:`.tumors`);
2. a random deformation (:mod:`.deformation`): subject voxel ``y`` shows the
   template at ``t = A (y + u(y))``; every template map is resampled there
   (trilinear; regions nearest);
3. each contrast is "acquired" by the center (:mod:`.acquisition`);
4. raters delineate the lesions (:mod:`.raters`).

Subjects live on the template's voxel grid at the chosen resolution (same shape
and affine): only the content moves. All arrays are indexed ``(X, Y, Z)``
(voxel ``i, j, k``; RAS world axes, see ``affine``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence as SequenceType

import numpy as np
from scipy import ndimage

from .acquisition import acquire
from .anatomy import Anatomy, check_resolution, hard_labels, load_icbm152
from .atrophy import apply_atrophy
from .centers import get_center
from .deformation import Deformation, random_deformation
from .lesions import sample_lesions
from .mr_physics import CONTRASTS
from .raters import rater_profiles, simulate_raters
from .resample import warp_linear, warp_nearest
from .tumors import sample_tumor, tumor_labels

__all__ = ["Subject", "simulate_subject", "SIMULATION_VERSION", "RATER_POOL_SEED"]

#: Bump when a change alters simulated arrays (invalidates cohort caches).
SIMULATION_VERSION = "1.2"
#: Seed of the fixed pool of rater behaviours (rater k is the same person in every subject).
RATER_POOL_SEED = 20160921
_DEFORM, _LESION, _TUMOR, _RATERS, _ACQUIRE = range(5)


@dataclass(eq=False)
class Subject:
    """A simulated subject (arrays indexed ``(X, Y, Z)``, grid = template grid).

    Attributes
    ----------
    images : dict[str, np.ndarray]
        Contrast name -> float32 magnitude image (center's arbitrary units).
    tissue_probs : np.ndarray
        ``(3, X, Y, Z)`` float32 fractions of CSF, GM, WM in subject space
        (lesions count as WM; tumour compartments are excluded).
    labels : np.ndarray
        uint8 hard tissue labels: 0 background, 1 CSF, 2 GM, 3 WM.
    brain_mask : np.ndarray
        bool, total tissue fraction > 0.5.
    regions : np.ndarray
        uint8 coarse regions (codes into ``REGION_NAMES``), warped with nearest neighbour.
    lesion_mask : np.ndarray
        bool ground-truth lesions (all False when there are none).
    rater_masks : np.ndarray or None
        ``(K, X, Y, Z)`` bool delineations of K simulated raters.
    tumor_labels : np.ndarray or None
        uint8 BraTS labels (0 background, 1 necrotic/non-enhancing core, 2 oedema,
        4 enhancing).
    affine : np.ndarray
        ``(4, 4)`` voxel -> world (mm, RAS) of the grid.
    spacing : float
        Voxel size in mm.
    center : str
        Center key.
    seed : int
        Subject seed.
    deformation : Deformation
        True subject -> template mapping; see :attr:`template_coords`.
    min_jacobian : float
        Minimum Jacobian determinant of its non-linear part (> 0: invertible).
    meta : dict
        JSON-serialisable options, center parameters, lesion count/volume (mL),
        tumour and rater details.
    """

    images: dict[str, np.ndarray]
    tissue_probs: np.ndarray
    labels: np.ndarray
    brain_mask: np.ndarray
    regions: np.ndarray
    lesion_mask: np.ndarray
    rater_masks: np.ndarray | None
    tumor_labels: np.ndarray | None
    affine: np.ndarray
    spacing: float
    center: str
    seed: int
    deformation: Deformation
    min_jacobian: float
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Grid shape ``(X, Y, Z)``."""
        return tuple(self.labels.shape)  # type: ignore[return-value]

    def __repr__(self) -> str:
        raters = 0 if self.rater_masks is None else len(self.rater_masks)
        return (
            f"Subject(center={self.center!r}, seed={self.seed}, shape={self.shape}, "
            f"spacing={self.spacing:g} mm, contrasts={list(self.images)}, "
            f"lesions={self.meta.get('lesion_count', 0)} "
            f"({self.meta.get('lesion_volume_ml', 0.0):.2f} mL), raters={raters}, "
            f"tumor={self.tumor_labels is not None}, min_jacobian={self.min_jacobian:.3f})"
        )

    @property
    def template_coords(self) -> np.ndarray:
        """``(3, X, Y, Z)`` float32 template world coordinates (mm, RAS) of each voxel centre.

        The ground truth a registration to ICBM152 should recover. Computed on
        access (~20 ms at 2 mm) from :attr:`deformation` to keep subjects small.
        """
        return self.deformation.template_coords(self.shape, self.affine)

    @property
    def true_affine(self) -> np.ndarray:
        """``(4, 4)`` world -> world affine part ``A`` of the subject -> template mapping."""
        return self.deformation.affine

    def to_nifti(self, directory: str | Path) -> Path:
        """Write the subject as NIfTI files + ``subject.json`` in ``directory``."""
        from .subject_io import save_subject

        return save_subject(self, directory)

    @classmethod
    def from_nifti(cls, directory: str | Path) -> "Subject":
        """Read a subject written by :meth:`to_nifti`."""
        from .subject_io import load_subject

        return load_subject(directory)


def _check_options(seed, lesions_requested, n_raters, atrophy, contrasts):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    if isinstance(n_raters, bool) or not isinstance(n_raters, (int, np.integer)) or n_raters < 0:
        raise ValueError(f"n_raters must be a non-negative integer, got {n_raters!r}.")
    if n_raters and not lesions_requested:
        raise ValueError("n_raters > 0 needs lesions=True (raters delineate lesions).")
    if not 0.0 <= float(atrophy) <= 1.0:
        raise ValueError(f"atrophy must be in [0, 1], got {atrophy!r}.")
    contrasts = tuple(contrasts)
    bad = [c for c in contrasts if c not in CONTRASTS]
    if bad or not contrasts or len(set(contrasts)) != len(contrasts):
        raise ValueError(f"contrasts must be distinct names from {CONTRASTS}, got {contrasts!r}.")
    return contrasts


def simulate_subject(
    center: str = "siemens_verio_3t",
    seed: int = 0,
    resolution: int = 2,
    lesions: bool = False,
    n_raters: int = 0,
    tumor: bool = False,
    atrophy: float = 0.0,
    low_lesion_load: bool = False,
    contrasts: SequenceType[str] = ("T1w", "T2w", "PD", "FLAIR"),
    deformation_strength: float = 1.0,
) -> Subject:
    """Simulate one subject (deterministic given the arguments).

    Parameters
    ----------
    center : str
        Center key or MS-SEG number (see :data:`.centers.CENTERS`).
    seed : int
        Non-negative subject seed.
    resolution : int
        1 or 2 (mm); the subject lives on the ICBM152 grid of that resolution.
    lesions : bool
        Add MS-like WM lesions (``low_lesion_load=True`` implies lesions).
    n_raters : int
        Number of simulated expert delineations (needs lesions).
    tumor : bool
        Add a BraTS-like tumour with mass effect.
    atrophy : float
        0 (none) .. 1 (severe): enlarged ventricles, thinner cortex.
    low_lesion_load : bool
        0-2 tiny lesions (the hard MS-SEG cases).
    contrasts : sequence of str
        Subset of ``("T1w", "T2w", "PD", "FLAIR", "T1ce")``.
    deformation_strength : float
        Scales the random affine ranges and the non-linear amplitude (0 = identity).

    Returns
    -------
    Subject
    """
    center_obj = get_center(center)
    resolution = check_resolution(resolution)
    lesions = bool(lesions or low_lesion_load)
    contrasts = _check_options(seed, lesions, n_raters, atrophy, contrasts)
    seed = int(seed)
    anatomy: Anatomy = load_icbm152(resolution)
    meta: dict = {
        "simulation_version": SIMULATION_VERSION,
        "options": dict(
            center=center_obj.key,
            seed=seed,
            resolution=resolution,
            lesions=lesions,
            n_raters=int(n_raters),
            tumor=bool(tumor),
            atrophy=float(atrophy),
            low_lesion_load=bool(low_lesion_load),
            contrasts=list(contrasts),
            deformation_strength=float(deformation_strength),
        ),
        "center_parameters": center_obj.to_dict(),
    }

    # 1. Template-space maps.
    probs, regions_t = apply_atrophy(anatomy, float(atrophy))
    lesion_t = tumor_t = None
    radial = ()
    if lesions:
        lesion_t, drawn = sample_lesions(
            anatomy, np.random.default_rng([seed, _LESION]), low_load=bool(low_lesion_load)
        )
        meta["lesions_drawn"] = drawn
    if tumor:
        tumor_t, info = sample_tumor(anatomy, np.random.default_rng([seed, _TUMOR]))
        meta["tumor"] = info
        radial = ((np.array(info["centre_mm"]), info["mass_effect"], info["radius_mm"]),)

    # 2. Deformation and resampling into subject space.
    deformation, min_jac = random_deformation(
        np.random.default_rng([seed, _DEFORM]), float(deformation_strength), radial
    )
    coords = deformation.template_coords(anatomy.shape, anatomy.affine)
    for a in range(3):  # world mm -> template voxel index (axis-aligned template affine)
        coords[a] -= np.float32(anatomy.affine[a, 3])
        coords[a] /= np.float32(anatomy.affine[a, a])
    names = ["csf", "gm", "wm"]
    channels = list(probs)
    if lesion_t is not None:
        names.append("lesion")
        channels.append(lesion_t)
    if tumor_t is not None:
        names += ["necrosis", "edema", "enhancing"]
        channels += list(tumor_t)
    fractions = warp_linear(np.stack(channels), coords)  # (C, X, Y, Z) in subject space
    del channels, probs
    regions = warp_nearest(regions_t, coords)
    del coords
    if len(names) > 3:  # pathology replaces normal tissue
        scale = np.clip(1.0 - fractions[3:].sum(0), 0.0, 1.0)
        fractions[:3] *= scale
        del scale
    lesion = fractions[3] if lesion_t is not None else None
    tumor_s = fractions[-3:] if tumor_t is not None else None

    # 3. Acquisition.
    brain_mask = fractions.sum(0) > 0.5
    images = {
        c: acquire(
            fractions,
            names,
            center_obj,
            c,
            np.random.default_rng([seed, _ACQUIRE, CONTRASTS.index(c)]),
            brain_mask=brain_mask,
            spacing=anatomy.spacing,
        )
        for c in contrasts
    }

    # 4. Labels, lesions, raters.
    tissue_probs = fractions[:3].copy() if len(names) > 3 else fractions
    if lesion is not None:
        tissue_probs[2] += lesion
    csf, gm, wm = tissue_probs
    labels = hard_labels(csf, gm, wm, brain_mask)
    regions[~brain_mask] = 0
    lesion_mask = lesion > 0.5 if lesion is not None else np.zeros(anatomy.shape, dtype=bool)
    voxel_ml = anatomy.spacing**3 / 1000.0
    meta["lesion_count"] = int(ndimage.label(lesion_mask)[1]) if lesion is not None else 0
    meta["lesion_volume_ml"] = round(float(lesion_mask.sum()) * voxel_ml, 4)
    rater_masks = None
    if n_raters:
        profiles = rater_profiles(int(n_raters), np.random.default_rng(RATER_POOL_SEED))
        rater_masks = simulate_raters(
            lesion, labels == 3, profiles, np.random.default_rng([seed, _RATERS]), anatomy.spacing
        )
        meta["raters"] = profiles
        meta["rater_volumes_ml"] = [round(float(m.sum()) * voxel_ml, 4) for m in rater_masks]
    t_labels = tumor_labels(tumor_s) if tumor_s is not None else None
    meta["min_jacobian"] = round(min_jac, 4)
    del fractions
    return Subject(
        images=images,
        tissue_probs=tissue_probs.astype(np.float32, copy=False),
        labels=labels,
        brain_mask=brain_mask,
        regions=regions,
        lesion_mask=lesion_mask,
        rater_masks=rater_masks,
        tumor_labels=t_labels,
        affine=anatomy.affine.copy(),
        spacing=anatomy.spacing,
        center=center_obj.key,
        seed=seed,
        deformation=deformation,
        min_jacobian=min_jac,
        meta=meta,
    )
