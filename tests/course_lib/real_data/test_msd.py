"""course_lib.real_data.msd on miniature decathlon tasks served from 127.0.0.1 (chapters 04, 09)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_lib.exceptions import CorruptFileError
from course_lib.real_data import msd_subjects

RNG = np.random.default_rng(1)
RAS = np.diag([1.0, 1.0, 1.0, 1.0])
APPLE_DOUBLE = b"\x00\x05\x16\x07" + bytes(160)  # the ._ companions macOS tar adds


def _task(build, task, modality, labels, images, label_maps):
    members, training = {}, []
    for index, (image, label) in enumerate(zip(images, label_maps), start=1):
        case = f"{task.split('_')[1].lower()}_{index:03d}.nii.gz"
        members[f"{task}/imagesTr/{case}"] = build.nifti_gz(image, RAS)
        members[f"{task}/imagesTr/._{case}"] = APPLE_DOUBLE
        members[f"{task}/labelsTr/{case}"] = build.nifti_gz(label, RAS)
        training.append({"image": f"./imagesTr/{case}", "label": f"./labelsTr/{case}"})
    members[f"{task}/imagesTs/test_001.nii.gz"] = build.nifti_gz(images[0], RAS)
    members[f"{task}/dataset.json"] = json.dumps(
        {
            "name": task,
            "modality": modality,
            "labels": labels,
            "numTraining": len(training),
            "training": training,
            "test": ["./imagesTs/test_001.nii.gz"],
        }
    ).encode()
    members[f"._{task}"] = APPLE_DOUBLE
    return build.tar(members)


HIPPO_IMAGES = [RNG.normal(100, 20, (9, 11, 8)).astype(np.float32) for _ in range(3)]
HIPPO_LABELS = [RNG.integers(0, 3, (9, 11, 8)).astype(np.uint8) for _ in range(3)]
BRAIN = np.zeros((12, 12, 10), dtype=bool)
BRAIN[2:10, 2:10, 2:8] = True
TUMOR_IMAGES = [
    np.where(BRAIN[..., None], RNG.normal(1, 0.2, (12, 12, 10, 4)), 0).astype(np.float32)
    for _ in range(2)
]
TUMOR_LABELS = [
    np.where(BRAIN, RNG.integers(0, 4, (12, 12, 10)), 0).astype(np.uint8) for _ in range(2)
]


@pytest.fixture
def registry(mirror, build):
    hippo = _task(
        build,
        "Task04_Hippocampus",
        {"0": "MRI"},
        {"0": "background", "1": "Anterior", "2": "Posterior"},
        HIPPO_IMAGES,
        HIPPO_LABELS,
    )
    tumour = _task(
        build,
        "Task01_BrainTumour",
        {"0": "FLAIR", "1": "T1w", "2": "t1gd", "3": "T2w"},
        {"0": "background", "1": "edema", "2": "non-enhancing tumor", "3": "enhancing tumour"},
        TUMOR_IMAGES,
        TUMOR_LABELS,
    )
    return mirror(
        {
            "msd_hippocampus": ("Task04_Hippocampus.tar", hippo, True, {}),
            "msd_braintumour": ("Task01_BrainTumour.tar", tumour, True, {}),
        }
    )


def test_hippocampus_cases_with_labels(registry):
    subjects = msd_subjects("hippocampus", download=True, registry=registry)
    assert [s.id for s in subjects] == ["hippocampus_001", "hippocampus_002", "hippocampus_003"]
    for subject, image, label in zip(subjects, HIPPO_IMAGES, HIPPO_LABELS):
        assert list(subject.images) == ["T1w"]
        assert np.array_equal(subject.images["T1w"], image)
        assert subject.labels.dtype == np.uint8 and np.array_equal(subject.labels, label)
        assert subject.meta["label_names"] == {0: "background", 1: "Anterior", 2: "Posterior"}
        assert subject.tumor_labels is None and subject.center == "msd_hippocampus"
    assert len(msd_subjects("hippocampus", n=2, registry=registry)) == 2


def test_brain_tumour_contrasts_mask_and_brats_labels(registry):
    subjects = msd_subjects("braintumour", download=True, registry=registry)
    for subject, image, label in zip(subjects, TUMOR_IMAGES, TUMOR_LABELS):
        assert list(subject.images) == ["FLAIR", "T1w", "T1ce", "T2w"]
        for channel, contrast in enumerate(subject.images):
            assert np.array_equal(subject.images[contrast], image[..., channel])
        assert np.array_equal(subject.brain_mask, BRAIN)
        brats = {0: 0, 1: 2, 2: 1, 3: 4}  # decathlon -> BraTS codes
        assert np.array_equal(subject.tumor_labels, np.vectorize(brats.get)(label))


def test_resampling_keeps_label_codes(registry):
    (subject,) = msd_subjects("braintumour", n=1, resolution=2.0, download=True, registry=registry)
    assert np.allclose(subject.spacing, (2.0, 2.0, 2.0))
    assert subject.labels.dtype == np.uint8 and set(np.unique(subject.labels)) <= {0, 1, 2, 3}
    assert subject.images["FLAIR"].shape == subject.labels.shape


def test_damaged_task_description_is_named(registry):
    from data_fetch import data_path, load_registry

    msd_subjects("hippocampus", n=1, download=True, registry=registry)
    folder = data_path(load_registry(registry)["msd_hippocampus"])
    (folder / "Task04_Hippocampus" / "dataset.json").write_text('{"name": "cut')
    with pytest.raises(CorruptFileError, match="dataset.json"):
        msd_subjects("hippocampus", registry=registry)
    with pytest.raises(ValueError, match="must be one of"):
        msd_subjects("liver", registry=registry)
