"""Fetch registry data sets into the cache: mirror first, offline-aware.

For each file of a data set, :func:`fetch` uses, in order: the verified file
already in the cache; the classroom mirror (``COURSE_DATA_MIRROR``, a folder or
a base URL); the public URLs of the registry. With ``COURSE_OFFLINE=1`` only
the cache and a mirror *folder* are used: the network is never touched.
Archives are unpacked with :func:`data_fetch.extract.safe_extract`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from filelock import FileLock

from .cache import (
    cache_root,
    dataset_dir,
    ensure_writable,
    is_offline,
    mirror_is_url,
    mirror_setting,
    refuse_symlink,
)
from .download import DEFAULT_TIMEOUT, download_file, is_cached
from .errors import (
    DataFetchError,
    DownloadError,
    HashMismatchError,
    InsecureURLError,
    OfflineError,
)
from .extract import is_extracted, safe_extract
from .hashing import remove_with_stamp
from .mirror import copy_verified, mirror_path, mirror_url
from .registry import DatasetSpec, FileSpec, Registry, load_registry

__all__ = [
    "fetch",
    "fetch_file",
    "data_path",
    "extracted_path",
    "is_dataset_cached",
    "cached_names",
    "extract_item",
]

logger = logging.getLogger(__name__)


def extracted_path(spec: DatasetSpec, item: FileSpec, cache_dir=None) -> Path:
    """Folder an archive of ``spec`` is unpacked into: ``<cache>/real/<name>/<stem>``."""
    stem = item.filename
    for suffix in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".zip"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return dataset_dir(spec.name, cache_dir) / stem


def data_path(spec: DatasetSpec, cache_dir=None) -> Path:
    """Where the usable data of ``spec`` lives once fetched.

    Returns
    -------
    pathlib.Path
        For a single plain file: that file; for a single archive: the folder it
        is extracted into; for several files: the data set's folder.
    """
    if len(spec.files) == 1:
        item = spec.files[0]
        if item.extract:
            return extracted_path(spec, item, cache_dir)
        return dataset_dir(spec.name, cache_dir) / item.filename
    return dataset_dir(spec.name, cache_dir)


def is_dataset_cached(spec: DatasetSpec, cache_dir=None, full_check: bool = False) -> bool:
    """True if every file of ``spec`` is in the cache with its checksum (and extracted)."""
    folder = dataset_dir(spec.name, cache_dir)
    for item in spec.files:
        if not is_cached(folder / item.filename, item.hash, full_check=full_check):
            return False
        if item.extract and not is_extracted(extracted_path(spec, item, cache_dir), item.hash):
            return False
    return True


def _offline_message(spec: DatasetSpec, item: FileSpec, folder: Path) -> str:
    return (
        f"COURSE_OFFLINE=1 is set and {spec.name!r} ({item.filename}) is not in the "
        f"cache {folder}. To pre-fetch it, run `python -m data_fetch get {spec.name}` "
        "on a machine with internet access (with the same COURSE_DATA_DIR), or copy a "
        "folder written by `python -m data_fetch export DIR` and set "
        "COURSE_DATA_MIRROR=DIR. Without the data the chapters use simulated data."
    )


def fetch_file(
    spec: DatasetSpec,
    item: FileSpec,
    *,
    cache_dir=None,
    offline: bool | None = None,
    mirror: str | None = None,
    progress: bool = True,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 3,
    backoff: float = 1.0,
    keep_partial: bool = False,
) -> Path:
    """Put one verified file of ``spec`` in the cache and return its path.

    See :func:`fetch` for the parameters. Sources are tried in order (cache,
    mirror, public URLs); the last error is raised if all fail.
    """
    folder = dataset_dir(spec.name, cache_dir)
    target = folder / item.filename
    if is_cached(target, item.hash):
        return target
    if target.exists():  # present but wrong checksum: never leave it in the cache
        logger.warning("Cached %s fails its checksum; fetching it again", target)
        try:
            remove_with_stamp(target)
        except OSError as error:
            logger.warning("Could not delete the corrupted file %s: %s", target, error)
    offline = is_offline(offline)
    mirror = mirror_setting(mirror)
    options = dict(
        progress=progress,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        keep_partial=keep_partial,
    )
    errors: list[Exception] = []
    if mirror and not mirror_is_url(mirror):
        try:
            return copy_verified(
                mirror_path(mirror, spec.name, item.filename), target, item.hash, progress=progress
            )
        except FileNotFoundError as error:
            logger.info("Mirror folder %s: %s", mirror, error)
            errors.append(error)
        except HashMismatchError as error:
            logger.warning("Mirror folder %s holds a bad copy: %s", mirror, error)
            errors.append(error)
    if offline:
        raise OfflineError(_offline_message(spec, item, folder))
    urls = [(url, False) for url in item.urls]
    if mirror and mirror_is_url(mirror):
        urls.insert(0, (mirror_url(mirror, spec.name, item.filename), True))
    for url, is_mirror in urls:
        try:
            return download_file(url, target, item.hash, allow_http=is_mirror, **options)
        except (DownloadError, HashMismatchError, InsecureURLError) as error:
            if isinstance(error, InsecureURLError) and not is_mirror:
                raise
            level = (
                logging.INFO if is_mirror and isinstance(error, DownloadError) else logging.WARNING
            )
            logger.log(level, "%s", error)
            errors.append(error)
    raise errors[-1]


def fetch(
    name: str,
    *,
    registry: Registry | None = None,
    cache_dir: os.PathLike | str | None = None,
    offline: bool | None = None,
    mirror: os.PathLike | str | None = None,
    progress: bool = True,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 3,
    backoff: float = 1.0,
    keep_partial: bool = False,
) -> Path:
    """Make the data set ``name`` available in the cache and return its path.

    Parameters
    ----------
    name : str
        Registry name (``python -m data_fetch list``), e.g. ``"dermamnist"``.
    registry : Registry, optional
        Registry to use (default: the packaged one).
    cache_dir : path-like, optional
        Course data directory (default ``$COURSE_DATA_DIR`` or the platform default).
    offline : bool, optional
        Never use the network (default: ``$COURSE_OFFLINE``).
    mirror : str or path-like, optional
        Classroom mirror folder or base URL (default: ``$COURSE_DATA_MIRROR``).
    progress : bool
        Show progress bars.
    timeout, retries, backoff, keep_partial
        Passed to :func:`data_fetch.download.download_file`.

    Returns
    -------
    pathlib.Path
        :func:`data_path` of the entry: the ``.npz`` file, the extracted folder...

    Raises
    ------
    UnknownDatasetError, OfflineError, DownloadError, HashMismatchError,
    CacheNotWritableError, UnsafeArchiveError
    """
    registry = load_registry() if registry is None else registry
    spec = registry[name]
    for item in spec.files:
        archive = fetch_file(
            spec,
            item,
            cache_dir=cache_dir,
            offline=offline,
            mirror=None if mirror is None else str(mirror),
            progress=progress,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            keep_partial=keep_partial,
        )
        if item.extract:
            extract_item(spec, item, archive, cache_dir)
    return data_path(spec, cache_dir)


def extract_item(spec: DatasetSpec, item: FileSpec, archive: Path, cache_dir=None) -> Path:
    """Unpack a verified archive of ``spec`` (once; under a lock) and return the folder."""
    destination = extracted_path(spec, item, cache_dir)
    if not is_extracted(destination, item.hash):
        ensure_writable(destination.parent)
        lock = refuse_symlink(str(destination) + ".lock", "lock file")
        with FileLock(str(lock)):
            safe_extract(archive, destination, archive_hash=item.hash)
    return destination


def cached_names(registry: Registry, cache_dir=None) -> list[str]:
    """Names of registry entries that have at least one file in the cache."""
    root = cache_root(cache_dir)
    return [
        name
        for name, spec in registry.items()
        if any((root / name / item.filename).exists() for item in spec.files)
    ]


def describe_failure(error: Exception) -> str:
    """One-line message for a fetch error (used by the CLI)."""
    if isinstance(error, DataFetchError):
        return str(error)
    return f"{type(error).__name__}: {error}"
