"""DermaMNIST as the binary task chapter 01b teaches: melanoma or not (chapter 01b).

DermaMNIST (MedMNIST v2) holds the 10,015 dermatoscopic images of HAM10000 at 28 x 28 RGB,
each with one of 7 diagnoses. Chapter 01b (with ``COURSE_DATA=real``) asks one yes/no
question of every image, as a screening tool would: **is this lesion a melanoma?**
(diagnosis 4, ``"melanoma"``, against the six others; about 11 % of the images). Esteva
et al. (2017) likewise placed dermatologists on ROC curves of binary questions, one of them
"melanoma versus benign nevus" on dermoscopy images; here the negatives are every other
diagnosis, not nevi alone. :data:`MALIGNANT` gives the other common binary task (malignant:
melanoma, basal cell carcinoma, actinic keratoses / intraepithelial carcinoma; against
benign), one argument away::

    test = dermamnist_split("test")                        # melanoma vs the rest
    test = dermamnist_split("test", positive=MALIGNANT)    # malignant vs benign

References
----------
Tschandl P, Rosendahl C, Kittler H. The HAM10000 dataset, a large collection of
multi-source dermatoscopic images of common pigmented skin lesions. Sci Data 5, 180161
(2018). doi:10.1038/sdata.2018.161.
Yang J et al. MedMNIST v2. Sci Data 10, 41 (2023). doi:10.1038/s41597-022-01721-8.
Esteva A et al. Dermatologist-level classification of skin cancer with deep neural
networks. Nature 542, 115-118 (2017). doi:10.1038/nature21056.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_lib._checks import check_choice

from .medmnist import ImageSet, medmnist_split

__all__ = ["DERMAMNIST", "MELANOMA", "MALIGNANT", "BinarySet", "binary_task", "dermamnist_split"]

DERMAMNIST = "dermamnist"
MELANOMA = ("melanoma",)
MALIGNANT = (
    "melanoma",
    "basal cell carcinoma",
    "actinic keratoses and intraepithelial carcinoma",
)


@dataclass
class BinarySet:
    """Images with a yes/no label, and the diagnosis each label came from.

    Attributes
    ----------
    images : numpy.ndarray
        ``(N, C, H, W)`` float32 in [0, 1], as in :class:`~course_lib.real_data.ImageSet`.
    labels : numpy.ndarray
        ``(N,)`` int64: 1 when the diagnosis is one of ``positive``, else 0.
    diagnosis : numpy.ndarray
        ``(N,)`` int64: the original class index (into ``diagnosis_names``).
    diagnosis_names : tuple of str
        Name of each original class.
    positive : tuple of str
        The diagnoses counted as positive.
    """

    images: np.ndarray
    labels: np.ndarray
    diagnosis: np.ndarray
    diagnosis_names: tuple[str, ...]
    positive: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def prevalence(self) -> float:
        """Fraction of positive images."""
        return float(np.mean(self.labels)) if len(self.labels) else float("nan")


def binary_task(data: ImageSet, positive: Sequence[str] = MELANOMA) -> BinarySet:
    """Relabel a multi-class :class:`ImageSet` as positive (1) / negative (0).

    Parameters
    ----------
    data : ImageSet
        Images with class indices into ``data.class_names``.
    positive : sequence of str
        Class names counted as positive; every other class is negative.

    Returns
    -------
    BinarySet
        The same images (not copied), ``labels`` in {0, 1}, and the original diagnosis.

    Raises
    ------
    ValueError
        A name in ``positive`` is not a class of ``data`` (the message lists the classes),
        or ``positive`` is empty or names every class (the task would have one class).
    """
    positive = tuple(positive)
    for name in positive:
        check_choice("a positive class", name, data.class_names)
    if not positive or set(positive) == set(data.class_names):
        raise ValueError(
            f"positive must name some but not all of the classes {data.class_names!r}, "
            f"got {positive!r}."
        )
    codes = [data.class_names.index(name) for name in positive]
    return BinarySet(
        images=data.images,
        labels=np.isin(data.labels, codes).astype(np.int64),
        diagnosis=data.labels,
        diagnosis_names=data.class_names,
        positive=positive,
    )


def dermamnist_split(
    split: str = "train",
    n: int | None = None,
    *,
    positive: Sequence[str] = MELANOMA,
    download: bool = False,
    registry=None,
    cache_dir=None,
) -> BinarySet:
    """One official split of DermaMNIST (28 x 28 RGB) as a binary task.

    Parameters
    ----------
    split : {"train", "val", "test"}
        The split (7,007 / 1,003 / 2,005 images).
    n : int, optional
        Keep the first ``n`` images; default all.
    positive : sequence of str
        Diagnoses counted as positive: :data:`MELANOMA` (default) or :data:`MALIGNANT`.
    download, registry, cache_dir
        As in :func:`course_lib.real_data.medmnist.medmnist_split`.

    Returns
    -------
    BinarySet
        ``images`` ``(N, 3, 28, 28)`` float32 in [0, 1], ``labels`` ``(N,)`` in {0, 1}.

    Raises
    ------
    course_lib.real_data.RealDataNotCachedError
        DermaMNIST is not cached and ``download`` is False (the message says how to get it).
    course_lib.exceptions.CorruptFileError
        The file is not DermaMNIST-shaped (see :func:`medmnist_split`).
    """
    data = medmnist_split(
        split, DERMAMNIST, n, download=download, registry=registry, cache_dir=cache_dir
    )
    return binary_task(data, positive)
