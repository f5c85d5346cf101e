"""3-D volumes with labels: Medical Segmentation Decathlon and IXI (NIfTI via nibabel).

Each item is a dict:

``"image"``
    float32 tensor ``(C, X, Y, Z)`` in the scanner's units (MRI: arbitrary).
``"label"``
    MSD: int64 segmentation ``(X, Y, Z)`` (absent for the unlabelled test
    section); IXI: int64 scalar, the acquisition site (0 Guys, 1 HH, 2 IOP).
``"affine"``
    float64 ``(4, 4)`` voxel-to-world matrix in mm (RAS+ world, as nibabel).
``"spacing"``
    voxel size along X, Y, Z in mm.
``"id"``
    case or subject identifier.

With ``canonical=True`` (default) volumes are reoriented with
``nibabel.as_closest_canonical`` so that the voxel axes X, Y, Z point
(approximately) Right, Anterior, Superior.

References
----------
Antonelli M et al. The Medical Segmentation Decathlon. Nature Communications
13, 4128 (2022). doi:10.1038/s41467-022-30695-9. IXI dataset:
https://brain-development.org/ixi-dataset/
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from .fetch import resolve_source
from .registry import Registry

__all__ = ["MSDDataset", "IXIDataset", "load_nifti"]

_IXI_NAME = re.compile(r"^(IXI\d{3})-(Guys|HH|IOP)-(\d{4})-(T1|T2|PD|MRA)\.nii(\.gz)?$")
IXI_SITES = ("Guys", "HH", "IOP")


def load_nifti(path: os.PathLike | str, canonical: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Read a NIfTI file; return ``(data, affine)``.

    ``data`` holds the stored values (after the NIfTI scaling slope/intercept)
    with axes ``(X, Y, Z[, C])``; ``affine`` is the voxel-to-world matrix (RAS+
    world coordinates, mm). With ``canonical`` the voxel axes are first reordered
    and flipped to the closest RAS+ orientation.
    """
    import nibabel as nib

    image = nib.load(str(path))
    if canonical:
        image = nib.as_closest_canonical(image)
    return np.asanyarray(image.dataobj), np.asarray(image.affine, dtype=np.float64)


def _find_root(path: Path, marker: str) -> Path:
    if (path / marker).is_file():
        return path
    found = sorted(p for p in path.glob(f"*/{marker}") if not p.parent.name.startswith("."))
    if not found:
        raise FileNotFoundError(f"No {marker} found in {path} (nor one folder below).")
    return found[0].parent


def _item(image: np.ndarray, affine: np.ndarray, identifier: str) -> dict:
    array = image.astype(np.float32, copy=False)
    array = np.moveaxis(array, -1, 0) if array.ndim == 4 else array[None]
    spacing = tuple(float(v) for v in np.linalg.norm(affine[:3, :3], axis=0))
    return {"image": torch.from_numpy(np.ascontiguousarray(array)),
            "affine": torch.from_numpy(affine), "spacing": spacing, "id": identifier}


class MSDDataset(Dataset):
    """A Medical Segmentation Decathlon task (``dataset.json`` + NIfTI files).

    Parameters
    ----------
    source : str or path-like
        Registry name (``"msd_hippocampus"``, ``"msd_braintumour"``) or a folder
        containing (one level down at most) the task's ``dataset.json``.
    section : {"training", "test"}
        ``"training"`` has labels; ``"test"`` has images only.
    canonical : bool
        Reorient to the closest RAS+ axes (see module docstring).
    transform : callable, optional
        Applied to each item dict.
    download, registry, cache_dir
        As in :class:`data_fetch.medmnist.MedMNISTDataset`.

    Attributes
    ----------
    properties : dict
        The task's ``dataset.json`` (name, modality, labels, licence...).
    classes : dict of int to str
        Segmentation label meanings (``0: "background"`` ...).
    """

    def __init__(self, source, section: str = "training", *, canonical: bool = True,
                 transform: Callable[[dict], dict] | None = None, download: bool = False,
                 registry: Registry | None = None, cache_dir=None) -> None:
        if section not in ("training", "test"):
            raise ValueError(f"section={section!r} must be 'training' or 'test'.")
        path, _ = resolve_source(source, loader="msd", registry=registry,
                                 cache_dir=cache_dir, download=download)
        self.root = _find_root(path, "dataset.json")
        self.properties = json.loads((self.root / "dataset.json").read_text())
        self.section, self.canonical, self.transform = section, canonical, transform
        self.classes = {int(k): v for k, v in self.properties.get("labels", {}).items()}
        entries = self.properties.get(section, [])
        self.cases = [entry if isinstance(entry, dict) else {"image": entry} for entry in entries]
        for case in self.cases:
            if not (self.root / case["image"]).is_file():
                raise FileNotFoundError(
                    f"{self.root / case['image']} is listed in dataset.json but missing."
                )

    def __len__(self) -> int:
        return len(self.cases)

    def __getitem__(self, index: int) -> dict:
        case = self.cases[index]
        image, affine = load_nifti(self.root / case["image"], self.canonical)
        identifier = Path(case["image"]).name.split(".")[0]
        item = _item(image, affine, identifier)
        if "label" in case:
            label, _ = load_nifti(self.root / case["label"], self.canonical)
            item["label"] = torch.from_numpy(np.asarray(label).astype(np.int64))
        return self.transform(item) if self.transform else item


class IXIDataset(Dataset):
    """IXI volumes of one contrast, labelled with the acquisition site.

    Parameters
    ----------
    source : str or path-like
        Registry name (``"ixi_t1"``, ``"ixi_t2"``, ``"ixi_pd"``) or a folder of
        ``IXI###-<Site>-####-<contrast>.nii.gz`` files.
    canonical, transform, download, registry, cache_dir
        As in :class:`MSDDataset`.

    Attributes
    ----------
    files : list of pathlib.Path
        Volumes, sorted by name.
    classes : dict of int to str
        ``{0: "Guys", 1: "HH", 2: "IOP"}``.
    """

    def __init__(self, source, *, canonical: bool = True,
                 transform: Callable[[dict], dict] | None = None, download: bool = False,
                 registry: Registry | None = None, cache_dir=None) -> None:
        path, _ = resolve_source(source, loader="ixi", registry=registry,
                                 cache_dir=cache_dir, download=download)
        self.canonical, self.transform = canonical, transform
        self.files = sorted(p for p in path.rglob("IXI*.nii*") if _IXI_NAME.match(p.name))
        if not self.files:
            raise FileNotFoundError(f"No IXI###-<Site>-####-<contrast>.nii.gz files in {path}.")
        self.classes = dict(enumerate(IXI_SITES))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict:
        path = self.files[index]
        subject, site, _, _, _ = _IXI_NAME.match(path.name).groups()
        image, affine = load_nifti(path, self.canonical)
        item = _item(image, affine, f"{subject}-{site}")
        item["label"] = torch.tensor(IXI_SITES.index(site), dtype=torch.int64)
        item["site"] = site
        return self.transform(item) if self.transform else item
