"""Read and write a :class:`~.subject.Subject` as NIfTI files plus a JSON sidecar.

Layout of a subject directory (all volumes on the subject grid, same affine)::

    subject.json                 scalars, affines, metadata, file list
    <contrast>.nii               float32 images (uncompressed: loading is a memory map)
    tissue_probs.nii             float32 (X, Y, Z, 3): CSF, GM, WM
    labels.nii.gz, brain_mask.nii.gz, regions.nii.gz, lesion_mask.nii.gz   uint8
    rater_masks.nii.gz           uint8 (X, Y, Z, K)            (only with raters)
    tumor_labels.nii.gz          uint8 BraTS labels            (only with a tumour)
    deformation.nii              float32 (Gx, Gy, Gz, 3) B-spline coefficients (mm),
                                 its affine maps control-node index -> world mm

NIfTI stores channels in the 4th dimension, so ``(C, X, Y, Z)`` arrays are moved
to ``(X, Y, Z, C)`` on disk and back on load. Float volumes are not compressed so
that a cached cohort loads >= 10x faster than it is simulated; masks are gzipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np

from course_lib.exceptions import CorruptFileError
from course_lib.nifti import read_nifti

from .deformation import Deformation

__all__ = ["save_subject", "load_subject", "SUBJECT_JSON"]

SUBJECT_JSON = "subject.json"
_MASKS = ("labels", "brain_mask", "regions", "lesion_mask")


def _save(array: np.ndarray, affine: np.ndarray, path: Path) -> None:
    image = nib.Nifti1Image(array, affine)
    image.header.set_xyzt_units("mm")
    nib.save(image, path)


_FIX = (
    "Delete the subject folder (or the whole cache entry) and simulate it again; "
    "make_cohort does so by itself for its cache"
)


def _load(path: Path) -> np.ndarray:
    return np.asarray(read_nifti(path, fix=_FIX)[0])


def save_subject(subject, directory: str | Path) -> Path:
    """Write ``subject`` into ``directory`` (created if needed); returns the directory."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    affine = np.asarray(subject.affine, dtype=np.float64)
    files = {}
    for name, image in subject.images.items():
        files[name] = f"{name}.nii"
        _save(np.asarray(image, dtype=np.float32), affine, directory / files[name])
    files["tissue_probs"] = "tissue_probs.nii"
    _save(
        np.moveaxis(subject.tissue_probs, 0, -1).astype(np.float32),
        affine,
        directory / files["tissue_probs"],
    )
    for name in _MASKS:
        files[name] = f"{name}.nii.gz"
        _save(np.asarray(getattr(subject, name)).astype(np.uint8), affine, directory / files[name])
    if subject.rater_masks is not None:
        files["rater_masks"] = "rater_masks.nii.gz"
        _save(
            np.moveaxis(subject.rater_masks, 0, -1).astype(np.uint8),
            affine,
            directory / files["rater_masks"],
        )
    if subject.tumor_labels is not None:
        files["tumor_labels"] = "tumor_labels.nii.gz"
        _save(subject.tumor_labels.astype(np.uint8), affine, directory / files["tumor_labels"])
    d = subject.deformation
    node_affine = np.diag([d.node_spacing] * 3 + [1.0])
    node_affine[:3, 3] = d.origin
    files["deformation"] = "deformation.nii"
    _save(
        np.moveaxis(d.coefficients, 0, -1).astype(np.float32),
        node_affine,
        directory / files["deformation"],
    )
    record = {
        "format": "course_lib.simulation subject v1",
        "center": subject.center,
        "seed": int(subject.seed),
        "spacing": float(subject.spacing),
        "affine": affine.tolist(),
        "true_affine": np.asarray(d.affine, dtype=np.float64).tolist(),
        "min_jacobian": float(subject.min_jacobian),
        "contrasts": list(subject.images),
        "files": files,
        "meta": subject.meta,
    }
    (directory / SUBJECT_JSON).write_text(json.dumps(record, indent=1))
    return directory


def load_subject(directory: str | Path):
    """Read a subject written by :func:`save_subject`.

    Float volumes come back as read-only memory maps of the files (fast, and
    pages are read lazily); copy them (``np.array(x)``) before modifying.
    """
    from .subject import Subject

    directory = Path(directory)
    sidecar = directory / SUBJECT_JSON
    if not sidecar.is_file():
        raise FileNotFoundError(f"No {SUBJECT_JSON} in {directory}: not a saved subject.")
    try:
        record = json.loads(sidecar.read_text())
        files = record["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise CorruptFileError(
            sidecar, f"it is not a complete subject record ({type(error).__name__}: {error})", _FIX
        ) from error
    images = {c: _load(directory / files[c]) for c in record["contrasts"]}
    coefficients, node_affine = read_nifti(directory / files["deformation"], fix=_FIX)
    coefficients = np.moveaxis(np.asarray(coefficients), -1, 0)
    deformation = Deformation(
        affine=np.array(record["true_affine"], dtype=np.float64),
        coefficients=np.ascontiguousarray(coefficients, dtype=np.float32),
        origin=np.asarray(node_affine[:3, 3], dtype=np.float64),
        node_spacing=float(node_affine[0, 0]),
    )
    masks = {name: _load(directory / files[name]) for name in _MASKS}
    raters = (
        np.moveaxis(_load(directory / files["rater_masks"]), -1, 0).astype(bool)
        if "rater_masks" in files
        else None
    )
    tumor = _load(directory / files["tumor_labels"]) if "tumor_labels" in files else None
    return Subject(
        images=images,
        tissue_probs=np.moveaxis(_load(directory / files["tissue_probs"]), -1, 0),
        labels=masks["labels"].astype(np.uint8),
        brain_mask=masks["brain_mask"].astype(bool),
        regions=masks["regions"].astype(np.uint8),
        lesion_mask=masks["lesion_mask"].astype(bool),
        rater_masks=raters,
        tumor_labels=tumor.astype(np.uint8) if tumor is not None else None,
        affine=np.array(record["affine"], dtype=np.float64),
        spacing=float(record["spacing"]),
        center=record["center"],
        seed=int(record["seed"]),
        deformation=deformation,
        min_jacobian=float(record["min_jacobian"]),
        meta=record["meta"],
    )
