"""Segmentation metrics: overlap, volume, surface distance (mm), lesion detection, ICC.

Pure functions of one subject's masks (NumPy arrays or PyTorch tensors, one
spatial mask ``(H, W)`` or ``(H, W, D)``, no batch/channel axis), plus
:func:`summarize` to aggregate over subjects.

Conventions (details in each module's docstring):

* distances are in millimetres when ``spacing`` (mm per array axis) is given,
  in voxels otherwise; volumes in mL, or voxels without spacing;
* both masks empty -> Dice/Jaccard/precision/sensitivity 1.0, distances 0.0;
  exactly one empty -> those ratios 0.0 (``zero_division``), distances ``inf``;
* ``summarize(..., nonfinite=...)`` makes the treatment of ``inf``/``nan``
  explicit when averaging.

>>> import numpy as np
>>> from course_lib.metrics import dice, hd95
>>> a = np.zeros((8, 8), bool); a[2:6, 2:6] = True
>>> dice(a, a), hd95(a, np.zeros_like(a))
(1.0, inf)
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["agreement", "lesions", "overlap", "summary", "surface", "volumes"],
    names={
        "summary": ["summarize"],
        "agreement": ["icc"],
        "lesions": ["label_lesions", "lesion_detection"],
        "overlap": [
            "dice",
            "multiclass_dice",
            "precision",
            "recall",
            "sensitivity",
            "specificity",
        ],
        "surface": [
            "assd",
            "hd95",
            "image_diagonal",
            "surface_distance_metrics",
        ],
        "volumes": ["volume"],
    },
)
