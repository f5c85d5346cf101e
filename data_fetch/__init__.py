"""Real public medical-image data sets for the course, fetched safely.

The course never depends on this package: every chapter runs on simulated data
(``course_lib.simulation``). When a network is available, ``data_fetch``
downloads real data sets listed in ``data_fetch/registry.json`` (every URL and
checksum copied from a cited published source), verifies them, and opens them
with loaders that match the simulator's interfaces.

Command line::

    python -m data_fetch list | info NAME | get NAME... | verify [NAME...] | export DIR

Python::

    from data_fetch import fetch, MedMNISTDataset, real_dataset_or_none
    fetch("dermamnist")                       # explicit download (verified)
    train = real_dataset_or_none("dermamnist", "train")  # None -> use simulated data

The loaders (:class:`MedMNISTDataset`, :class:`MSDDataset`, :class:`IXIDataset`)
import PyTorch and nibabel only when first used.
"""
from __future__ import annotations

from .cache import cache_root, dataset_dir, is_offline, mirror_setting
from .download import download_file, is_cached
from .errors import (
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
from .real import open_dataset, real_dataset_or_none, use_real_data
from .registry import DatasetSpec, FileSpec, Registry, load_registry

__all__ = [
    "fetch", "verify", "export", "download_file", "safe_extract", "file_hash",
    "load_registry", "Registry", "DatasetSpec", "FileSpec", "VerifyReport",
    "data_path", "is_cached", "is_dataset_cached", "cache_root", "dataset_dir",
    "is_offline", "mirror_setting",
    "use_real_data", "real_dataset_or_none", "open_dataset",
    "MedMNISTDataset", "MSDDataset", "IXIDataset",
    "DataFetchError", "UnknownDatasetError", "RegistryError", "InsecureURLError",
    "DownloadError", "HashMismatchError", "OfflineError", "CacheNotWritableError",
    "UnsafeArchiveError", "UnsafeCacheError",
]

_LAZY = {"MedMNISTDataset": "medmnist", "MSDDataset": "volumes", "IXIDataset": "volumes"}


def __getattr__(name: str):
    """Import the torch-based loaders on first use (keeps ``import data_fetch`` light)."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'data_fetch' has no attribute {name!r}")
