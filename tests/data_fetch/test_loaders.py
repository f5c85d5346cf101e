"""Loaders (MedMNIST npz, MSD and IXI NIfTI) and the real/simulated switch."""
from __future__ import annotations

import io
import logging

import nibabel as nib
import numpy as np
import pytest
import torch

from data_fetch import IXIDataset, MedMNISTDataset, MSDDataset, fetch, real_dataset_or_none
from data_fetch.errors import OfflineError
from data_fetch.real import use_real_data

FAST = dict(timeout=(2.0, 0.5), retries=1, backoff=0.01, progress=False)


@pytest.fixture
def registry(make_registry, files):
    return make_registry({
        "grey": {"filename": "grey.npz", "body": files.npz(n=(6, 3, 4), size=8),
                 "loader": "medmnist", "labels": {"0": "a", "1": "b", "2": "c"},
                 "task": "multi-class", "n_samples": {"train": 6, "val": 3, "test": 4}},
        "colour": {"filename": "colour.npz", "body": files.npz(size=10, channels=3, seed=1),
                   "loader": "medmnist"},
        "chest": {"filename": "chest.npz", "body": files.npz(n_labels=14, seed=2),
                  "loader": "medmnist", "task": "multi-label, binary-class"},
        "wrongcount": {"filename": "wrongcount.npz", "body": files.npz(seed=3),
                       "loader": "medmnist", "n_samples": {"train": 999}},
        "msd": {"filename": "Task99_Tiny.tar", "body": files.msd_tar(), "loader": "msd",
                "extract": True},
        "msd4d": {"filename": "Task98_Multi.tar", "body": files.msd_tar("Task98_Multi", channels=4),
                  "loader": "msd", "extract": True},
        "ixi": {"filename": "IXI-T1.tar", "body": files.ixi_tar(), "loader": "ixi",
                "extract": True},
    })


def test_medmnist_grey_items_match_the_npz(registry, cache, files):
    fetch("grey", registry=registry, cache_dir=cache, **FAST)
    data = MedMNISTDataset("grey", "val", registry=registry, cache_dir=cache)
    reference = np.load(io.BytesIO(files.npz(n=(6, 3, 4), size=8)))
    assert len(data) == 3 and data.n_channels == 1 and data.classes[1] == "b"
    image, label = data[2]
    assert image.shape == (1, 8, 8) and image.dtype == torch.float32
    np.testing.assert_allclose(image[0].numpy(), reference["val_images"][2] / 255.0, rtol=1e-6)
    assert label.dtype == torch.int64 and label.ndim == 0
    assert int(label) == int(reference["val_labels"][2, 0])
    batch_images, batch_labels = next(iter(torch.utils.data.DataLoader(data, batch_size=3)))
    assert batch_images.shape == (3, 1, 8, 8) and batch_labels.shape == (3,)


def test_medmnist_colour_is_channels_first(registry, cache, files):
    fetch("colour", registry=registry, cache_dir=cache, **FAST)
    data = MedMNISTDataset("colour", registry=registry, cache_dir=cache)
    reference = np.load(io.BytesIO(files.npz(size=10, channels=3, seed=1)))["train_images"][4]
    image, _ = data[4]
    assert image.shape == (3, 10, 10)
    np.testing.assert_allclose(image.numpy(), np.transpose(reference, (2, 0, 1)) / 255.0, rtol=1e-6)


def test_medmnist_multilabel_gives_label_vectors(registry, cache):
    fetch("chest", registry=registry, cache_dir=cache, **FAST)
    data = MedMNISTDataset("chest", "test", registry=registry, cache_dir=cache)
    _, label = data[0]
    assert data.multi_label and label.shape == (14,) and set(label.tolist()) <= {0, 1}


