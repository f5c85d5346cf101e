"""MedMNIST files: OrganAMNIST (chapter 10) and DermaMNIST (chapter 01b), one loader.

Chapter 10 (with ``COURSE_DATA=real``) compares its ViT and CNN on a real image task:
``train = medmnist_split("train")``, ``val = medmnist_split("val")``,
``test = medmnist_split("test")``; ``train.images`` is ``(N, 1, 28, 28)`` float32 in
[0, 1] and ``train.labels`` ``(N,)`` int64, like the chapter's simulated data set.
Chapter 01b reads DermaMNIST the same way, ``medmnist_split("test", "dermamnist")``:
``images`` ``(N, 3, 28, 28)`` (RGB), 7 diagnoses (see
:mod:`course_lib.real_data.dermamnist` for its binary melanoma task).

A MedMNIST file is a NumPy ``.npz`` holding ``<split>_images`` (uint8 ``(N, H, W)``, or
``(N, H, W, 3)`` for colour: channels last) and ``<split>_labels`` (``(N, 1)``) for the
official splits ``train``, ``val`` and ``test``. The registry entry gives the image size,
the number of channels, the class names and the number of images per split; a file that
disagrees with it raises :class:`~course_lib.exceptions.CorruptFileError`.

References
----------
Yang J et al. MedMNIST v2. Sci Data 10, 41 (2023). doi:10.1038/s41597-022-01721-8.
Bilic P et al. The Liver Tumor Segmentation Benchmark (LiTS). Med Image Anal 84, 102680
(2023). doi:10.1016/j.media.2022.102680 (OrganAMNIST's source).
Tschandl P, Rosendahl C, Kittler H. The HAM10000 dataset. Sci Data 5, 180161 (2018).
doi:10.1038/sdata.2018.161 (DermaMNIST's source).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib._checks import check_choice
from course_lib.exceptions import CorruptFileError

from .source import fetched_path

__all__ = ["ImageSet", "SPLITS", "medmnist_split"]

SPLITS = ("train", "val", "test")


@dataclass
class ImageSet:
    """Images and labels of one split.

    Attributes
    ----------
    images : numpy.ndarray
        ``(N, C, H, W)`` float32 in [0, 1] (pixel / 255; C = 1 grey, 3 colour).
    labels : numpy.ndarray
        ``(N,)`` int64 class index.
    class_names : tuple of str
        Name of each class index.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)


def medmnist_split(
    split: str = "train",
    name: str = "organamnist",
    n: int | None = None,
    *,
    download: bool = False,
    registry=None,
    cache_dir=None,
) -> ImageSet:
    """One official split of a MedMNIST data set.

    Parameters
    ----------
    split : {"train", "val", "test"}
        The split.
    name : str
        Registry entry: ``"organamnist"`` (chapter 10) or ``"dermamnist"`` (chapter 01b).
    n : int, optional
        Keep the first ``n`` images; default all.
    download, registry, cache_dir
        As in :func:`course_lib.real_data.source.fetched_path`.

    Raises
    ------
    ValueError
        Unknown split.
    course_lib.exceptions.CorruptFileError
        The file lacks the split's arrays, or their counts, image shape, pixel type or
        label range disagree with the registry.
    """
    from data_fetch import load_registry

    check_choice("split", split, SPLITS)
    registry = load_registry(registry) if not hasattr(registry, "items") else registry
    path = fetched_path(name, download=download, registry=registry, cache_dir=cache_dir)
    raw = dict(registry[name].raw)
    fix = f"Run `python -m data_fetch verify {name}` to check the download"
    try:
        with np.load(path, allow_pickle=False) as archive:
            images = archive[f"{split}_images"]
            labels = archive[f"{split}_labels"]
    except (KeyError, ValueError, OSError) as error:
        raise CorruptFileError(
            path,
            f"it is not a MedMNIST file with a {split!r} split ({type(error).__name__}: {error})",
            fix,
        ) from error
    expected = (raw.get("n_samples") or {}).get(split)
    if len(images) != len(labels) or (expected is not None and expected != len(images)):
        raise CorruptFileError(
            path,
            f"split {split!r} has {len(images)} images and "
            f"{len(labels)} labels (registry: {expected})",
            fix,
        )
    names = raw.get("labels") or {}
    _check_layout(path, split, images, labels, raw, len(names), fix)
    images = images[:n]
    channels_first = images[:, None] if images.ndim == 3 else np.moveaxis(images, -1, 1)
    return ImageSet(
        images=channels_first.astype(np.float32) / 255.0,
        labels=np.asarray(labels[:n]).reshape(len(images), -1)[:, 0].astype(np.int64),
        class_names=tuple(names[str(i)] for i in range(len(names))),
    )


def _check_layout(path, split, images, labels, raw, n_classes, fix) -> None:
    """Raise CorruptFileError unless the arrays have the registry's shape, type and labels."""
    size, channels = raw.get("image_size"), raw.get("n_channels")
    if size is not None and channels is not None:
        expected = (size, size) if channels == 1 else (size, size, channels)
        if images.shape[1:] != expected:
            raise CorruptFileError(
                path,
                f"split {split!r} holds images of shape {images.shape[1:]}, the registry "
                f"says {expected} (height, width{', channels' if channels > 1 else ''})",
                fix,
            )
    if images.dtype != np.uint8:
        raise CorruptFileError(
            path, f"split {split!r} holds {images.dtype} pixels, MedMNIST stores uint8", fix
        )
    if n_classes and len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise CorruptFileError(
            path,
            f"split {split!r} has labels from {labels.min()} to {labels.max()}, the registry "
            f"names {n_classes} classes (0 to {n_classes - 1})",
            fix,
        )
