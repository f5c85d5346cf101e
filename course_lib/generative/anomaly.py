"""Anomaly detection by reconstruction: data slabs, anomaly maps, latent paths.

Chapter 09 follows the lecture's idea (Rodriguez et al., Medical Image Analysis
2022; Kmetzsch et al. 2019): an auto-encoder trained on healthy anatomy only
reconstructs healthy tissue well and anomalies badly, so the reconstruction
residual is an anomaly map. This module holds the parts around the models
(:mod:`course_lib.models.autoencoders`):

* :func:`slab_slices` — axial slices of simulated subjects with their brain,
  anomaly and region masks, ready for a 2-D auto-encoder;
* :func:`region_masks` — the regions of the lecture's Kmetzsch table built
  from our tissue labels and coarse parcellation;
* :func:`anomaly_map` — residual -> (signed or absolute) -> smoothed ->
  masked anomaly score per pixel;
* the scores of those maps (AUROC, AUPRC, Dice at a threshold, subject-level
  scores) are in :mod:`course_lib.generative.anomaly_metrics`;
* :func:`latent_code` and :class:`LatentExplorer` — walk through a latent space
  (interpolate two subjects, move along one latent dimension), with a widget.

Arrays: slices are ``(N, H, W)`` with ``(H, W) = (X, Y)`` of the subject grid
(left->right, posterior->anterior, see ``course_lib.simulation.datasets``);
images for the models are ``(N, C, H, W)``.

References
----------
.. [1] C. Baur, S. Denner, B. Wiestler, N. Navab, S. Albarqouni,
   "Autoencoders for unsupervised anomaly segmentation in brain MR images:
   a comparative study", Medical Image Analysis 69, 2021.
   doi:10.1016/j.media.2020.101952
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import ndimage

__all__ = [
    "SlabSlices",
    "REGION_ROWS",
    "region_masks",
    "slab_slices",
    "eroded_mask",
    "anomaly_map",
    "latent_code",
    "LatentExplorer",
]

#: Rows of the per-region table, in the order of the lecture's Kmetzsch table
#: (our regions are coarser; "cortex" stands for its insular/cingulate cortex row).
REGION_ROWS: tuple[str, ...] = (
    "subcortical/brainstem",
    "frontal lobe",
    "parietal lobe",
    "temporal lobe",
    "occipital lobe",
    "white matter",
    "periventricular WM",
    "cortex",
    "ventricles",
)
_LOBES = {"frontal lobe": 1, "parietal lobe": 2, "temporal lobe": 3, "occipital lobe": 4}


def region_masks(subject, periventricular_mm: float = 10.0) -> dict[str, np.ndarray]:
    """Boolean masks ``(X, Y, Z)`` of the :data:`REGION_ROWS` regions of one subject.

    Built from ``subject.labels`` (1 CSF, 2 GM, 3 WM) and ``subject.regions``
    (codes of ``course_lib.simulation.REGION_NAMES``): lobes are the lobar
    parcels (all tissues), *subcortical/brainstem* is deep grey matter plus
    cerebellum and brainstem, *white matter* is label 3, *periventricular WM*
    the white matter within ``periventricular_mm`` mm of the ventricles
    (distance computed in the subject's own space), *cortex* the grey matter
    of the four lobes and *ventricles* the ventricle parcel.
    """
    if not periventricular_mm > 0:
        raise ValueError(f"periventricular_mm must be > 0 mm, got {periventricular_mm!r}.")
    labels = np.asarray(subject.labels)
    regions = np.asarray(subject.regions)
    ventricles = regions == 7
    distance = ndimage.distance_transform_edt(~ventricles, sampling=float(subject.spacing))
    masks = {"subcortical/brainstem": np.isin(regions, (5, 6))}
    masks.update({name: regions == code for name, code in _LOBES.items()})
    masks["white matter"] = labels == 3
    masks["periventricular WM"] = (labels == 3) & (distance <= periventricular_mm)
    masks["cortex"] = (labels == 2) & np.isin(regions, tuple(_LOBES.values()))
    masks["ventricles"] = ventricles
    return {name: masks[name] for name in REGION_ROWS}


@dataclass(frozen=True)
class SlabSlices:
    """Axial slices of several subjects (one slab each) and their masks.

    Attributes
    ----------
    images : np.ndarray
        ``(N, C, H, W)`` float32, contrasts z-scored in the brain, 0 outside.
    brain, anomaly : np.ndarray
        ``(N, H, W)`` bool brain mask; true anomalies (lesions or any tumour label).
    regions : dict of str to np.ndarray
        ``(N, H, W)`` bool masks of :data:`REGION_ROWS`.
    subject_index : np.ndarray
        ``(N,)`` int64 position of each slice's subject in the input list.
    """

    images: np.ndarray
    brain: np.ndarray
    anomaly: np.ndarray
    regions: dict
    subject_index: np.ndarray

    def __len__(self) -> int:
        return len(self.images)


def slab_slices(
    subjects: Sequence,
    contrasts: Sequence[str],
    z_slices: slice,
    crop: tuple[slice, slice] = (slice(None), slice(None)),
) -> SlabSlices:
    """Cut the axial slices ``z_slices`` (and the in-plane ``crop``) out of each subject.

    Parameters
    ----------
    subjects : sequence of Subject
        Simulated subjects (``course_lib.simulation``).
    contrasts : sequence of str
        Image channels, z-scored per subject inside its brain mask
        (``course_lib.simulation.datasets.normalize_subject``).
    z_slices : slice
        Voxel indices ``k`` of the slab (e.g. ``slice(34, 62)``).
    crop : (slice, slice)
        In-plane crop ``(X, Y)`` in voxels, e.g. to sizes that are multiples of 16.

    Returns
    -------
    SlabSlices
    """
    from course_lib.simulation.datasets import normalize_subject

    subjects = list(subjects)
    if not subjects:
        raise ValueError("subjects is empty: pass simulated subjects (make_cohort).")
    window = (crop[0], crop[1], z_slices)
    images, brain, anomaly, index = [], [], [], []
    regions: dict[str, list] = {name: [] for name in REGION_ROWS}

    def axial(volume: np.ndarray) -> np.ndarray:  # (X, Y, Z) -> (Z, X, Y)
        return np.moveaxis(np.asarray(volume)[window], -1, 0)

    for k, subject in enumerate(subjects):
        mask = np.asarray(subject.brain_mask)
        volume = normalize_subject(subject, tuple(contrasts)) * mask[None]
        images.append(np.moveaxis(volume[(slice(None), *window)], -1, 0))
        brain.append(axial(mask))
        truth = np.asarray(subject.lesion_mask).copy()
        if subject.tumor_labels is not None:
            truth |= np.asarray(subject.tumor_labels) > 0
        anomaly.append(axial(truth))
        for name, region in region_masks(subject).items():
            regions[name].append(axial(region))
        index.append(np.full(brain[-1].shape[0], k, dtype=np.int64))
    return SlabSlices(
        images=np.ascontiguousarray(np.concatenate(images), dtype=np.float32),
        brain=np.concatenate(brain),
        anomaly=np.concatenate(anomaly),
        regions={name: np.concatenate(parts) for name, parts in regions.items()},
        subject_index=np.concatenate(index),
    )


def eroded_mask(brain: np.ndarray, erosion: int = 1) -> np.ndarray:
    """Brain masks ``(N, H, W)`` eroded in-plane by ``erosion`` pixels (4-connectivity).

    Skull-stripping edges give large residuals that are not anomalies; scoring
    and evaluating inside the eroded mask leaves them out.
    """
    brain = np.asarray(brain, dtype=bool)
    if brain.ndim != 3:
        raise ValueError(f"brain must be (N, H, W), got shape {brain.shape}.")
    if erosion < 0:
        raise ValueError(f"erosion must be >= 0 pixels, got {erosion!r}.")
    if erosion == 0:
        return brain.copy()
    structure = np.zeros((3, 3, 3), bool)
    structure[1] = ndimage.generate_binary_structure(2, 1)  # in-plane only
    return ndimage.binary_erosion(brain, structure, iterations=int(erosion))


def anomaly_map(
    images: np.ndarray,
    reconstructions: np.ndarray,
    brain: np.ndarray,
    sign: str = "negative",
    sigma: float = 1.0,
    erosion: int = 1,
    channel: int = 0,
) -> np.ndarray:
    """Anomaly score per pixel from the reconstruction residual.

    Parameters
    ----------
    images, reconstructions : array-like, shape (N, C, H, W)
        Inputs and model outputs (NumPy arrays or CPU tensors).
    brain : array-like of bool, shape (N, H, W)
        Brain masks; scores are 0 outside the (eroded) mask.
    sign : {"negative", "positive", "absolute"}, default "negative"
        ``"negative"`` keeps only where the image is *darker* than its
        reconstruction (``max(recon - image, 0)``: T1w lesions), ``"positive"``
        where it is brighter (FLAIR lesions), ``"absolute"`` both.
    sigma : float, default 1.0
        Standard deviation (pixels) of the in-plane Gaussian smoothing of each
        slice (0 disables it); isolated noisy pixels fade, blobs stay.
    erosion : int, default 1
        Pixels removed from the brain mask's border (:func:`eroded_mask`).
    channel : int, default 0
        Channel whose residual is scored.

    Returns
    -------
    np.ndarray
        ``(N, H, W)`` float32 scores >= 0 (for "negative"/"positive"/"absolute").
    """
    images, reconstructions = np.asarray(images), np.asarray(reconstructions)
    if images.shape != reconstructions.shape or images.ndim != 4:
        raise ValueError(
            f"images {images.shape} and reconstructions {reconstructions.shape} "
            "must both be (N, C, H, W)."
        )
    brain = np.asarray(brain, dtype=bool)
    if brain.shape != images.shape[:1] + images.shape[2:]:
        raise ValueError(
            f"brain must be (N, H, W) = {images.shape[:1] + images.shape[2:]}, got {brain.shape}."
        )
    residual = (reconstructions[:, channel] - images[:, channel]).astype(np.float32)
    if sign == "negative":
        residual = np.clip(residual, 0.0, None)
    elif sign == "positive":
        residual = np.clip(-residual, 0.0, None)
    elif sign == "absolute":
        residual = np.abs(residual)
    else:
        raise ValueError(f"sign must be 'negative', 'positive' or 'absolute', got {sign!r}.")
    if sigma < 0 or erosion < 0:
        raise ValueError(f"sigma and erosion must be >= 0, got {sigma!r}, {erosion!r}.")
    if sigma > 0:
        residual = ndimage.gaussian_filter(residual, sigma=(0, sigma, sigma))
    return np.where(eroded_mask(brain, erosion), residual, 0.0).astype(np.float32)


def latent_code(
    z_start: np.ndarray, z_end: np.ndarray, t: float, dim: int | None = None, offset: float = 0.0
) -> np.ndarray:
    """A point of the latent space: ``(1 - t) z_start + t z_end``, then ``+ offset`` on ``dim``.

    Parameters
    ----------
    z_start, z_end : array-like, same shape ``latent_shape``
        Two latent codes (e.g. the posterior means of two subjects).
    t : float
        Position on the segment (0 -> ``z_start``, 1 -> ``z_end``).
    dim : int, optional
        Flat index of one latent dimension to move (``None``: no move).
    offset : float
        Added to that dimension (in prior standard deviations for a VAE).

    Returns
    -------
    np.ndarray
        float32 code of the same shape.
    """
    z_start, z_end = np.asarray(z_start, np.float32), np.asarray(z_end, np.float32)
    if z_start.shape != z_end.shape:
        raise ValueError(f"z_start {z_start.shape} and z_end {z_end.shape} must match.")
    z = ((1.0 - t) * z_start + t * z_end).astype(np.float32)
    if dim is not None:
        if not 0 <= dim < z.size:
            raise ValueError(f"dim must be in [0, {z.size - 1}], got {dim!r}.")
        z.reshape(-1)[dim] += np.float32(offset)
    return z


class LatentExplorer:
    """Decode points of a latent space chosen by :func:`latent_code` (with a widget).

    Parameters
    ----------
    decode : callable
        ``decode(z (1, *latent_shape) np.ndarray) -> image (H, W) np.ndarray``
        (wrap the model's ``decode``; see the chapter).
    z_start, z_end : np.ndarray
        Latent codes of two subjects, shape ``latent_shape``.
    """

    def __init__(
        self, decode: Callable[[np.ndarray], np.ndarray], z_start: np.ndarray, z_end: np.ndarray
    ) -> None:
        self.decode, self.z_start, self.z_end = decode, np.asarray(z_start), np.asarray(z_end)

    def image(self, t: float = 0.0, dim: int | None = None, offset: float = 0.0) -> np.ndarray:
        """Decoded image ``(H, W)`` of ``latent_code(z_start, z_end, t, dim, offset)``."""
        return np.asarray(self.decode(latent_code(self.z_start, self.z_end, t, dim, offset)[None]))

    def grid(
        self, ts: Sequence[float], dim: int | None = None, offsets: Sequence[float] = (0.0,)
    ) -> np.ndarray:
        """Images ``(len(offsets), len(ts), H, W)`` over a grid of ``t`` and ``offset``."""
        return np.stack([np.stack([self.image(t, dim, o) for t in ts]) for o in offsets])

    def widget(self, n_dims: int, offset_range: float = 3.0):
        """Sliders for ``t``, the latent dimension and its offset, and the decoded image."""
        import ipywidgets as widgets
        import matplotlib.pyplot as plt
        from IPython.display import display

        t = widgets.FloatSlider(
            0.0, min=0.0, max=1.0, step=0.05, description="t", continuous_update=False
        )
        dim = widgets.IntSlider(
            0, min=0, max=n_dims - 1, description="latent dim", continuous_update=False
        )
        offset = widgets.FloatSlider(
            0.0,
            min=-offset_range,
            max=offset_range,
            step=0.25,
            description="offset",
            continuous_update=False,
        )
        output = widgets.Output()

        def update(_change=None):
            with output:
                output.clear_output(wait=True)
                fig, ax = plt.subplots(figsize=(3, 3))
                ax.imshow(
                    self.image(t.value, dim.value, offset.value).T, cmap="gray", origin="lower"
                )
                ax.set_axis_off()
                display(fig)
                plt.close(fig)

        for control in (t, dim, offset):
            control.observe(update, names="value")
        update()
        return widgets.VBox([widgets.HBox([t, dim, offset]), output])
