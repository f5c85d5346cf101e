"""course_lib.real_data.medmnist on a miniature OrganAMNIST served from 127.0.0.1 (chapter 10)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from course_lib.exceptions import CorruptFileError
from course_lib.real_data import medmnist_split

RNG = np.random.default_rng(2)
COUNTS = {"train": 12, "val": 4, "test": 6}
ARRAYS = {}
for split, count in COUNTS.items():
    ARRAYS[f"{split}_images"] = RNG.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    ARRAYS[f"{split}_labels"] = RNG.integers(0, 11, (count, 1)).astype(np.uint8)


def _npz(arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture
def registry(mirror):
    return mirror({"organamnist": ("organamnist.npz", _npz(ARRAYS), False, {"n_samples": COUNTS})})


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_splits_are_channels_first_floats_with_int_labels(registry, split):
    data = medmnist_split(split, download=True, registry=registry)
    assert data.images.shape == (COUNTS[split], 1, 28, 28) and data.images.dtype == np.float32
    assert np.allclose(data.images[:, 0] * 255.0, ARRAYS[f"{split}_images"])
    assert data.labels.dtype == np.int64
    assert np.array_equal(data.labels, ARRAYS[f"{split}_labels"][:, 0])
    assert len(data.class_names) == 11 and data.class_names[6] == "liver"


def test_first_n_and_bad_split(registry):
    assert len(medmnist_split("train", n=5, download=True, registry=registry)) == 5
    with pytest.raises(ValueError, match="must be one of"):
        medmnist_split("training", registry=registry)


def test_counts_that_disagree_with_the_registry_are_named(mirror):
    registry = mirror(
        {
            "organamnist": (
                "organamnist.npz",
                _npz(ARRAYS),
                False,
                {"n_samples": {"train": 99, "val": 4, "test": 6}},
            )
        }
    )
    with pytest.raises(CorruptFileError, match="registry: 99"):
        medmnist_split("train", download=True, registry=registry)