def test_medmnist_errors_are_explicit(registry, cache, tmp_path):
    with pytest.raises(OfflineError, match="python -m data_fetch get grey"):
        MedMNISTDataset("grey", registry=registry, cache_dir=cache)  # not cached, no download
    with pytest.raises(ValueError, match="split='validation'"):
        MedMNISTDataset("grey", "validation", registry=registry, cache_dir=cache)
    with pytest.raises(ValueError, match="msd data set"):
        MedMNISTDataset("msd", registry=registry, cache_dir=cache)
    fetch("wrongcount", registry=registry, cache_dir=cache, **FAST)
    with pytest.raises(ValueError, match="registry says"):
        MedMNISTDataset("wrongcount", registry=registry, cache_dir=cache)
    bad = tmp_path / "bad.npz"
    np.savez(bad, images=np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="lacks train_images"):
        MedMNISTDataset(bad)


def test_medmnist_download_argument_fetches(registry, cache, server):
    data = MedMNISTDataset("grey", registry=registry, cache_dir=cache, download=True)
    assert len(data) == 6 and len(server.requests("/files/grey.npz")) == 1


def test_msd_volumes_and_labels(registry, cache):
    folder = fetch("msd", registry=registry, cache_dir=cache, **FAST)
    data = MSDDataset("msd", registry=registry, cache_dir=cache)
    assert len(data) == 2 and data.classes == {0: "background", 1: "anterior", 2: "posterior"}
    item = data[1]
    reference = nib.as_closest_canonical(nib.load(folder / "Task99_Tiny/imagesTr/tiny_002.nii.gz"))
    assert item["image"].shape == (1, 6, 5, 4) and item["image"].dtype == torch.float32
    np.testing.assert_allclose(item["image"][0].numpy(), reference.get_fdata(), rtol=1e-6)
    assert item["label"].shape == (6, 5, 4) and item["label"].dtype == torch.int64
    assert item["spacing"] == pytest.approx((1.0, 1.5, 2.0)) and item["id"] == "tiny_002"
    test = MSDDataset("msd", "test", registry=registry, cache_dir=cache)
    assert len(test) == 1 and "label" not in test[0]


def test_msd_four_channel_volumes_are_channels_first(registry, cache):
    fetch("msd4d", registry=registry, cache_dir=cache, **FAST)
    item = MSDDataset("msd4d", registry=registry, cache_dir=cache)[0]
    assert item["image"].shape == (4, 6, 5, 4) and item["label"].shape == (6, 5, 4)


def test_ixi_volumes_are_labelled_by_site(registry, cache):
    fetch("ixi", registry=registry, cache_dir=cache, **FAST)
    data = IXIDataset("ixi", registry=registry, cache_dir=cache)
    assert len(data) == 3
    sites = [(data[i]["site"], int(data[i]["label"])) for i in range(3)]
    assert sites == [("Guys", 0), ("HH", 1), ("IOP", 2)]
    assert data[0]["image"].shape == (1, 5, 6, 4)


def test_switch_defaults_to_simulated_data(registry, cache, caplog, monkeypatch):
    fetch("grey", registry=registry, cache_dir=cache, **FAST)
    assert use_real_data() is False
    with caplog.at_level(logging.INFO, logger="data_fetch"):
        assert real_dataset_or_none("grey", registry=registry, cache_dir=cache) is None
    assert "simulated data" in caplog.text


def test_switch_uses_cached_real_data(registry, cache, monkeypatch):
    fetch("grey", registry=registry, cache_dir=cache, **FAST)
    monkeypatch.setenv("COURSE_DATA", "real")
    data = real_dataset_or_none("grey", "test", registry=registry, cache_dir=cache)
    assert isinstance(data, MedMNISTDataset) and len(data) == 4
    assert real_dataset_or_none("grey", registry=registry, cache_dir=cache, use_real=False) is None


def test_switch_falls_back_when_not_cached(registry, cache, server, caplog, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", "real")
    with caplog.at_level(logging.WARNING, logger="data_fetch"):
        assert real_dataset_or_none("msd", registry=registry, cache_dir=cache) is None
    assert "using simulated data" in caplog.text and "python -m data_fetch get msd" in caplog.text
    assert server.log == []  # no hidden download
