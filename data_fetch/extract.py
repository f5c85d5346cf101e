"""Unpack tar and zip archives without letting them write outside their folder.

:func:`safe_extract` checks *every* member before writing anything and refuses
the archive (:class:`~data_fetch.errors.UnsafeArchiveError`) when a member

* has an absolute path (``/etc/passwd``, ``C:\\x``) or a ``..`` component
  ("zip slip" / tar path traversal);
* is a symbolic or hard link whose target is absolute or resolves outside the
  extraction folder, or a member that would be written *through* a symlink
  declared earlier in the archive (the two-step link escape);
* is a device, FIFO or other special file.

Extraction goes to a temporary folder beside the destination; a completion
marker is written into it and only then is it renamed into place. A folder
without a valid marker is never taken as a finished extraction.

References
----------
CVE-2007-4559 (tarfile path traversal); Snyk, "Zip Slip" (2018); PEP 706
(tarfile extraction filters, used here as a second line of defence).
"""
from __future__ import annotations

import json
import logging
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path

from .errors import UnsafeArchiveError

__all__ = ["MARKER_NAME", "safe_extract", "is_extracted", "check_member_path"]

logger = logging.getLogger(__name__)

MARKER_NAME = ".data_fetch_complete"


def _normalise(name: str) -> str:
    return name.replace("\\", "/")


def check_member_path(name: str, archive: str) -> str:
    """Check one member name; return its normalised relative POSIX path.

    Raises
    ------
    UnsafeArchiveError
        For an absolute path, a drive letter or a ``..`` component.
    """
    path = _normalise(name)
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: member {name!r} has an absolute path."
        )
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: member {name!r} contains '..' and would "
            "be written outside the destination folder (path traversal)."
        )
    return "/".join(parts)


def _check_link(member_path: str, link: str, hard: bool, archive: str) -> None:
    kind = "hard link" if hard else "symlink"
    link = _normalise(link)
    if link.startswith("/") or (len(link) > 1 and link[1] == ":"):
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: {kind} {member_path!r} points to the "
            f"absolute path {link!r}, outside the destination folder."
        )
    base = "" if hard else posixpath.dirname(member_path)  # hard links: archive-relative
    resolved = posixpath.normpath(posixpath.join(base, link))
    if resolved == ".." or resolved.startswith("../"):
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: {kind} {member_path!r} -> {link!r} "
            "points outside the destination folder."
        )


def _check_tar(tar: tarfile.TarFile, archive: str) -> int:
    """Validate all members; return the total size of regular files in bytes."""
    symlinks: set[str] = set()
    total = 0
    for member in tar.getmembers():
        path = check_member_path(member.name, archive)
        prefix = path.split("/")
        for depth in range(1, len(prefix)):
            if "/".join(prefix[:depth]) in symlinks:
                raise UnsafeArchiveError(
                    f"Refusing to extract {archive}: member {member.name!r} would be "
                    f"written through the symlink {'/'.join(prefix[:depth])!r}."
                )
        if member.issym() or member.islnk():
            _check_link(path, member.linkname, member.islnk(), archive)
            if member.issym():
                symlinks.add(path)
        elif not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(
                f"Refusing to extract {archive}: member {member.name!r} is a device "
                "or special file."
            )
        else:
            total += member.size
    return total


def _check_zip(archive_zip: zipfile.ZipFile, archive: str) -> int:
    total = 0
    for info in archive_zip.infolist():
        check_member_path(info.filename, archive)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(
                f"Refusing to extract {archive}: member {info.filename!r} is a symlink."
            )
        total += info.file_size
    return total


def _check_space(total: int, folder: Path, archive: str) -> None:
    free = shutil.disk_usage(folder).free
    if total > free:
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: it unpacks to {total:,} bytes but only "
            f"{free:,} are free in {folder}."
        )


def is_extracted(destination: os.PathLike | str, archive_hash: str) -> bool:
    """Return True if ``destination`` holds a completed extraction of the archive
    whose checksum is ``archive_hash``."""
    marker = Path(destination) / MARKER_NAME
    try:
        record = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("archive_hash") == archive_hash


def safe_extract(
    archive: os.PathLike | str, destination: os.PathLike | str, archive_hash: str = ""
) -> Path:
    """Extract a tar (any compression) or zip archive safely.

    Parameters
    ----------
    archive : path-like
        The ``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz`` or ``.zip`` file.
    destination : path-like
        Folder to create; must not exist unless it is a completed extraction
        of the same archive (then nothing is done) or lacks a marker (then it
        is removed and extracted again).
    archive_hash : str
        Checksum of the archive, recorded in the completion marker.

    Returns
    -------
    pathlib.Path
        ``destination``.

    Raises
    ------
    UnsafeArchiveError
        If any member is unsafe; nothing is left behind.
    ValueError
        If the file is neither a tar nor a zip archive.
    """
    archive, destination = Path(archive), Path(destination)
    if is_extracted(destination, archive_hash):
        return destination
    if destination.exists():
        logger.warning("Removing incomplete extraction %s", destination)
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(
        tempfile.mkdtemp(prefix=f".{destination.name}.extract-", dir=destination.parent)
    )
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as handle:
                _check_space(_check_zip(handle, archive.name), destination.parent, archive.name)
                handle.extractall(temporary)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as handle:
                _check_space(_check_tar(handle, archive.name), destination.parent, archive.name)
                if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.12
                    handle.extractall(temporary, filter="data")
                else:
                    handle.extractall(temporary)
        else:
            raise ValueError(f"archive={str(archive)!r} is neither a tar nor a zip file.")
        marker = {"archive": archive.name, "archive_hash": archive_hash}
        (temporary / MARKER_NAME).write_text(json.dumps(marker))
        os.replace(temporary, destination)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return destination
