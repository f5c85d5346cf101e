"""One switch between real and simulated data for the chapters.

A chapter calls :func:`real_dataset_or_none`. It returns the real data set
when real data is asked for (argument ``use_real=True``, or the environment
variable ``COURSE_DATA=real``) *and* the data set is already in the cache; in
every other case it returns None and logs that the chapter uses simulated data
(the chapter then builds its data with ``course_lib.simulation``). Nothing is
ever downloaded here: fetching is an explicit step
(``python -m data_fetch get NAME``).
"""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from .cache import dataset_dir
from .fetch import is_dataset_cached
from .registry import Registry, load_registry

if TYPE_CHECKING:  # torch is imported only when a data set is opened
    from torch.utils.data import Dataset

__all__ = ["REAL_DATA_ENV", "use_real_data", "open_dataset", "real_dataset_or_none"]

logger = logging.getLogger(__name__)

REAL_DATA_ENV = "COURSE_DATA"


def use_real_data(use_real: bool | None = None) -> bool:
    """Return ``use_real`` if given, else whether ``COURSE_DATA=real`` is set."""
    if use_real is not None:
        return bool(use_real)
    return os.environ.get(REAL_DATA_ENV, "").strip().lower() == "real"


def open_dataset(name: str, split: str | None = None, *, registry: Registry | None = None,
                 cache_dir=None, **kwargs) -> Dataset:
    """Open a cached registry entry with the loader its family needs.

    Parameters
    ----------
    name : str
        Registry name.
    split : str, optional
        MedMNIST: ``"train"`` (default), ``"val"`` or ``"test"``; MSD:
        ``"training"`` (default) or ``"test"``; ignored for IXI.
    registry, cache_dir, **kwargs
        Passed to the loader (:class:`~data_fetch.medmnist.MedMNISTDataset`,
        :class:`~data_fetch.volumes.MSDDataset`, :class:`~data_fetch.volumes.IXIDataset`).

    Returns
    -------
    torch.utils.data.Dataset
        2-D ``(image (C, H, W), label)`` pairs for MedMNIST; dicts with
        ``"image" (C, X, Y, Z)`` and ``"label"`` for MSD and IXI.
    """
    registry = load_registry() if registry is None else registry
    spec = registry[name]
    if spec.loader == "medmnist":
        from .medmnist import MedMNISTDataset

        return MedMNISTDataset(spec.name, split or "train", registry=registry,
                               cache_dir=cache_dir, **kwargs)
    if spec.loader == "msd":
        from .volumes import MSDDataset

        return MSDDataset(spec.name, split or "training", registry=registry,
                          cache_dir=cache_dir, **kwargs)
    if spec.loader == "ixi":
        from .volumes import IXIDataset

        return IXIDataset(spec.name, registry=registry, cache_dir=cache_dir, **kwargs)
    raise ValueError(f"Registry entry {name!r} has no loader (loader={spec.loader!r}).")


def real_dataset_or_none(name: str, split: str | None = None, *, use_real: bool | None = None,
                         registry: Registry | None = None, cache_dir=None,
                         **kwargs) -> Dataset | None:
    """Return the real data set ``name`` if asked for and cached, else None.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"dermamnist"``.
    split : str, optional
        See :func:`open_dataset`.
    use_real : bool, optional
        Force real (True) or simulated (False) data; default: ``COURSE_DATA=real``.
    registry, cache_dir, **kwargs
        See :func:`open_dataset`.

    Returns
    -------
    torch.utils.data.Dataset or None
        None means "use simulated data"; the reason is logged (``logging``,
        logger ``data_fetch.real``): at INFO level when simulated data was the
        default choice, at WARNING level when real data was asked for but is
        not in the cache.
    """
    registry = load_registry() if registry is None else registry
    spec = registry[name]  # unknown names fail loudly, with suggestions
    if not use_real_data(use_real):
        logger.info("Using simulated data instead of %r (set %s=real to use the real "
                    "data set once fetched).", spec.name, REAL_DATA_ENV)
        return None
    if not is_dataset_cached(spec, cache_dir):
        logger.warning(
            "Real data was requested but %r is not in the cache %s: using simulated data. "
            "Fetch it with `python -m data_fetch get %s`.",
            spec.name, dataset_dir(spec.name, cache_dir), spec.name)
        return None
    logger.info("Using the real data set %r (%s).", spec.name, spec.title)
    return open_dataset(spec.name, split, registry=registry, cache_dir=cache_dir, **kwargs)
