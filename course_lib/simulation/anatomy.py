"""Real brain anatomy, offline: the ICBM152 2009 template shipped inside nilearn.

The simulator starts from a real anatomical model, the way BrainWeb does
(Collins et al. 1998): the ICBM152 non-linear symmetric 2009 T1 template with
its grey- and white-matter probability maps (Fonov et al. 2011). nilearn ships
them at 1 mm; ``resolution=2`` resamples them to 2 mm. No CSF map ships, so CSF
is derived as ``clip(brain_mask - GM - WM, 0, 1)``.

References
----------
Fonov V, Evans AC, Botteron K, Almli CR, McKinstry RC, Collins DL. Unbiased
average age-appropriate atlases for pediatric studies. NeuroImage 2011;54:313-327.
doi:10.1016/j.neuroimage.2010.07.033

Collins DL, Zijdenbos AP, Kollokian V, et al. Design and construction of a
realistic digital brain phantom. IEEE TMI 1998;17:463-468. doi:10.1109/42.712135
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from .regions import REGION_NAMES, parcellate, periventricular_mask

__all__ = ["Anatomy", "load_icbm152", "ALLOWED_RESOLUTIONS", "check_resolution", "hard_labels"]

#: Template resolutions (mm) that nilearn provides offline.
ALLOWED_RESOLUTIONS: tuple[int, ...] = (1, 2)


@dataclass(frozen=True, eq=False)
class Anatomy:
    """The ICBM152 template on one voxel grid (arrays are read-only).

    Every array is indexed ``(X, Y, Z)`` = voxel ``(i, j, k)``; ``affine`` maps
    voxel indices to world coordinates in mm (MNI space, RAS+). At 2 mm the grid
    is 99 x 117 x 95, at 1 mm 197 x 233 x 189.

    Attributes
    ----------
    t1 : np.ndarray
        float32 real ICBM152 T1-weighted template intensities (0..1).
    gm, wm, csf : np.ndarray
        float32 tissue probability maps in [0, 1]; ``csf = clip(mask - gm - wm, 0)``.
    mask : np.ndarray
        bool brain mask.
    labels : np.ndarray
        uint8 hard labels: 0 background, 1 CSF, 2 GM, 3 WM (argmax inside ``mask``).
    regions : np.ndarray
        uint8 coarse parcellation, codes into :data:`REGION_NAMES`.
    ventricle_distance : np.ndarray
        float32 distance in mm to the nearest ventricle voxel.
    affine : np.ndarray
        ``(4, 4)`` float64 voxel -> world (mm, RAS) matrix.
    spacing : float
        Isotropic voxel size in mm.
    """

    t1: np.ndarray
    gm: np.ndarray
    wm: np.ndarray
    csf: np.ndarray
    mask: np.ndarray
    labels: np.ndarray
    regions: np.ndarray
    ventricle_distance: np.ndarray
    affine: np.ndarray
    spacing: float

    @property
    def shape(self) -> tuple[int, int, int]:
        """Grid shape ``(X, Y, Z)`` in voxels."""
        return tuple(self.t1.shape)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Anatomy(ICBM152 2009, shape={self.shape}, spacing={self.spacing:g} mm)"

    @property
    def resolution(self) -> int:
        """Voxel size in mm as an integer (1 or 2)."""
        return int(round(self.spacing))

    @property
    def tissue_probs(self) -> np.ndarray:
        """``(3, X, Y, Z)`` float32 stack of the CSF, GM and WM probabilities."""
        return np.stack([self.csf, self.gm, self.wm])

    def periventricular_wm(self, max_distance_mm: float = 10.0) -> np.ndarray:
        """``(X, Y, Z)`` bool mask of WM within ``max_distance_mm`` of the ventricles."""
        return periventricular_mask(self.labels, self.ventricle_distance, max_distance_mm)

    def region_mask(self, name: str) -> np.ndarray:
        """``(X, Y, Z)`` bool mask of one region of :data:`REGION_NAMES`."""
        if name not in REGION_NAMES:
            raise ValueError(f"Unknown region {name!r}; allowed: {', '.join(REGION_NAMES)}.")
        return self.regions == REGION_NAMES.index(name)


def hard_labels(csf: np.ndarray, gm: np.ndarray, wm: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Most probable tissue per voxel: uint8 0 outside ``mask``, 1 CSF, 2 GM, 3 WM.

    Ties go to the first of CSF, GM, WM (as ``np.argmax`` would).
    """
    labels = np.where((csf >= gm) & (csf >= wm), 1, np.where(gm >= wm, 2, 3)).astype(np.uint8)
    labels[~mask] = 0
    return labels


