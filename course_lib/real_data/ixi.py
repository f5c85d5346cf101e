"""IXI: T1-, T2- and PD-weighted brain MRI of healthy adults from three hospitals.

Chapters (with ``COURSE_DATA=real``):

* 03a -- affine registration of a real T1 to ICBM152:
  ``ixi_subjects(("T1w",), n=knobs.n_subjects, resolution=profile.resolution)``;
* 07 -- paired image translation: T2 and PD come from one dual-echo acquisition, so
  they share one voxel grid: ``ixi_subjects(("PD", "T2w"), n=..., resolution=...)``;
* 08 -- the same contrast from three scanners (Guy's: Philips 1.5 T, Hammersmith:
  Philips 3 T, Institute of Psychiatry: GE 1.5 T): ``ixi_subjects(("T1w",), sites=(...))``.

IXI images are not skull-stripped and have no segmentation: ``labels`` and ``brain_mask``
are None. The registry entries ``ixi_t1``, ``ixi_t2``, ``ixi_pd`` each hold one tar of
``IXI<nnn>-<site>-<nnnn>-<contrast>.nii.gz`` files.

References
----------
IXI Dataset, Imperial College London, https://brain-development.org/ixi-dataset/
(CC BY-SA 3.0).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

from course_lib._checks import check_choice

from .source import fetched_path
from .volumes import RealSubject, load_volume

__all__ = ["IXI_CONTRASTS", "IXI_SITES", "ixi_subjects", "ixi_files"]

#: Course contrast name -> (registry entry, IXI file suffix).
IXI_CONTRASTS = {"T1w": ("ixi_t1", "T1"), "T2w": ("ixi_t2", "T2"), "PD": ("ixi_pd", "PD")}
#: IXI site code -> hospital and scanner (IXI web site).
IXI_SITES = {
    "Guys": "Guy's Hospital, Philips 1.5 T",
    "HH": "Hammersmith Hospital, Philips 3 T",
    "IOP": "Institute of Psychiatry, GE 1.5 T",
}
_NAME = re.compile(r"^IXI(\d{3})-(Guys|HH|IOP)-(\d{4})-(T1|T2|PD)\.nii(?:\.gz)?$")


def ixi_files(folder: Path, suffix: str) -> dict[str, tuple[str, Path]]:
    """``{subject id: (site, path)}`` of the IXI files of one contrast below ``folder``."""
    found = {}
    for path in sorted(folder.rglob("IXI*.nii*")):
        match = _NAME.match(path.name)
        if match and match.group(4) == suffix:
            found[f"IXI{match.group(1)}"] = (match.group(2), path)
    return found


def ixi_subjects(
    contrasts: Sequence[str] = ("T1w",),
    n: int | None = None,
    *,
    sites: Sequence[str] | None = None,
    resolution: float | None = None,
    download: bool = False,
    registry=None,
    cache_dir=None,
) -> list[RealSubject]:
    """IXI subjects with the given contrasts, in subject-ID order.

    Parameters
    ----------
    contrasts : sequence of {"T1w", "T2w", "PD"}
        Contrasts per subject; several must share one acquisition (``("T2w", "PD")``).
    n : int, optional
        Keep the first ``n`` subjects (after the site filter); default all.
    sites : sequence of {"Guys", "HH", "IOP"}, optional
        Keep these sites only.
    resolution : float, optional
        Resample to isotropic voxels of this size (mm); default the files' voxels.
    download : bool
        Fetch missing registry entries (see :func:`course_lib.real_data.source.fetched_path`).
    registry, cache_dir
        As in :func:`~course_lib.real_data.source.fetched_path`.

    Returns
    -------
    list of RealSubject
        ``images`` keyed by contrast, ``center`` the site code, ``id`` ``"IXI002"``...

    Raises
    ------
    ValueError
        Unknown contrast or site, or contrasts that are not on one voxel grid (T1 with
        T2/PD: register them first, as in chapter 03a).
    RealDataNotCachedError
        A contrast is not in the cache and ``download`` is False.
    """
    if not contrasts:
        raise ValueError(f"contrasts is empty; choose from {tuple(IXI_CONTRASTS)}.")
    for contrast in contrasts:
        check_choice("each contrast", contrast, IXI_CONTRASTS)
    for site in sites or ():
        check_choice("each site", site, IXI_SITES)
    files = {}
    for contrast in contrasts:
        name, suffix = IXI_CONTRASTS[contrast]
        folder = fetched_path(name, download=download, registry=registry, cache_dir=cache_dir)
        files[contrast] = ixi_files(folder, suffix)
    ids = sorted(set.intersection(*(set(found) for found in files.values())))
    ids = [i for i in ids if sites is None or files[contrasts[0]][i][0] in sites]
    subjects = []
    for subject_id in ids[:n]:
        images, affine, paths = {}, None, {}
        for contrast in contrasts:
            site, path = files[contrast][subject_id]
            image, image_affine = load_volume(path, resolution)
            if affine is not None and (
                image.shape != next(iter(images.values())).shape
                or not np.allclose(image_affine, affine, atol=1e-3)
            ):
                raise ValueError(
                    f"{subject_id}: {contrasts[0]} and {contrast} are not on one voxel grid "
                    "(separate acquisitions). Ask for ('T2w', 'PD'), which IXI acquires "
                    "together, or register the contrasts first (chapter 03a)."
                )
            images[contrast], affine, paths[contrast] = image, image_affine, path.name
        subjects.append(
            RealSubject(
                images=images,
                affine=affine,
                center=site,
                id=subject_id,
                meta={"files": paths, "scanner": IXI_SITES[site]},
            )
        )
    return subjects
