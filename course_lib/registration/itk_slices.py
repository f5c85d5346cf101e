"""Real 2-D brain MR slices with known transforms, shipped with the course (chapter 03a).

Six 221 x 257 PNG slices (1 mm pixels) from the Insight Toolkit's example data
(Apache-2.0; see ``data/itk_brain_slices/README.md`` and ``LICENSE`` there): a PD-weighted
and a T1-weighted slice of the same head on the same grid, and four copies of the PD slice
moved by a translation, a rotation, a rotation + translation and a rotation + translation +
zoom. The names of the files state the transforms only nominally, so :data:`TRUE_MATRICES`
holds the transforms **fitted to the pixels**: a dense mean-squares affine fit of each moving
PD slice to the fixed PD slice (SimpleITK, all pixels, linear interpolation, regular-step
gradient descent to a step of 1e-6; ``benchmarks/bench_registration.py --verify-truth``
repeats it). The fit found that "R10X13Y17" is shifted by (13.1, 15.9) px about the centre
rather than (13, 17), and that "R10X13Y17S12" maps the other way (rotation -10 deg, zoom
1/1.2). A similarity fit agrees with the affine one to 0.05 mm mean (0.12 mm max) on
"Rotated10" and to 0.003 mm on the others: the ground truth is good to about 0.1 mm.

Arrays are indexed ``(x, y)`` (axis 0 = image column), with the identity voxel -> world
affine, so a matrix here maps fixed (x, y) mm to moving (x, y) mm (the pull-back
convention of :mod:`course_lib.registration`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.geometry import apply_affine
from course_lib.registration.evaluation import landmark_grid

__all__ = ["SlicePair", "load_slice", "slice_pair", "TRUE_MATRICES", "SLICE_FILES"]

DATA_DIR = Path(__file__).with_name("data") / "itk_brain_slices"

SLICE_FILES = {
    "PD": "BrainProtonDensitySliceBorder20.png",
    "T1": "BrainT1SliceBorder20.png",
    "shift": "BrainProtonDensitySliceShifted13x17y.png",
    "rotation": "BrainProtonDensitySliceRotated10.png",
    "rotation+shift": "BrainProtonDensitySliceR10X13Y17.png",
    "rotation+shift+zoom": "BrainProtonDensitySliceR10X13Y17S12.png",
}
"""Name -> PNG file in ``data/itk_brain_slices``."""

TRUE_MATRICES = {
    "shift": [[1.0, 0.0, 13.0], [0.0, 1.0, 17.0], [0.0, 0.0, 1.0]],
    "rotation": [[0.983439, -0.176312, 24.495906], [0.177489, 0.983826, -17.533408], [0, 0, 1]],
    "rotation+shift": [
        [0.984728, -0.173632, 37.000013],
        [0.173611, 0.984729, -1.220631],
        [0.0, 0.0, 1.0],
    ],
    "rotation+shift+zoom": [
        [0.820621, 0.144664, -11.895307],
        [-0.144641, 0.820603, 26.967375],
        [0.0, 0.0, 1.0],
    ],
}
"""Fitted world matrices fixed (x, y) mm -> moving (x, y) mm of the four moved PD slices."""


@dataclass
class SlicePair:
    """A fixed slice, a moved slice and their true correspondence (all in mm)."""

    name: str
    fixed: np.ndarray
    moving: np.ndarray
    affine: np.ndarray
    true_matrix: np.ndarray
    points_fixed: np.ndarray
    points_moving: np.ndarray


def load_slice(name: str) -> np.ndarray:
    """One slice as a float32 array indexed ``(x, y)``, intensities 0-255.

    Parameters
    ----------
    name : str
        A key of :data:`SLICE_FILES` ("PD", "T1", "shift", "rotation", "rotation+shift",
        "rotation+shift+zoom").
    """
    from PIL import Image

    if name not in SLICE_FILES:
        raise ValueError(f"unknown slice {name!r}; choose one of {sorted(SLICE_FILES)}.")
    path = DATA_DIR / SLICE_FILES[name]
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the course ships it in course_lib/registration/data; "
            "reinstall the course (pip install -e .) from a complete checkout."
        )
    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"), dtype=np.float32)
    return np.ascontiguousarray(rgb[..., 0].T)


def slice_pair(
    moving: str = "rotation+shift", fixed: str = "PD", spacing: float = 10.0
) -> SlicePair:
    """Fixed slice (PD or T1), a moved PD slice, and landmarks with their true positions.

    Parameters
    ----------
    moving : str
        A key of :data:`TRUE_MATRICES`.
    fixed : {"PD", "T1"}
        "T1" gives a multimodal pair (T1-weighted fixed, PD-weighted moving).
    spacing : float
        Landmark grid spacing (mm) inside the head (PD intensity > 10 % of its maximum).

    Returns
    -------
    SlicePair
    """
    if moving not in TRUE_MATRICES:
        raise ValueError(f"unknown moved slice {moving!r}; choose one of {sorted(TRUE_MATRICES)}.")
    if fixed not in ("PD", "T1"):
        raise ValueError(f"fixed must be 'PD' or 'T1', got {fixed!r}.")
    pd = load_slice("PD")
    affine = np.eye(3)
    truth = np.asarray(TRUE_MATRICES[moving], dtype=np.float64)
    points = landmark_grid(pd > 0.1 * pd.max(), affine, spacing)
    return SlicePair(
        name=f"{fixed}->{moving}",
        fixed=pd if fixed == "PD" else load_slice("T1"),
        moving=load_slice(moving),
        affine=affine,
        true_matrix=truth,
        points_fixed=points,
        points_moving=apply_affine(truth, points),
    )
