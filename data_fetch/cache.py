"""Where fetched files live, and the environment switches that steer fetching.

The cache is the course's one data directory (the simulator's too):
``course_lib.core.paths.data_dir()``, i.e. ``$COURSE_DATA_DIR`` or a per-user default
(``~/.cache/ml-medical-course``). Real data sets go below ``<cache>/real/<name>/``.

Environment variables
---------------------
``COURSE_DATA_DIR``
    The cache directory.
``COURSE_OFFLINE``
    ``1`` (or ``true``/``yes``/``on``): never touch the network; use cached files
    or a mirror *folder* only.
``COURSE_DATA_MIRROR``
    A classroom mirror tried before the public URLs: a folder (USB stick, shared
    drive) or an ``http(s)://`` base URL, laid out as written by
    ``python -m data_fetch export DIR`` (``DIR/<name>/<filename>``).

A shared cache (one ``COURSE_DATA_DIR`` for a classroom) may hold links planted by
someone else: data set and file names must be plain names (:func:`check_plain_name`),
data set folders must resolve inside the cache, and no symbolic link in the cache is
followed (:func:`refuse_symlink`, :func:`open_cache_file`).
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

from course_lib.core.paths import DATA_DIR_ENV, data_dir  # lazy package: no torch imported

from .errors import CacheNotWritableError, RegistryError, UnsafeCacheError

__all__ = [
    "DATA_DIR_ENV",
    "OFFLINE_ENV",
    "MIRROR_ENV",
    "cache_root",
    "dataset_dir",
    "ensure_writable",
    "is_offline",
    "mirror_setting",
    "mirror_is_url",
    "refuse_symlink",
    "open_cache_file",
    "check_plain_name",
]

OFFLINE_ENV = "COURSE_OFFLINE"
MIRROR_ENV = "COURSE_DATA_MIRROR"
_TRUE = {"1", "true", "yes", "on"}
_REAL_SUBDIR = "real"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def check_plain_name(name: str, what: str = "data set name") -> str:
    """Return ``name`` if it can only mean one file or folder inside its parent.

    A plain name starts with a letter or digit and holds only letters, digits,
    ``_``, ``-`` and ``.`` (never ``..``): no separator, drive, ``~`` or hidden name.

    Raises
    ------
    RegistryError
        (a ``ValueError``) naming the bad value.
    """
    if not isinstance(name, str) or not _PLAIN_NAME.fullmatch(name) or ".." in name:
        raise RegistryError(
            f"The {what} {name!r} is not a plain folder name (letters, digits, '_', '-', "
            "'.'; no '/', '\\' or '..'): it could point outside the cache. Fix the registry."
        )
    return name


def cache_root(cache_dir: os.PathLike | str | None = None) -> Path:
    """Return the folder holding real data sets (not created here).

    Parameters
    ----------
    cache_dir : path-like, optional
        The course data directory. Default: ``$COURSE_DATA_DIR`` or the
        platform default (see the module docstring).

    Returns
    -------
    pathlib.Path
        ``<cache_dir>/real``.
    """
    base = Path(cache_dir).expanduser() if cache_dir is not None else data_dir()
    return base / _REAL_SUBDIR


def dataset_dir(name: str, cache_dir: os.PathLike | str | None = None) -> Path:
    """Return ``<cache>/real/<name>``, the folder of one data set (not created).

    Raises
    ------
    RegistryError
        If ``name`` is not a plain folder name (see :func:`check_plain_name`).
    UnsafeCacheError
        If ``<cache>/real`` or the folder is a symbolic link, or resolves outside the cache.
    """
    root = refuse_symlink(cache_root(cache_dir), "cache folder")
    folder = refuse_symlink(root / check_plain_name(name), "data set folder")
    real_root = os.path.realpath(root)
    if not os.path.realpath(folder).startswith(real_root + os.sep):
        raise UnsafeCacheError(
            f"The data set folder {folder} resolves outside the cache {root}. Delete it "
            "and run the command again."
        )
    return folder


def _probe_write(directory: Path) -> None:
    """Create and delete a temporary file in ``directory`` (raises OSError)."""
    handle, name = tempfile.mkstemp(dir=directory, prefix=".write-test-")
    os.close(handle)
    os.unlink(name)


def ensure_writable(directory: os.PathLike | str) -> Path:
    """Create ``directory`` if needed and check that files can be written in it.

    A real write is attempted (``os.access`` is not trusted: it says yes to
    root and knows nothing of read-only mounts).

    Returns
    -------
    pathlib.Path
        The directory.

    Raises
    ------
    CacheNotWritableError
        With the reason and how to choose another cache directory.
    """
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _probe_write(directory)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CacheNotWritableError(
            f"The data cache {directory} is not writable ({reason}). Point the "
            f"cache at a folder you can write, e.g. `export {DATA_DIR_ENV}="
            f"$HOME/course-data` (Windows: `set {DATA_DIR_ENV}=%USERPROFILE%\\course-data`), "
            "then run the command again."
        ) from error
    return directory


def is_offline(offline: bool | None = None) -> bool:
    """Return ``offline`` if given, else whether ``COURSE_OFFLINE`` is set to a true value."""
    if offline is not None:
        return bool(offline)
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in _TRUE


def mirror_setting(mirror: os.PathLike | str | None = None) -> str | None:
    """Return the classroom mirror (argument, else ``COURSE_DATA_MIRROR``), or None."""
    if mirror is not None:
        value = str(mirror).strip()
    else:
        value = os.environ.get(MIRROR_ENV, "").strip()
    return value or None


def mirror_is_url(mirror: str) -> bool:
    """Return True if the mirror is an ``http://`` or ``https://`` base URL."""
    return mirror.lower().startswith(("http://", "https://"))


def refuse_symlink(path: os.PathLike | str, what: str = "cache file") -> Path:
    """Raise :class:`UnsafeCacheError` if ``path`` is a symbolic link; return it as a Path.

    Checked with ``lstat`` (the link itself, never its target). Writers also open with
    ``O_NOFOLLOW``, which closes the gap between this check and the open.
    """
    path = Path(path)
    if path.is_symlink():
        raise UnsafeCacheError(
            f"Refusing to use the {what} {path}: it is a symbolic link (to "
            f"{os.readlink(path)}), which data_fetch never follows because someone sharing "
            "the cache could point it at your files. Delete the link and run the command again."
        )
    return path


_MODES = {
    "rb": os.O_RDONLY,
    "wb": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "ab": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
}


def open_cache_file(path: os.PathLike | str, mode: str = "rb"):
    """Open a cache file (``mode`` ``"rb"``, ``"wb"`` or ``"ab"``) without following a link.

    Raises
    ------
    UnsafeCacheError
        If ``path`` is a symbolic link (checked with ``lstat``, then enforced by
        ``O_NOFOLLOW`` where the platform has it).
    """
    path = refuse_symlink(path)
    flags = _MODES[mode] | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(path, flags, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:  # a link appeared after the check
            refuse_symlink(path)
        raise
    return os.fdopen(handle, mode)