def check_resolution(resolution: object) -> int:
    """Return ``resolution`` as int or raise a ValueError naming the allowed values."""
    if isinstance(resolution, bool) or resolution not in ALLOWED_RESOLUTIONS:
        raise ValueError(
            f"resolution must be one of {ALLOWED_RESOLUTIONS} (mm, the grids nilearn ships "
            f"offline), got {resolution!r}."
        )
    return int(resolution)  # type: ignore[arg-type]


def load_icbm152(resolution: int = 2) -> Anatomy:
    """Load the ICBM152 2009 template and derived maps, offline, from nilearn.

    The result is cached per resolution for the life of the process (the arrays
    are read-only, so sharing them is safe). The first call takes ~2-5 s.

    Parameters
    ----------
    resolution : int
        Voxel size in mm: 2 (grid 99 x 117 x 95) or 1 (197 x 233 x 189).

    Returns
    -------
    Anatomy
        Template arrays on the chosen grid; see :class:`Anatomy`.

    Raises
    ------
    ValueError
        If ``resolution`` is not 1 or 2.
    """
    return _load_icbm152_cached(check_resolution(resolution))


@functools.lru_cache(maxsize=2)
def _load_icbm152_cached(resolution: int) -> Anatomy:
    from nilearn import datasets  # local import: nilearn takes ~3 s to import

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1_img = datasets.load_mni152_template(resolution=resolution)
        gm_img = datasets.load_mni152_gm_template(resolution=resolution)
        wm_img = datasets.load_mni152_wm_template(resolution=resolution)
        mask_img = datasets.load_mni152_brain_mask(resolution=resolution)
    affine = np.asarray(t1_img.affine, dtype=np.float64)
    for name, img in (("GM", gm_img), ("WM", wm_img), ("mask", mask_img)):
        if img.shape != t1_img.shape or not np.allclose(img.affine, affine):
            raise RuntimeError(f"nilearn's ICBM152 {name} map is not on the T1 grid.")

    t1 = np.clip(np.asarray(t1_img.get_fdata(dtype=np.float32)), 0.0, None)
    gm = np.clip(np.asarray(gm_img.get_fdata(dtype=np.float32)), 0.0, 1.0)
    wm = np.clip(np.asarray(wm_img.get_fdata(dtype=np.float32)), 0.0, 1.0)
    mask = np.asarray(mask_img.get_fdata(dtype=np.float32)) > 0.5
    total = gm + wm
    over = total > 1.0  # a few voxels where the two maps overlap by rounding
    gm[over] /= total[over]
    wm[over] /= total[over]
    csf = np.clip(mask.astype(np.float32) - gm - wm, 0.0, 1.0)

    labels = hard_labels(csf, gm, wm, mask)
    spacing = float(abs(affine[0, 0]))
    regions, ventricle_distance = parcellate(labels, mask, affine, spacing)

    arrays = dict(
        t1=t1,
        gm=gm,
        wm=wm,
        csf=csf,
        mask=mask,
        labels=labels,
        regions=regions,
        ventricle_distance=ventricle_distance,
        affine=affine,
    )
    for value in arrays.values():
        value.setflags(write=False)
    return Anatomy(spacing=spacing, **arrays)
