"""Check the cache byte by byte (``verify``) and write a classroom mirror (``export``)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from .cache import dataset_dir, ensure_writable
from .download import DEFAULT_TIMEOUT, is_cached, lock_path
from .errors import DataFetchError
from .extract import is_extracted
from .fetch import cached_names, describe_failure, extract_item, extracted_path, fetch_file
from .hashing import remove_with_stamp, stamp_path
from .mirror import copy_verified, write_export_registry
from .registry import Registry, load_registry

__all__ = ["VerifyReport", "verify", "export"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyReport:
    """Result of checking one file.

    Attributes
    ----------
    name, filename : str
        Registry entry and file.
    status : str
        ``"ok"``; ``"missing"`` (not in the cache); ``"repaired"`` (was
        corrupted or half-extracted, fetched/extracted again); ``"corrupted"``
        (bad checksum, deleted, not repaired); ``"failed"`` (repair failed).
    message : str
        Human-readable detail.
    """

    name: str
    filename: str
    status: str
    message: str = ""

    @property
    def ok(self) -> bool:
        """True for ``"ok"`` and ``"repaired"``."""
        return self.status in ("ok", "repaired")


def _fetch_options(offline, mirror, progress, timeout, retries, backoff) -> dict:
    return dict(
        offline=offline,
        mirror=mirror,
        progress=progress,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
    )


def verify(
    names: list[str] | None = None,
    *,
    registry: Registry | None = None,
    cache_dir: os.PathLike | str | None = None,
    repair: bool = True,
    offline: bool | None = None,
    mirror: str | None = None,
    progress: bool = True,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 3,
    backoff: float = 1.0,
) -> list[VerifyReport]:
    """Re-hash every byte of cached files and repair what is broken.

    Parameters
    ----------
    names : list of str, optional
        Entries to check (default: every entry with a file in the cache).
    repair : bool
        Fetch a corrupted file again and redo a missing/incomplete extraction.
    registry, cache_dir, offline, mirror, progress, timeout, retries, backoff
        As in :func:`data_fetch.fetch`.

    Returns
    -------
    list of VerifyReport
        One per file checked.
    """
    registry = load_registry() if registry is None else registry
    names = cached_names(registry, cache_dir) if names is None else list(names)
    options = _fetch_options(offline, mirror, progress, timeout, retries, backoff)
    reports = []
    for name in names:
        spec = registry[name]
        for item in spec.files:
            target = dataset_dir(spec.name, cache_dir) / item.filename
            if not target.exists():
                hint = f"not downloaded; run `python -m data_fetch get {name}`"
                reports.append(VerifyReport(name, item.filename, "missing", hint))
                continue
            status, message = "ok", "checksum matches"
            if not is_cached(target, item.hash, full_check=True):
                remove_with_stamp(target)
                status, message = "corrupted", f"checksum mismatch ({item.hash} expected); deleted"
                if repair:
                    try:
                        fetch_file(spec, item, cache_dir=cache_dir, **options)
                        status, message = "repaired", "checksum mismatch; fetched again"
                    except Exception as error:  # report every failure, keep going
                        status = "failed"
                        message = f"could not fetch again: {describe_failure(error)}"
            if status in ("ok", "repaired") and item.extract:
                destination = extracted_path(spec, item, cache_dir)
                if not is_extracted(destination, item.hash):
                    if repair:
                        extract_item(spec, item, target, cache_dir)
                        status, message = "repaired", message + "; extracted again"
                    else:
                        status, message = "corrupted", "archive not (completely) extracted"
            reports.append(VerifyReport(name, item.filename, status, message))
    return reports


def export(
    directory: os.PathLike | str,
    names: list[str] | None = None,
    *,
    registry: Registry | None = None,
    cache_dir: os.PathLike | str | None = None,
    offline: bool | None = None,
    mirror: str | None = None,
    progress: bool = True,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 3,
    backoff: float = 1.0,
) -> Path:
    """Write a classroom mirror: verified files plus a ``registry.json``.

    Parameters
    ----------
    directory : path-like
        Output folder (created); receives ``<name>/<filename>`` and ``registry.json``.
    names : list of str, optional
        Entries to export (fetched first if needed). Default: every entry
        already complete in the cache.
    registry, cache_dir, offline, mirror, progress, timeout, retries, backoff
        As in :func:`data_fetch.fetch`.

    Returns
    -------
    pathlib.Path
        ``directory``.

    Raises
    ------
    DataFetchError
        If nothing is cached and no names were given, or a file cannot be
        fetched or verified (files already exported stay, each verified).
    """
    registry = load_registry() if registry is None else registry
    directory = ensure_writable(Path(directory).expanduser())
    if names is None:
        names = [
            name
            for name in cached_names(registry, cache_dir)
            if all(
                is_cached(dataset_dir(name, cache_dir) / item.filename, item.hash)
                for item in registry[name].files
            )
        ]
        if not names:
            raise DataFetchError(
                "Nothing to export: no data set is complete in the cache. Run "
                "`python -m data_fetch get NAME` first, or name the data sets to export."
            )
    options = _fetch_options(offline, mirror, progress, timeout, retries, backoff)
    for name in names:
        spec = registry[name]
        for item in spec.files:
            cached = dataset_dir(spec.name, cache_dir) / item.filename
            if not is_cached(cached, item.hash, full_check=True):
                remove_with_stamp(cached)
                fetch_file(spec, item, cache_dir=cache_dir, **options)
            exported = directory / spec.name / item.filename
            copy_verified(cached, exported, item.hash, progress=progress)
            for leftover in (stamp_path(exported), lock_path(exported)):
                leftover.unlink(missing_ok=True)
    write_export_registry(registry, [registry[name].name for name in names], directory)
    logger.info("Exported %d data set(s) to %s", len(names), directory)
    return directory
