"""course_lib.real_data.dermamnist (and the DermaMNIST path of medmnist_split), on miniature
DermaMNIST files in the real layout served from 127.0.0.1 (chapter 01b)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from course_lib.exceptions import CorruptFileError
from course_lib.real_data import (
    MALIGNANT,
    MELANOMA,
    RealDataNotCachedError,
    binary_task,
    dermamnist_split,
    medmnist_split,
)

RNG = np.random.default_rng(3)
COUNTS = {"train": 14, "val": 7, "test": 9}
ARRAYS = {}
for _split, _count in COUNTS.items():
    # As in dermamnist.npz: RGB channels last, uint8 pixels, labels (N, 1) uint8 in 0..6.
    ARRAYS[f"{_split}_images"] = RNG.integers(0, 256, (_count, 28, 28, 3), dtype=np.uint8)
    ARRAYS[f"{_split}_labels"] = (np.arange(_count) % 7).reshape(-1, 1).astype(np.uint8)


def _npz(arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _publish(mirror, arrays=ARRAYS, body=None) -> str:
    body = _npz(arrays) if body is None else body
    return mirror({"dermamnist": ("dermamnist.npz", body, False, {"n_samples": COUNTS})})


@pytest.fixture
def registry(mirror):
    return _publish(mirror)


# --------------------------------------------------------------------------- the 7-class file
@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_rgb_images_come_back_channels_first_in_0_1(registry, split):
    data = medmnist_split(split, "dermamnist", download=True, registry=registry)
    raw = ARRAYS[f"{split}_images"]
    assert data.images.shape == (COUNTS[split], 3, 28, 28) and data.images.dtype == np.float32
    for channel in range(3):  # red, green, blue stay in that order
        assert np.array_equal(data.images[:, channel] * 255.0, raw[..., channel].astype(np.float32))
    assert 0.0 <= data.images.min() and data.images.max() <= 1.0
    assert data.labels.dtype == np.int64
    assert np.array_equal(data.labels, ARRAYS[f"{split}_labels"][:, 0])
    assert len(data.class_names) == 7 and data.class_names[4] == "melanoma"


def test_the_packaged_entry_names_the_diagnoses_the_tasks_use():
    from data_fetch import load_registry

    spec = load_registry()["dermamnist"]
    names = spec.raw["labels"]
    assert names["4"] == "melanoma" and set(MALIGNANT) <= set(names.values())
    assert spec.raw["n_channels"] == 3 and spec.raw["image_size"] == 28
    assert spec.raw["n_samples"] == {"train": 7007, "val": 1003, "test": 2005}
    assert spec.license == "CC BY-NC 4.0" and spec.raw["chapters"] == "01b"


# --------------------------------------------------------------------------- the binary task
def test_melanoma_against_the_rest(registry):
    test = dermamnist_split("test", download=True, registry=registry)
    diagnosis = ARRAYS["test_labels"][:, 0]
    assert test.images.shape == (COUNTS["test"], 3, 28, 28)
    assert test.labels.dtype == np.int64 and set(np.unique(test.labels)) <= {0, 1}
    assert np.array_equal(test.labels, (diagnosis == 4).astype(np.int64))
    assert np.array_equal(test.diagnosis, diagnosis)
    assert test.positive == MELANOMA and test.prevalence == pytest.approx(np.mean(diagnosis == 4))


def test_malignant_against_benign(registry):
    train = dermamnist_split("train", n=10, positive=MALIGNANT, download=True, registry=registry)
    diagnosis = ARRAYS["train_labels"][:10, 0]
    assert len(train) == 10
    assert np.array_equal(train.labels, np.isin(diagnosis, [0, 1, 4]).astype(np.int64))


def test_binary_task_refuses_unknown_empty_or_all_classes(registry):
    data = medmnist_split("val", "dermamnist", download=True, registry=registry)
    with pytest.raises(ValueError, match="Did you mean 'melanoma'"):
        binary_task(data, ("melanome",))
    with pytest.raises(ValueError, match="some but not all"):
        binary_task(data, ())
    with pytest.raises(ValueError, match="some but not all"):
        binary_task(data, data.class_names)


# --------------------------------------------------------------------------- bad files
def test_not_cached_says_how_to_fetch_it(mirror):
    registry = _publish(mirror)
    with pytest.raises(RealDataNotCachedError) as info:
        dermamnist_split("test", registry=registry)
    message = str(info.value)
    assert "python -m data_fetch get dermamnist" in message and "24 MB" in message
    assert "\n" not in message


def test_a_file_that_fails_its_checksum_is_refused_and_not_kept(mirror, monkeypatch):
    from data_fetch.errors import HashMismatchError

    path = Path(_publish(mirror))
    served = f"{os.environ['COURSE_DATA_MIRROR']}/dermamnist/dermamnist.npz"
    document = json.loads(path.read_text())
    document["datasets"]["dermamnist"]["files"][0]["urls"] = [served]  # loopback only
    path.write_text(json.dumps(document))
    monkeypatch.delenv("COURSE_DATA_MIRROR")
    (path.parent / "mirror" / "dermamnist" / "dermamnist.npz").write_bytes(_npz({"x": [1]}))
    with pytest.raises(HashMismatchError, match="dermamnist.npz"):
        dermamnist_split("test", download=True, registry=str(path))
    cached = Path(os.environ["COURSE_DATA_DIR"]) / "real" / "dermamnist" / "dermamnist.npz"
    assert not cached.exists()


def _with(split="test", **replace):
    arrays = dict(ARRAYS)
    arrays.update({f"{split}_{key}": value for key, value in replace.items()})
    return arrays


@pytest.mark.parametrize(
    "arrays, message",
    [
        # grey OrganAMNIST-like images under the DermaMNIST name
        (_with(images=ARRAYS["test_images"][..., 0]), r"shape \(28, 28\), the registry says"),
        # channels first instead of last
        (_with(images=np.moveaxis(ARRAYS["test_images"], -1, 1)), r"shape \(3, 28, 28\)"),
        (_with(images=ARRAYS["test_images"].astype(np.float32)), "float32 pixels"),
        (_with(labels=ARRAYS["test_labels"] + 3), "labels from 3 to 9"),
        ({k: v for k, v in ARRAYS.items() if k != "test_labels"}, "not a MedMNIST file"),
    ],
)
def test_a_file_in_the_wrong_layout_is_named_with_the_fix(mirror, arrays, message):
    registry = _publish(mirror, arrays)
    with pytest.raises(CorruptFileError, match=message) as info:
        dermamnist_split("test", download=True, registry=registry)
    assert "python -m data_fetch verify dermamnist" in str(info.value)


def test_bytes_that_are_not_an_npz_are_named(mirror):
    registry = _publish(mirror, body=b"<html>login page</html>")
    with pytest.raises(CorruptFileError, match="not a MedMNIST file"):
        dermamnist_split("val", download=True, registry=registry)
