"""Read a NIfTI file, or say in one line what is wrong with it (chapters 00, 01a; real data).

:func:`read_nifti` is the course's one way to open a NIfTI volume: the simulated-cohort
cache (:mod:`course_lib.simulation.subject_io`) and the real-data loaders
(:mod:`course_lib.real_data`) use it. It reads what ``nibabel.load`` reads, but checks
the file first, so that a damaged one raises :class:`~course_lib.exceptions.CorruptFileError`
naming the file and the problem instead of a deep ``EOFError``, ``OverflowError`` or
``MemoryError`` -- or, worse, loading silently:

* a ``.nii.gz`` is decompressed to its end, so a stream that is cut short or whose
  CRC-32 does not match (a flipped bit) is found; at most ``max_bytes`` are unpacked;
* the header must declare 1 to 7 dimensions, each at least 1, and at most ``max_bytes``
  of voxels (checked before any voxel is read);
* the affine (voxel -> world, mm) must be finite and invertible;
* an uncompressed ``.nii`` must be long enough for the voxels its header declares.

Uncompressed files are memory-mapped, as ``nibabel.load`` does.

References
----------
NIfTI-1 data format, https://nifti.nimh.nih.gov/nifti-1 (header fields ``dim``,
``vox_offset``, ``sform``/``qform``); RFC 1952 (gzip, CRC-32 trailer).
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.filebasedimages import ImageFileError
from nibabel.spatialimages import HeaderDataError

from course_lib.exceptions import CorruptFileError

__all__ = ["read_nifti", "MAX_BYTES"]

#: Largest voxel payload accepted by default (2 GiB; a 1-mm brain in float32 is ~35 MB).
MAX_BYTES = 2 << 30
_FIX = "Replace it with a good copy (download or export it again)"
_READ_ERRORS = (
    ImageFileError,
    HeaderDataError,
    OSError,
    EOFError,
    ValueError,
    OverflowError,
    MemoryError,
    zlib.error,
    TypeError,
)


def _describe(error: BaseException) -> str:
    """``"Type: first line of the message"`` (one line, whatever the error)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _from_bytes(raw: bytes):
    """A nibabel image of the decompressed bytes (NIfTI-1 or NIfTI-2)."""
    size = int.from_bytes(raw[:4], "little")
    if size not in (348, 540):
        size = int.from_bytes(raw[:4], "big")
    klass = nib.Nifti2Image if size == 540 else nib.Nifti1Image
    holder = nib.FileHolder(fileobj=io.BytesIO(raw))
    return klass.from_file_map({"header": holder, "image": holder})


def _check_header(image, path: Path, stored: int, max_bytes: int, fix: str) -> None:
    header = image.header
    ndim = int(header["dim"][0])
    dims = [int(d) for d in header["dim"][1 : 1 + ndim]] if 1 <= ndim <= 7 else []
    if not dims or min(dims) < 1:
        raise CorruptFileError(
            path,
            f"its header declares dimensions {list(header['dim'])} "
            "(need 1 to 7 dimensions of size >= 1)",
            fix,
        )
    nbytes = int(np.prod(dims, dtype=np.float64) * header.get_data_dtype().itemsize)
    if nbytes > max_bytes:
        raise CorruptFileError(
            path,
            f"its header declares {nbytes:,} bytes of voxels "
            f"(shape {tuple(dims)}), more than max_bytes={max_bytes:,}",
            "If the image is really that large, pass a larger max_bytes; "
            "otherwise the header is damaged. " + fix,
        )
    offset = getattr(image.dataobj, "offset", None)  # nibabel resets the header's copy
    needed = int(header.get_data_offset() if offset is None else offset) + nbytes
    if stored < needed:
        raise CorruptFileError(
            path, f"it is cut short: {stored:,} bytes where the header needs {needed:,}", fix
        )
    affine = np.asarray(image.affine, dtype=np.float64)
    if not np.all(np.isfinite(affine)) or abs(np.linalg.det(affine[:3, :3])) < 1e-12:
        raise CorruptFileError(
            path,
            "its affine (voxel -> world) is not finite and "
            "invertible: " + np.array2string(affine[:3], separator=",").replace("\n", ""),
            fix,
        )


def read_nifti(
    path: str | os.PathLike, *, max_bytes: int = MAX_BYTES, fix: str = _FIX
) -> tuple[np.ndarray, np.ndarray]:
    """Read a NIfTI-1/2 file (``.nii`` or ``.nii.gz``) after checking it.

    Parameters
    ----------
    path : path-like
        The file.
    max_bytes : int
        Largest voxel payload (and decompressed size) accepted, in bytes.
    fix : str
        What the error message tells the reader to do.

    Returns
    -------
    data : numpy.ndarray
        The voxel values with the header's scaling applied, axes ``(X, Y, Z[, T...])``
        in the file's voxel order (a read-only memory map for an unscaled ``.nii``).
    affine : numpy.ndarray
        ``(4, 4)`` float64 voxel -> world (RAS+, mm) matrix, as ``nibabel`` gives it.

    Raises
    ------
    CorruptFileError
        The file is damaged or not a NIfTI image; the message names it and what is wrong.
    FileNotFoundError
        There is no such file.
    """
    path = Path(path)
    stored = path.stat().st_size  # FileNotFoundError for a missing file
    try:
        if path.name.lower().endswith(".gz"):
            try:
                with gzip.open(path, "rb") as stream:
                    raw = stream.read(max_bytes + (1 << 20))  # to the end: CRC checked
                    if stream.read(1):
                        raise CorruptFileError(
                            path, f"it unpacks to more than max_bytes={max_bytes:,} bytes", fix
                        )
            except (OSError, EOFError, zlib.error) as error:
                raise CorruptFileError(
                    path, f"its gzip stream is damaged or cut short ({_describe(error)})", fix
                ) from error
            image, stored = _from_bytes(raw), len(raw)
        else:
            image = nib.load(path)
    except CorruptFileError:
        raise
    except _READ_ERRORS as error:
        raise CorruptFileError(
            path, f"it cannot be read as a NIfTI image ({_describe(error)})", fix
        ) from error
    _check_header(image, path, stored, max_bytes, fix)
    try:
        data = np.asanyarray(image.dataobj)
    except _READ_ERRORS as error:
        raise CorruptFileError(
            path, f"its voxels cannot be read ({_describe(error)})", fix
        ) from error
    return data, np.asarray(image.affine, dtype=np.float64)
