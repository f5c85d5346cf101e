"""MedMNIST ``.npz`` files as a PyTorch dataset of 2-D images with labels.

A MedMNIST file (Yang et al., Scientific Data 10, 41, 2023,
doi:10.1038/s41597-022-01721-8) is a NumPy ``.npz`` holding, for each split
``train``/``val``/``test``, ``<split>_images`` (uint8, ``(N, H, W)`` for grey
or ``(N, H, W, 3)`` for colour) and ``<split>_labels`` (``(N, L)`` integers,
``L = 1`` except for multi-label ChestMNIST with ``L = 14``).
"""
from __future__ import annotations

import os
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from .fetch import resolve_source
from .registry import Registry

__all__ = ["MedMNISTDataset", "SPLITS"]

SPLITS = ("train", "val", "test")


class MedMNISTDataset(Dataset):
    """2-D MedMNIST images and labels.

    Parameters
    ----------
    source : str or path-like
        A registry name such as ``"dermamnist"`` or ``"pneumoniamnist_64"``
        (must be in the cache unless ``download=True``), or a path to a
        MedMNIST-style ``.npz`` file.
    split : {"train", "val", "test"}
        Official split to read.
    transform : callable, optional
        Applied to each image tensor ``(C, H, W)``.
    download : bool
        Fetch the registry entry if it is not cached (default False).
    registry : Registry, optional
        Registry to resolve names in (default: the packaged one).
    cache_dir : path-like, optional
        Course data directory (default ``$COURSE_DATA_DIR``).

    Attributes
    ----------
    images : numpy.ndarray
        ``(N, H, W)`` or ``(N, H, W, 3)`` uint8, as stored.
    labels : numpy.ndarray
        ``(N, L)`` int64.
    classes : dict of int to str
        Label meanings from the registry (empty for a plain file).
    task : str
        ``"multi-class"``, ``"binary-class"``, ``"multi-label, binary-class"``...

    Notes
    -----
    ``dataset[i]`` returns ``(image, label)``: ``image`` is float32 ``(C, H, W)``
    with intensities scaled to [0, 1] (pixel / 255; axes are image rows, columns);
    ``label`` is an int64 scalar tensor for single-label tasks or an int64
    ``(L,)`` vector of 0/1 for multi-label tasks.
    """

    def __init__(
        self,
        source: str | os.PathLike,
        split: str = "train",
        *,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        download: bool = False,
        registry: Registry | None = None,
        cache_dir: str | os.PathLike | None = None,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"split={split!r} must be one of {SPLITS}.")
        path, spec = resolve_source(source, loader="medmnist", registry=registry,
                                    cache_dir=cache_dir, download=download)
        self.path = path
        self.split = split
        self.transform = transform
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in (f"{split}_images", f"{split}_labels")
                       if key not in archive.files]
            if missing:
                raise ValueError(
                    f"{path} is not a MedMNIST file: it lacks {', '.join(missing)} "
                    f"(found {', '.join(sorted(archive.files))})."
                )
            images = archive[f"{split}_images"]
            labels = archive[f"{split}_labels"]
        if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
            raise ValueError(
                f"{path}: {split}_images has shape {images.shape}; expected (N, H, W) "
                "or (N, H, W, 3) (3-D MedMNIST sets are not supported here)."
            )
        labels = np.asarray(labels).reshape(len(labels), -1).astype(np.int64)
        if len(labels) != len(images):
            raise ValueError(
                f"{path}: {len(images)} images but {len(labels)} labels in split {split!r}."
            )
        self.images = images
        self.labels = labels
        raw = dict(spec.raw) if spec is not None else {}
        self.classes = {int(key): value for key, value in raw.get("labels", {}).items()}
        self.task = str(raw.get("task", "multi-label" if labels.shape[1] > 1 else "multi-class"))
        self.name = spec.name if spec is not None else path.stem
        expected = raw.get("n_samples", {}).get(split)
        if expected is not None and expected != len(images):
            raise ValueError(
                f"{path}: split {split!r} has {len(images)} images, the registry says "
                f"{expected}; run `python -m data_fetch verify {self.name}`."
            )

    @property
    def n_channels(self) -> int:
        """Number of image channels C (1 for grey, 3 for colour)."""
        return 1 if self.images.ndim == 3 else int(self.images.shape[-1])

    @property
    def multi_label(self) -> bool:
        """True when each image carries a vector of binary labels (ChestMNIST)."""
        return self.labels.shape[1] > 1

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        array = self.images[index]
        array = array[None] if array.ndim == 2 else np.moveaxis(array, -1, 0)
        image = torch.from_numpy(np.ascontiguousarray(array)).to(torch.float32) / 255.0
        if self.transform is not None:
            image = self.transform(image)
        label = torch.from_numpy(self.labels[index].copy())
        return image, label if self.multi_label else label[0]

    def __repr__(self) -> str:
        height, width = self.images.shape[1:3]
        return (
            f"{type(self).__name__}({self.name!r}, split={self.split!r}, n={len(self)}, "
            f"image=({self.n_channels}, {height}, {width}), task={self.task!r})"
        )
