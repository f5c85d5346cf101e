"""Medical Segmentation Decathlon: hippocampus (chapter 04) and brain tumour (chapter 09).

Chapters (with ``COURSE_DATA=real``):

* 04 -- U-Net segmentation of the anterior and posterior hippocampus on T1w crops:
  ``msd_subjects("hippocampus", n=knobs.n_train)``;
* 09 -- anomaly detection: train on tumour-free slices, score the tumour voxels:
  ``msd_subjects("braintumour", n=..., resolution=profile.resolution)``.

Each task is a tar holding ``TaskNN_Name/dataset.json`` (modalities, label names, and the
``training`` list of image/label pairs) with ``imagesTr/``, ``labelsTr/``, ``imagesTs/``;
files the list does not name (e.g. macOS ``._*`` companions) are ignored. Only the
``training`` cases have labels; they are the ones returned.

References
----------
Antonelli M et al. The Medical Segmentation Decathlon. Nat Commun 13, 4128 (2022).
doi:10.1038/s41467-022-30695-9 (CC BY-SA 4.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from course_lib._checks import check_choice
from course_lib.exceptions import CorruptFileError

from .source import fetched_path
from .volumes import RealSubject, load_volume

__all__ = ["MSD_TASKS", "MSD_TO_BRATS", "msd_subjects"]

#: Task -> registry entry.
MSD_TASKS = {"hippocampus": "msd_hippocampus", "braintumour": "msd_braintumour"}
#: The decathlon's modality names -> the course's contrast names.
_CONTRASTS = {"FLAIR": "FLAIR", "T1w": "T1w", "t1gd": "T1ce", "T2w": "T2w", "MRI": "T1w"}
#: Brain tumour labels: decathlon (1 oedema, 2 non-enhancing, 3 enhancing) -> BraTS
#: (2 oedema, 1 necrosis/non-enhancing, 4 enhancing), the simulator's convention.
MSD_TO_BRATS = np.array([0, 2, 1, 4], dtype=np.uint8)


def _task_root(folder: Path) -> Path:
    found = sorted(p.parent for p in folder.glob("*/dataset.json"))
    if (folder / "dataset.json").is_file():
        return folder
    if not found:
        raise CorruptFileError(
            folder,
            "no dataset.json here nor one folder below",
            "Run `python -m data_fetch verify` to extract the task again",
        )
    return found[0]


def msd_subjects(
    task: str,
    n: int | None = None,
    *,
    resolution: float | None = None,
    download: bool = False,
    registry=None,
    cache_dir=None,
) -> list[RealSubject]:
    """Labelled training cases of a decathlon task, in ``dataset.json`` order.

    Parameters
    ----------
    task : {"hippocampus", "braintumour"}
        The task.
    n : int, optional
        Keep the first ``n`` cases; default all.
    resolution : float, optional
        Resample to isotropic voxels of this size (mm; labels nearest-neighbour).
    download, registry, cache_dir
        As in :func:`course_lib.real_data.ixi.ixi_subjects`.

    Returns
    -------
    list of RealSubject
        ``images`` keyed by contrast (hippocampus: ``"T1w"``; brain tumour: ``"FLAIR"``,
        ``"T1w"``, ``"T1ce"``, ``"T2w"``); ``labels`` the task's codes (``meta["label_names"]``);
        ``brain_mask`` the voxels where any contrast is non-zero (the brain tumour images
        are skull-stripped); brain tumour: ``tumor_labels`` in the BraTS convention.

    Raises
    ------
    ValueError
        Unknown task.
    RealDataNotCachedError, course_lib.exceptions.CorruptFileError
    """
    check_choice("task", task, MSD_TASKS)
    folder = fetched_path(
        MSD_TASKS[task], download=download, registry=registry, cache_dir=cache_dir
    )
    root = _task_root(folder)
    try:
        description = json.loads((root / "dataset.json").read_text())
        modalities = [description["modality"][str(i)] for i in range(len(description["modality"]))]
        label_names = {int(k): v for k, v in description["labels"].items()}
        cases = list(description["training"])
    except (ValueError, KeyError, TypeError) as error:
        raise CorruptFileError(
            root / "dataset.json",
            f"it is not a decathlon task description ({type(error).__name__}: {error})",
            "Run `python -m data_fetch verify` to check the download",
        ) from error
    contrasts = [_CONTRASTS.get(m, m) for m in modalities]
    subjects = []
    for case in cases[:n]:
        image, affine = load_volume(root / case["image"], resolution)
        labels, _ = load_volume(root / case["label"], resolution, labels=True)
        channels = image[..., None] if image.ndim == 3 else image
        images = {c: np.ascontiguousarray(channels[..., i]) for i, c in enumerate(contrasts)}
        subject = RealSubject(
            images=images,
            affine=affine,
            labels=labels,
            brain_mask=np.any(channels != 0, axis=-1),
            center=f"msd_{task}",
            id=Path(case["image"]).name.split(".")[0],
            meta={
                "files": {"image": case["image"], "label": case["label"]},
                "label_names": label_names,
                "modalities": modalities,
            },
        )
        if task == "braintumour":
            subject.tumor_labels = MSD_TO_BRATS[np.minimum(labels, 3)]
        subjects.append(subject)
    return subjects
