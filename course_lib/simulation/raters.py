"""Simulated expert delineations: K raters who disagree the way real experts do.

In MS-SEG 2016 seven experts delineated each case, and for some low-load cases
their counts ranged from 0 to 8 lesions (lecture, after Commowick et al. 2018);
inter-rater Dice in lesion studies is typically ~0.6-0.8. Each simulated rater
has a persistent *behaviour*, drawn once from the rater's seed:

* ``threshold`` on the true lesion fraction blurred by 1.4 mm: below 0.5 the
  rater over-segments (dilation tendency), above 0.5 under-segments (erosion);
* ``boundary_noise``: amplitude of a smooth random field (correlation 2 mm)
  added near the outline before thresholding (wobbly outlines);
* ``miss_volume_mm3``: lesions much smaller than this are often missed
  (probability ``exp(-volume / miss_volume_mm3)``);
* ``false_positive_rate``: mean number of small spurious blobs in WM per case.

The true mask is the simulator's ground truth; a consensus (majority vote or
STAPLE, chapter 12) can be compared with it.

References
----------
Warfield SK, Zou KH, Wells WM. Simultaneous truth and performance level estimation
(STAPLE). IEEE TMI 2004;23:903-921. doi:10.1109/TMI.2004.828354
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["rater_profiles", "simulate_raters"]

#: Width (Gaussian sigma, mm) of the blur a rater's outline follows, and correlation
#: length (mm) of the outline's random wobble.
SMOOTHING_MM, NOISE_CORRELATION_MM = 1.4, 2.0


def rater_profiles(n_raters: int, rng: np.random.Generator) -> list[dict]:
    """Behaviour of ``n_raters`` raters (dicts of floats, JSON-serialisable)."""
    profiles = []
    for _ in range(n_raters):
        profiles.append(
            {
                "threshold": float(rng.uniform(0.3, 0.65)),
                "boundary_noise": float(rng.uniform(0.10, 0.25)),
                "miss_volume_mm3": float(rng.uniform(5.0, 30.0)),
                "false_positive_rate": float(rng.uniform(0.0, 2.0)),
            }
        )
    return profiles


def _smooth_noise(shape, rng, sigma_vox: float) -> np.ndarray:
    field = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma_vox)
    return field / (float(field.std()) or 1.0)


def simulate_raters(
    lesion_fraction: np.ndarray,
    candidate_mask: np.ndarray,
    profiles: list[dict],
    rng: np.random.Generator,
    spacing: float,
) -> np.ndarray:
    """Delineations of the lesions by each rater.

    Parameters
    ----------
    lesion_fraction : np.ndarray
        ``(X, Y, Z)`` float32 true lesion fraction in subject space.
    candidate_mask : np.ndarray
        ``(X, Y, Z)`` bool where false positives may appear (subject WM).
    profiles : list of dict
        From :func:`rater_profiles`; one per rater.
    rng : np.random.Generator
        Randomness of this subject's delineations.
    spacing : float
        Voxel size in mm (lesion volumes are in mm^3).

    Returns
    -------
    np.ndarray
        ``(K, X, Y, Z)`` bool masks, ``K = len(profiles)``.
    """
    shape = lesion_fraction.shape
    out = np.zeros((len(profiles),) + shape, dtype=bool)
    truth = lesion_fraction > 0.5
    margin = int(np.ceil(4.0 / spacing)) + 1
    box = None
    if truth.any():
        idx = np.nonzero(truth)
        box = tuple(
            slice(max(int(i.min()) - margin, 0), min(int(i.max()) + margin + 1, n))
            for i, n in zip(idx, shape)
        )
        # smoothing and noise correlation in mm, so behaviour is the same at 1 and 2 mm
        soft = ndimage.gaussian_filter(lesion_fraction[box], SMOOTHING_MM / spacing)
        envelope = np.clip(4.0 * soft * (1.0 - soft), 0.0, 1.0)  # 1 on the outline, 0 far away
        components, count = ndimage.label(truth[box])
        volumes = ndimage.sum_labels(np.ones_like(soft), components, np.arange(1, count + 1))
        volumes = volumes * spacing**3
    candidates = np.flatnonzero(candidate_mask)
    for k, profile in enumerate(profiles):
        if box is not None:
            noise = _smooth_noise(soft.shape, rng, NOISE_CORRELATION_MM / spacing)
            noise *= np.float32(profile["boundary_noise"])
            noise *= envelope
            mask = (soft + noise) > profile["threshold"]
            missed = rng.random(count) < np.exp(-volumes / profile["miss_volume_mm3"])
            # a missed lesion removes everything the rater drew touching it
            drawn, n_drawn = ndimage.label(mask)
            hit = np.unique(drawn[np.isin(components, np.flatnonzero(missed) + 1)])
            mask[np.isin(drawn, hit[hit > 0])] = False
            out[k][box] = mask
        n_fp = int(rng.poisson(profile["false_positive_rate"]))
        for _ in range(n_fp if candidates.size else 0):
            centre = np.array(np.unravel_index(int(rng.choice(candidates)), shape))
            radius = rng.uniform(1.0, 2.5) / spacing
            r = int(np.ceil(radius))
            lo, hi = np.maximum(centre - r, 0), np.minimum(centre + r + 1, shape)
            grid = np.ogrid[tuple(slice(a, b) for a, b in zip(lo, hi))]
            ball = sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius**2
            out[k][tuple(slice(a, b) for a, b in zip(lo, hi))] |= ball
    return out
