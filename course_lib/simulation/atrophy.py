"""Brain atrophy in template space: enlarged ventricles and thinner cortex.

Ageing and neurodegeneration shrink the brain; on MRI this shows as enlarged
ventricles and widened sulci (more CSF, less GM). We model it with one knob
``atrophy`` in [0, 1]:

* the ventricles grow by ``8 * atrophy`` mm: tissue within that distance of the
  ventricles becomes CSF (a soft one-voxel ramp keeps partial volume);
* cortical GM (lobes only) loses ``35 % * atrophy`` of its fraction to CSF.

Both are illustrative magnitudes (``atrophy = 1`` is severe). The change is made
to the template's tissue maps before the subject's deformation is applied.
"""

from __future__ import annotations

import numpy as np

from .anatomy import Anatomy

__all__ = ["apply_atrophy", "VENTRICLE_GROWTH_MM", "CORTICAL_GM_LOSS"]

VENTRICLE_GROWTH_MM = 8.0
CORTICAL_GM_LOSS = 0.35


def apply_atrophy(anatomy: Anatomy, atrophy: float) -> tuple[np.ndarray, np.ndarray]:
    """Atrophied tissue fractions and regions on the template grid.

    Parameters
    ----------
    anatomy : Anatomy
        Template.
    atrophy : float
        Severity in [0, 1]; 0 returns copies of the template maps.

    Returns
    -------
    probs : np.ndarray
        ``(3, X, Y, Z)`` float32 CSF, GM, WM fractions.
    regions : np.ndarray
        ``(X, Y, Z)`` uint8 regions with the enlarged ventricles relabelled.
    """
    if not 0.0 <= atrophy <= 1.0:
        raise ValueError(f"atrophy must be in [0, 1] (0 = none, 1 = severe), got {atrophy!r}.")
    probs = anatomy.tissue_probs
    regions = anatomy.regions.copy()
    if atrophy == 0.0:
        return probs, regions
    csf, gm, wm = probs
    growth = VENTRICLE_GROWTH_MM * atrophy
    ventricle = np.clip(0.5 + (growth - anatomy.ventricle_distance) / anatomy.spacing, 0.0, 1.0)
    ventricle *= np.isin(anatomy.regions, (1, 2, 3, 4, 5, 7))  # not into the brainstem
    moved = ventricle * (gm + wm)
    gm *= 1.0 - ventricle
    wm *= 1.0 - ventricle
    csf += moved
    regions[(ventricle > 0.5) & anatomy.mask] = 7
    cortex = np.isin(anatomy.regions, (1, 2, 3, 4)).astype(np.float32)
    loss = np.float32(CORTICAL_GM_LOSS * atrophy) * cortex * gm
    gm -= loss
    csf += loss
    return probs.astype(np.float32, copy=False), regions
