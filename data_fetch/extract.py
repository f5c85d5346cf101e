"""Unpack tar and zip archives without letting them write outside their folder.

:func:`safe_extract` does the writing itself, member by member, into a fresh private
folder beside the destination; it never calls ``extractall``, so it behaves the same
on every Python version (with or without ``tarfile.data_filter``, PEP 706). It refuses
the archive (:class:`~data_fetch.errors.UnsafeArchiveError`) when

* a member name is absolute (``/etc/passwd``, ``C:\\x``) or has a ``..`` component
  ("zip slip", CVE-2007-4559);
* a member would be written, or a symbolic link would point, somewhere whose *real*
  path (``os.path.realpath``: every link of a chain followed, as the operating system
  would) is outside the folder. The check is made on the disk as it is when the member
  is written, and once more for every link when the archive is done, because a later
  link can change where an earlier one leads;
* a member is a device, FIFO or other special file, or a hard link to something
  that is not an earlier member of the archive;
* it unpacks to more than a bound: ``max_ratio`` times the archive's size, ``max_bytes``
  if given, the free disk space, or more than ``max_members`` members (archive bombs).

Files are created with ``O_EXCL | O_NOFOLLOW`` and without the archive's owners or
permission bits. A completion marker is written last and the folder is renamed into
place; a folder without a valid marker is never taken as a finished extraction, and
after any failure nothing is left behind.

References
----------
CVE-2007-4559 (tarfile path traversal); Snyk, "Zip Slip" (2018); PEP 706 (tarfile
extraction filters), whose ``data`` filter rules this module follows without relying on it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

from .cache import refuse_symlink
from .errors import ArchiveError, UnsafeArchiveError

__all__ = [
    "MARKER_NAME",
    "MAX_RATIO",
    "MAX_MEMBERS",
    "safe_extract",
    "is_extracted",
    "check_member_path",
]

logger = logging.getLogger(__name__)

MARKER_NAME = ".data_fetch_complete"
#: Largest accepted (unpacked bytes) / (archive bytes). The course's archives are plain
#: tars of .nii.gz files (ratio about 1); gzip cannot exceed about 1032.
MAX_RATIO = 20.0
#: Largest accepted number of members (IXI T1 has about 600, MSD brain tumour about 1,250).
MAX_MEMBERS = 100_000
_CHUNK = 1 << 20


def check_member_path(name: str, archive: str) -> str:
    """Check one member name; return its normalised relative POSIX path.

    Raises
    ------
    UnsafeArchiveError
        For an absolute path, a drive letter or a ``..`` component.
    """
    path = name.replace("\\", "/")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: member {name!r} has an absolute path."
        )
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: member {name!r} contains '..' and would be "
            "written outside the destination folder (path traversal)."
        )
    return "/".join(parts)


class _Writer:
    """Writes members below ``root`` after checking their real paths; counts bytes."""

    def __init__(self, root: Path, archive: str, budget: int, max_members: int) -> None:
        self.root = os.path.realpath(root)
        self.archive = archive
        self.budget = budget
        self.max_members = max_members
        self.written = 0
        self.members = 0

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.root or real.startswith(self.root + os.sep)

    def _refuse(self, name: str, what: str) -> None:
        raise UnsafeArchiveError(
            f"Refusing to extract {self.archive}: {what} {name!r} resolves outside the "
            "destination folder (through a symbolic link)."
        )

    def _count(self, name: str) -> str:
        self.members += 1
        if self.members > self.max_members:
            raise UnsafeArchiveError(
                f"Refusing to extract {self.archive}: more than {self.max_members:,} members."
            )
        relative = check_member_path(name, self.archive)
        return os.path.join(self.root, *relative.split("/")) if relative else self.root

    def _directory(self, name: str, path: str) -> None:
        if not self._inside(path):
            self._refuse(name, "folder")
        os.makedirs(os.path.realpath(path), exist_ok=True)

    def directory(self, name: str) -> None:
        self._directory(name, self._count(name))

    def file(self, name: str, source: BinaryIO, size: int) -> None:
        path = self._count(name)
        if path == self.root:
            return
        self._directory(name, os.path.dirname(path))
        if not self._inside(path):
            self._refuse(name, "member")
        if self.written + size > self.budget:
            self._too_big()
        if os.path.lexists(path):  # a repeated member replaces the earlier one
            if os.path.isdir(path) and not os.path.islink(path):
                raise UnsafeArchiveError(
                    f"Refusing to extract {self.archive}: member {name!r} is both a folder "
                    "and a file."
                )
            os.unlink(path)
        flags = (
            os.O_WRONLY
            | os.O_CREAT
            | os.O_EXCL
            | getattr(os, "O_NOFOLLOW", 0)
            | getattr(os, "O_BINARY", 0)
        )
        with os.fdopen(os.open(path, flags, 0o644), "wb") as sink:
            for chunk in iter(lambda: source.read(_CHUNK), b""):
                self.written += len(chunk)
                if self.written > self.budget:
                    self._too_big()
                sink.write(chunk)

    def symlink(self, name: str, target: str) -> None:
        path = self._count(name)
        target_text = target.replace("\\", "/")
        if target_text.startswith("/") or (len(target_text) > 1 and target_text[1] == ":"):
            raise UnsafeArchiveError(
                f"Refusing to extract {self.archive}: symlink {name!r} points to the "
                f"absolute path {target!r}, outside the destination folder."
            )
        self._directory(name, os.path.dirname(path))
        if not self._inside(os.path.join(os.path.dirname(path), target_text)):
            raise UnsafeArchiveError(
                f"Refusing to extract {self.archive}: symlink {name!r} -> {target!r} "
                "points outside the destination folder."
            )
        if os.path.lexists(path):
            self._refuse(name, "member")
        os.symlink(target_text, path)

    def finish(self) -> None:
        """Check every link once more: a later link can redirect an earlier one."""
        for folder, folders, names in os.walk(self.root):
            for name in folders + names:
                path = os.path.join(folder, name)
                if os.path.islink(path) and not self._inside(path):
                    self._refuse(os.path.relpath(path, self.root), "symlink")

    def _too_big(self) -> None:
        raise UnsafeArchiveError(
            f"Refusing to extract {self.archive}: it unpacks to more than {self.budget:,} "
            f"bytes (the limit: {MAX_RATIO:g} times the archive's size, the free disk "
            "space or the declared size). It may be an archive bomb; report it."
        )


def _extract_tar(handle: tarfile.TarFile, writer: _Writer) -> None:
    for member in handle:
        if member.isdir():
            writer.directory(member.name)
        elif member.issym():
            writer.symlink(member.name, member.linkname)
        elif member.isfile() or member.islnk():
            try:  # a hard link is read from the archive: the member it names
                source = handle.extractfile(member)
            except KeyError:
                raise UnsafeArchiveError(
                    f"Refusing to extract {writer.archive}: hard link {member.name!r} -> "
                    f"{member.linkname!r} does not name an earlier member."
                ) from None
            with source:
                writer.file(member.name, source, member.size)
        else:
            raise UnsafeArchiveError(
                f"Refusing to extract {writer.archive}: member {member.name!r} is a device "
                "or special file."
            )


def _extract_zip(handle: zipfile.ZipFile, writer: _Writer) -> None:
    for info in handle.infolist():
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnsafeArchiveError(
                f"Refusing to extract {writer.archive}: member {info.filename!r} is a symlink."
            )
        if info.is_dir():
            writer.directory(info.filename)
            continue
        with handle.open(info) as source:
            writer.file(info.filename, source, info.file_size)


def is_extracted(destination: os.PathLike | str, archive_hash: str) -> bool:
    """Return True if ``destination`` holds a completed extraction of the archive
    whose checksum is ``archive_hash``."""
    destination = Path(destination)
    if destination.is_symlink():
        return False
    try:
        record = json.loads((destination / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("archive_hash") == archive_hash


def safe_extract(
    archive: os.PathLike | str,
    destination: os.PathLike | str,
    archive_hash: str = "",
    *,
    max_bytes: int | None = None,
    max_ratio: float = MAX_RATIO,
    max_members: int = MAX_MEMBERS,
) -> Path:
    """Extract a tar (any compression) or zip archive safely.

    Parameters
    ----------
    archive : path-like
        The ``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz`` or ``.zip`` file.
    destination : path-like
        Folder to create; must not exist unless it is a completed extraction of the
        same archive (then nothing is done) or lacks a marker (then it is removed and
        extracted again). A symbolic link there is refused.
    archive_hash : str
        Checksum of the archive, recorded in the completion marker.
    max_bytes : int, optional
        Most bytes the archive may unpack to (e.g. the size a registry declares).
    max_ratio : float
        Most unpacked bytes per archive byte (default :data:`MAX_RATIO`).
    max_members : int
        Most members (files, folders, links) accepted.

    Returns
    -------
    pathlib.Path
        ``destination``.

    Raises
    ------
    UnsafeArchiveError
        If a member is unsafe or a bound is exceeded; nothing is left behind.
    ArchiveError
        If the file is not a readable tar or zip archive.
    UnsafeCacheError
        If ``destination`` is a symbolic link.
    """
    archive, destination = Path(archive), Path(destination)
    refuse_symlink(destination, "extraction folder")
    if is_extracted(destination, archive_hash):
        return destination
    if destination.exists():
        logger.warning("Removing incomplete extraction %s", destination)
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    budget = int(max_ratio * archive.stat().st_size)
    budget = min(budget, shutil.disk_usage(destination.parent).free)
    if max_bytes is not None:
        budget = min(budget, int(max_bytes))
    temporary = Path(
        tempfile.mkdtemp(prefix=f".{destination.name}.extract-", dir=destination.parent)
    )
    writer = _Writer(temporary, archive.name, budget, max_members)
    try:
        try:
            if zipfile.is_zipfile(archive):
                with zipfile.ZipFile(archive) as handle:
                    _extract_zip(handle, writer)
            elif tarfile.is_tarfile(archive):
                with tarfile.open(archive) as handle:
                    _extract_tar(handle, writer)
            else:
                raise ArchiveError(
                    f"{archive} is neither a tar nor a zip archive. Delete it and fetch "
                    "it again; if that does not help, report it."
                )
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
            raise ArchiveError(
                f"Could not extract {archive} ({type(error).__name__}: {error}). Run "
                "`python -m data_fetch verify` to re-check the archive, and free disk "
                "space if it is full."
            ) from error
        writer.finish()
        marker = {"archive": archive.name, "archive_hash": archive_hash}
        (temporary / MARKER_NAME).write_text(json.dumps(marker))
        os.replace(temporary, destination)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return destination
