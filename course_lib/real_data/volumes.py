"""Real volumes as subject-like objects (chapters 03a, 04, 07, 08, 09 with ``COURSE_DATA=real``).

:class:`RealSubject` carries the fields of a simulated :class:`course_lib.simulation.Subject`
that a real data set can fill (``images``, ``affine``, ``labels``, ``brain_mask``,
``tumor_labels``, ``center``); the others do not exist for real data. Volumes are read with
:func:`course_lib.nifti.read_nifti`, put in the closest RAS+ voxel order (voxel axes X, Y, Z
point approximately Right, Anterior, Superior, as the simulator's) and, if asked, resampled
to isotropic voxels (1 or 2 mm, the run profile's resolution).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import nibabel as nib
import numpy as np
from nibabel.processing import resample_to_output

from course_lib.nifti import read_nifti

__all__ = ["RealSubject", "load_volume"]


@dataclass
class RealSubject:
    """One real subject on one voxel grid.

    Attributes
    ----------
    images : dict of str to numpy.ndarray
        Contrast name (``"T1w"``, ``"T2w"``, ``"PD"``, ``"FLAIR"``, ``"T1ce"``) ->
        ``(X, Y, Z)`` float32, in the scanner's arbitrary units.
    affine : numpy.ndarray
        ``(4, 4)`` float64 voxel -> world (RAS+, mm).
    labels : numpy.ndarray or None
        ``(X, Y, Z)`` uint8 segmentation of the data set (its codes: see ``meta``);
        None when the data set has none (IXI).
    brain_mask : numpy.ndarray or None
        ``(X, Y, Z)`` bool, where the data set defines one (see each loader); None for IXI,
        whose images are not skull-stripped.
    tumor_labels : numpy.ndarray or None
        ``(X, Y, Z)`` uint8 in the BraTS convention of the simulator (0, 1 necrosis /
        non-enhancing, 2 oedema, 4 enhancing); brain tumour data only.
    center : str
        Acquisition site (IXI: ``"Guys"``, ``"HH"``, ``"IOP"``) or the data set's name.
    id : str
        Subject or case identifier of the data set.
    meta : dict
        Source files, scanner, label names.
    """

    images: dict[str, np.ndarray]
    affine: np.ndarray
    labels: np.ndarray | None = None
    brain_mask: np.ndarray | None = None
    tumor_labels: np.ndarray | None = None
    center: str = ""
    id: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Grid shape ``(X, Y, Z)`` in voxels."""
        return tuple(next(iter(self.images.values())).shape[:3])

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size along X, Y, Z in mm (from the affine)."""
        return tuple(float(v) for v in np.linalg.norm(self.affine[:3, :3], axis=0))


def load_volume(
    path: str | os.PathLike, resolution: float | None = None, labels: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Read a NIfTI volume in RAS+ voxel order, optionally resampled to isotropic voxels.

    Parameters
    ----------
    path : path-like
        ``.nii`` or ``.nii.gz``; 3-D, or 4-D with channels last.
    resolution : float, optional
        Voxel size in mm of the output grid (``nibabel.processing.resample_to_output``:
        axis-aligned, covering the input); None keeps the file's voxels.
    labels : bool
        A label map: nearest-neighbour resampling and uint8 output; otherwise trilinear
        and float32.

    Returns
    -------
    data : numpy.ndarray
        ``(X, Y, Z)`` or ``(X, Y, Z, C)``.
    affine : numpy.ndarray
        ``(4, 4)`` float64 voxel -> world (RAS+, mm).

    Raises
    ------
    course_lib.exceptions.CorruptFileError
        The file is damaged (see :func:`course_lib.nifti.read_nifti`).
    """
    data, affine = read_nifti(path)
    image = nib.as_closest_canonical(nib.Nifti1Image(np.asarray(data), affine))
    channels = [image] if image.ndim == 3 else list(nib.four_to_three(image))
    if resolution is not None:
        channels = [
            resample_to_output(c, voxel_sizes=(resolution,) * 3, order=0 if labels else 1)
            for c in channels
        ]
    if labels:
        arrays = [np.rint(np.asarray(c.dataobj)).astype(np.uint8) for c in channels]
    else:
        arrays = [np.asarray(c.dataobj, dtype=np.float32) for c in channels]
    out = arrays[0] if image.ndim == 3 else np.stack(arrays, axis=-1)
    return out, np.asarray(channels[0].affine, dtype=np.float64)
