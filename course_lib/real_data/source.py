"""The ``COURSE_DATA`` switch, and where a fetched real data set lies (all real-data chapters).

``COURSE_DATA=simulated`` (the default) or ``COURSE_DATA=real`` chooses the data a chapter
runs on. A real data set must be in the cache first (``python -m data_fetch get NAME``);
:func:`fetched_path` finds it there, or fetches it when ``download=True``.
"""

from __future__ import annotations

import os
from pathlib import Path

from course_lib._checks import check_choice
from course_lib.exceptions import CourseLibError

__all__ = [
    "DATA_ENV",
    "CHOICES",
    "RealDataNotCachedError",
    "data_source",
    "use_real_data",
    "fetched_path",
]

DATA_ENV = "COURSE_DATA"
CHOICES = ("simulated", "real")


class RealDataNotCachedError(CourseLibError, LookupError):
    """A real data set was asked for but is not in the cache (and ``download`` was False)."""


def data_source() -> str:
    """Return ``"simulated"`` (default) or ``"real"``, from the environment variable ``COURSE_DATA``.

    Raises
    ------
    ValueError
        For any other value, naming the choices.
    """
    value = os.environ.get(DATA_ENV, "").strip().lower() or "simulated"
    return check_choice(f"the environment variable {DATA_ENV}", value, CHOICES)


def use_real_data() -> bool:
    """True when ``COURSE_DATA=real``: the chapter should call its real-data loader."""
    return data_source() == "real"


def fetched_path(name: str, *, download: bool = False, registry=None, cache_dir=None) -> Path:
    """Local path of the registry entry ``name`` (its file, or its extracted folder).

    Parameters
    ----------
    name : str
        ``data_fetch`` registry name, e.g. ``"ixi_t1"``.
    download : bool
        Fetch it (checksum-verified, through ``COURSE_DATA_MIRROR`` if set) when it is
        not cached. Default False: no hidden downloads.
    registry : data_fetch.Registry or path-like, optional
        Another registry (tests); default the packaged one.
    cache_dir : path-like, optional
        The course data directory; default ``COURSE_DATA_DIR``.

    Raises
    ------
    RealDataNotCachedError
        Not cached and ``download`` is False; the message gives the command to fetch it.
    """
    from data_fetch import data_path, dataset_dir, fetch, is_dataset_cached, load_registry

    if registry is None or isinstance(registry, (str, os.PathLike)):
        registry = load_registry(registry)
    spec = registry[name]
    if download:
        return fetch(spec.name, registry=registry, cache_dir=cache_dir)
    if not is_dataset_cached(spec, cache_dir):
        size = (dict(spec.raw).get("size") or {}).get("approx")
        raise RealDataNotCachedError(
            f"{spec.title} ({spec.name}) is not in the cache {dataset_dir(spec.name, cache_dir)}. "
            f"Fetch it once with `python -m data_fetch get {spec.name}`"
            f"{f' ({size})' if size else ''}, or pass download=True; or unset {DATA_ENV} to "
            "run the chapter on simulated data."
        )
    return data_path(spec, cache_dir)
