"""Real public medical-image data sets for the course, fetched safely.

The course never depends on this package: every chapter runs on simulated data
(``course_lib.simulation``). With ``COURSE_DATA=real`` a chapter reads a real data set
through :mod:`course_lib.real_data`, which finds it here: ``data_fetch`` downloads the
data sets listed in ``data_fetch/registry.json`` (every URL and checksum copied from a
cited published source), verifies them, and unpacks archives safely.

Command line::

    python -m data_fetch list | info NAME | get NAME... | verify [NAME...] | export DIR

Python::

    from data_fetch import fetch
    fetch("msd_hippocampus")        # verified download + safe extraction; returns the path

What it guarantees against a hostile network, mirror, archive or shared cache (issue 20):
HTTPS only (loopback and an explicit classroom mirror excepted), a mirror never redirects
to another host, bodies are stored as sent and hashed (never decoded), downloads and
archives are bounded, archive members are written only where their real path stays inside
their folder, and no symbolic link in the cache is ever followed. Every error is a
:class:`DataFetchError` whose message names the file or URL and what to do.
"""

from __future__ import annotations

from .cache import cache_root, dataset_dir, is_offline, mirror_setting
from .download import download_file, is_cached
from .errors import (
    ArchiveError,
    CacheNotWritableError,
    DataFetchError,
    DownloadError,
    HashMismatchError,
    InsecureURLError,
    OfflineError,
    RegistryError,
    UnknownDatasetError,
    UnsafeArchiveError,
    UnsafeCacheError,
)
from .extract import safe_extract
from .fetch import data_path, fetch, is_dataset_cached
from .hashing import file_hash
from .maintenance import VerifyReport, export, verify
from .registry import DatasetSpec, FileSpec, Registry, load_registry

__all__ = [
    "fetch",
    "verify",
    "export",
    "download_file",
    "safe_extract",
    "file_hash",
    "load_registry",
    "Registry",
    "DatasetSpec",
    "FileSpec",
    "VerifyReport",
    "data_path",
    "is_cached",
    "is_dataset_cached",
    "cache_root",
    "dataset_dir",
    "is_offline",
    "mirror_setting",
    "DataFetchError",
    "UnknownDatasetError",
    "RegistryError",
    "InsecureURLError",
    "DownloadError",
    "HashMismatchError",
    "OfflineError",
    "CacheNotWritableError",
    "ArchiveError",
    "UnsafeArchiveError",
    "UnsafeCacheError",
]
