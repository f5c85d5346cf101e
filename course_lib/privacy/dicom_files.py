"""De-identify DICOM files and whole directory trees, writing atomically.

:func:`deidentify_file` cleans one file; :func:`deidentify_tree` walks a directory
(for example a PACS export), gives each patient one pseudonym and one date offset,
shares one :class:`UidMapper` across all files so that studies, series and
references stay consistent, and writes each result to a temporary file beside its
target before renaming it (a crash never leaves a half-written DICOM file).

Output names never reuse input paths: PACS exports name folders after Patient IDs
(pydicom's ``dicomdirtests`` tree does), which would leak them. A DICOMDIR is never
de-identified: its ``ReferencedFileID`` paths name patients and its byte offsets point
into the old records. :func:`deidentify_file` refuses one (:class:`DicomDirError`),
:func:`deidentify_tree` lists it as skipped; rebuild one for the de-identified files
with ``pydicom.fileset.FileSet`` if needed.
"""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from course_lib.exceptions import CourseLibError
from course_lib.privacy.deid_report import DeidentificationReport
from course_lib.privacy.dicom_deid import deidentify
from course_lib.privacy.uid_mapper import UidMapper

__all__ = [
    "DicomDirError",
    "FileOutcome",
    "TreeResult",
    "deidentify_file",
    "deidentify_tree",
    "is_dicomdir",
    "write_atomically",
]

_DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
_DICOMDIR_FIX = (
    "de-identify the image files it indexes (deidentify_tree does), then build a "
    "new DICOMDIR for them with pydicom.fileset.FileSet"
)


class DicomDirError(CourseLibError, ValueError):
    """A DICOMDIR (Media Storage Directory) was given where an image file is expected."""


def is_dicomdir(dataset: pydicom.Dataset) -> bool:
    """True for a DICOMDIR: a directory record sequence or the Media Storage Directory class."""
    meta = getattr(dataset, "file_meta", None) or {}
    return (
        "DirectoryRecordSequence" in dataset
        or str(meta.get("MediaStorageSOPClassUID", "")) == _DICOMDIR_CLASS
    )


def write_atomically(dataset: pydicom.Dataset, dst: str | os.PathLike) -> Path:
    """Write ``dataset`` to ``dst`` through a temporary file and an atomic rename.

    Parameters
    ----------
    dataset : pydicom.Dataset
        Dataset to write; its original encoding and preamble are kept.
    dst : path-like
        Target file; parent directories are created.

    Returns
    -------
    pathlib.Path
        ``dst`` as a Path.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".part")
    os.close(handle)
    try:
        dataset.save_as(tmp, enforce_file_format=False)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dst


def deidentify_file(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    uid_map: UidMapper | None = None,
    date_shift_days: int | None = None,
    patient_id: str | None = None,
    keep_private: bool = False,
    force: bool = False,
) -> DeidentificationReport:
    """Read ``src``, apply :func:`course_lib.privacy.deidentify`, write ``dst`` atomically.

    Parameters
    ----------
    src, dst : path-like
        Input DICOM file and output path (``dst`` must differ from ``src``).
    uid_map, date_shift_days, patient_id, keep_private
        As in :func:`course_lib.privacy.deidentify`.
    force : bool
        Passed to ``pydicom.dcmread`` (read files without a DICOM preamble).

    Returns
    -------
    DeidentificationReport

    Raises
    ------
    DicomDirError
        ``src`` is a DICOMDIR: its ``ReferencedFileID`` paths and record offsets would
        keep identifiers and point into the original files.
    """
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise ValueError(
            f"dst must differ from src ({src}): never overwrite the original; "
            "write the de-identified copy elsewhere"
        )
    dataset = pydicom.dcmread(src, force=force)
    if is_dicomdir(dataset):
        raise DicomDirError(
            f"{src} is a DICOMDIR, not an image: its file paths name "
            f"patients and its offsets would be stale; {_DICOMDIR_FIX}."
        )
    clean, report = deidentify(
        dataset,
        uid_map=uid_map,
        date_shift_days=date_shift_days,
        patient_id=patient_id,
        keep_private=keep_private,
    )
    write_atomically(clean, dst)
    return report


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input file: ``dst`` is None when it was skipped (see ``reason``)."""

    src: Path
    dst: Path | None
    reason: str
    report: DeidentificationReport | None = None


@dataclass
class TreeResult:
    """Result of :func:`deidentify_tree`.

    Attributes
    ----------
    files : list of FileOutcome
        One entry per input file, written or skipped.
    uid_map : UidMapper
        The map shared by all files (keep it private: it links back to the originals).
    pseudonyms : dict
        ``{original Patient ID: pseudonym}`` (private, like ``uid_map``).
    date_shifts : dict
        ``{pseudonym: offset in days}``.
    """

    files: list[FileOutcome] = field(default_factory=list)
    uid_map: UidMapper = field(default_factory=UidMapper)
    pseudonyms: dict[str, str] = field(default_factory=dict)
    date_shifts: dict[str, int] = field(default_factory=dict)

    @property
    def written(self) -> list[FileOutcome]:
        """The files that were de-identified and written."""
        return [outcome for outcome in self.files if outcome.dst is not None]


def deidentify_tree(
    src_dir: str | os.PathLike,
    dst_dir: str | os.PathLike,
    *,
    shift_dates: bool = True,
    max_shift_days: int = 365,
    seed: int = 0,
    keep_private: bool = False,
    uid_map: UidMapper | None = None,
    prefix: str = "ANON",
) -> TreeResult:
    """De-identify every DICOM file under ``src_dir`` into ``dst_dir``.

    Parameters
    ----------
    src_dir, dst_dir : path-like
        Input tree (read only) and output directory (must not lie inside ``src_dir``).
    shift_dates : bool
        Shift dates by one random offset per patient, drawn uniformly in
        ``[-max_shift_days, max_shift_days]`` (never 0); False applies the table's
        Basic Profile action to dates instead.
    max_shift_days : int
        Largest absolute offset in days (default 365).
    seed : int
        Seed of the offsets, for reproducible teaching runs.
    keep_private : bool
        As in :func:`course_lib.privacy.deidentify`.
    uid_map : UidMapper, optional
        Reuse a map (e.g. to add files to a study de-identified earlier).
    prefix : str
        Pseudonyms are ``f"{prefix}{n:04d}"`` in order of first appearance.

    Returns
    -------
    TreeResult
        Outputs are ``dst_dir/<pseudonym>/<new SOP Instance UID>.dcm``.
    """
    src_dir, dst_dir = Path(src_dir).resolve(), Path(dst_dir).resolve()
    if not src_dir.is_dir():
        raise NotADirectoryError(f"src_dir {src_dir} is not a directory")
    if dst_dir == src_dir or src_dir in dst_dir.parents:
        raise ValueError(f"dst_dir {dst_dir} must lie outside src_dir {src_dir}")
    if max_shift_days < 1:
        raise ValueError(f"max_shift_days must be >= 1, got {max_shift_days}")
    result = TreeResult(uid_map=uid_map if uid_map is not None else UidMapper())
    rng = random.Random(seed)
    for src in sorted(path for path in src_dir.rglob("*") if path.is_file()):
        try:
            dataset = pydicom.dcmread(src)
        except (InvalidDicomError, OSError, ValueError) as error:
            result.files.append(FileOutcome(src, None, f"not readable as DICOM: {error}"))
            continue
        if is_dicomdir(dataset):
            result.files.append(
                FileOutcome(src, None, f"DICOMDIR: not de-identified; {_DICOMDIR_FIX}")
            )
            continue
        original_id = str(dataset.get("PatientID", "")).strip() or "<no Patient ID>"
        if original_id not in result.pseudonyms:
            pseudonym = f"{prefix}{len(result.pseudonyms) + 1:04d}"
            result.pseudonyms[original_id] = pseudonym
            result.date_shifts[pseudonym] = rng.choice(
                [d for d in range(-max_shift_days, max_shift_days + 1) if d != 0]
            )
        pseudonym = result.pseudonyms[original_id]
        clean, report = deidentify(
            dataset,
            uid_map=result.uid_map,
            patient_id=pseudonym,
            keep_private=keep_private,
            date_shift_days=result.date_shifts[pseudonym] if shift_dates else None,
        )
        name = str(clean.get("SOPInstanceUID", "")) or result.uid_map(str(src))
        dst = write_atomically(clean, dst_dir / pseudonym / f"{name}.dcm")
        result.files.append(FileOutcome(src, dst, "de-identified", report))
    return result
