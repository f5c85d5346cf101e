"""A task that needs long-range context: is a pair of lesions mirror-symmetric? (chapter 10).

Radiologists read a brain image by comparing each hemisphere with its mirror
side: a bright spot that has a twin at the mirror position is often a normal
variant, a spot without one is suspicious. This module turns simulated healthy
subjects into such a task:

* :func:`axial_slices` resamples axial slices of simulated subjects onto a
  small square grid centred on the mid-sagittal plane (world ``x = 0``), so
  that mirroring the image left-right mirrors the head;
* :func:`make_asymmetry_dataset` adds **two** identical-looking lesions to each
  slice, one per hemisphere, inside white matter present on both sides. Class
  0 ("symmetric"): the second lesion sits at the mirror position of the first
  (up to a small jitter); class 1 ("asymmetric"): it sits elsewhere in the
  other hemisphere, at least ``min_shift_px`` from the mirror position.

Each lesion alone looks the same in both classes (same intensity and size
distributions; its position is drawn from the same mask), so **no local
evidence** separates the classes: only the *relation* between two places
``>= 2 * min_offset_px`` pixels apart does. A CNN that ends with global
average pooling and a linear layer adds up local evidence; when its receptive
field (:func:`course_lib.models.receptive_field`) is smaller than the distance
between the lesions it cannot tell the classes apart, whereas self-attention
relates any two patches in one layer.

Image convention: arrays ``(N, S, S)`` indexed ``[row, col]``; columns follow
world ``x`` (RAS: subject's right towards larger ``col``), rows follow world
``y`` from anterior (row 0) to posterior. Pixels are ``pixel_mm`` wide; the
mirror of column ``c`` is ``S - 1 - c``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import ndimage

__all__ = [
    "SliceStack",
    "AsymmetryDataset",
    "axial_slices",
    "make_asymmetry_dataset",
    "CLASS_NAMES",
]

#: Class index -> name.
CLASS_NAMES: tuple[str, str] = ("symmetric", "asymmetric")


@dataclass(frozen=True)
class SliceStack:
    """Axial slices on a square grid centred on the midline.

    Attributes
    ----------
    images : np.ndarray
        ``(N, S, S)`` float32 contrast z-scored in the brain, 0 outside it.
    white_matter : np.ndarray
        ``(N, S, S)`` bool white-matter mask (tissue label 3).
    brain : np.ndarray
        ``(N, S, S)`` bool brain mask.
    subject_index : np.ndarray
        ``(N,)`` int64 position of each slice's subject in the input list.
    pixel_mm : float
        Pixel size in mm.
    """

    images: np.ndarray
    white_matter: np.ndarray
    brain: np.ndarray
    subject_index: np.ndarray
    pixel_mm: float

    def __len__(self) -> int:
        return len(self.images)

    def select(self, subjects: Sequence[int]) -> "SliceStack":
        """Slices of the subjects at positions ``subjects`` (for subject-level splits)."""
        keep = np.isin(self.subject_index, np.asarray(list(subjects), dtype=np.int64))
        return SliceStack(
            self.images[keep],
            self.white_matter[keep],
            self.brain[keep],
            self.subject_index[keep],
            self.pixel_mm,
        )


@dataclass(frozen=True)
class AsymmetryDataset:
    """Images and labels of the symmetric-vs-asymmetric task.

    Attributes
    ----------
    images : np.ndarray
        ``(n, 1, S, S)`` float32 (channel axis for the models).
    labels : np.ndarray
        ``(n,)`` int64, 0 symmetric, 1 asymmetric (:data:`CLASS_NAMES`).
    centres : np.ndarray
        ``(n, 2, 2)`` float64 ``(row, col)`` of the two lesions in pixels.
    slice_index : np.ndarray
        ``(n,)`` int64 index of the background slice in the :class:`SliceStack`.
    """

    images: np.ndarray
    labels: np.ndarray
    centres: np.ndarray
    slice_index: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def distances(self) -> np.ndarray:
        """``(n,)`` distance between the two lesions of each image, in pixels."""
        return np.linalg.norm(self.centres[:, 0] - self.centres[:, 1], axis=1)


def axial_slices(
    subjects: Sequence,
    contrast: str = "FLAIR",
    size: int = 64,
    pixel_mm: float = 3.0,
    z_range_mm: tuple[float, float] = (0.0, 40.0),
    y_centre_mm: float = -17.0,
) -> SliceStack:
    """Resample axial slices of subjects onto a ``size x size`` grid centred on ``x = 0``.

    Parameters
    ----------
    subjects : sequence of Subject
        Simulated subjects (:func:`course_lib.simulation.make_cohort`) on an
        axis-aligned grid with ``contrast`` among their images.
    contrast : str, default "FLAIR"
        Image to use; it is z-scored inside each subject's brain mask.
    size : int, default 64
        Output side ``S`` in pixels (even, so the midline falls between two columns).
    pixel_mm : float, default 3.0
        Output pixel size in mm (the field of view is ``size * pixel_mm``).
    z_range_mm : (float, float), default (0, 40)
        World ``z`` range (mm, MNI) of the slices kept: every voxel plane of
        the subject grid inside it gives one slice.
    y_centre_mm : float, default -17
        World ``y`` (mm) of the image centre (the ICBM152 brain's centre).

    Returns
    -------
    SliceStack
        Images (linear interpolation), white-matter and brain masks (linear, > 0.5).
    """
    subjects = list(subjects)
    if not subjects:
        raise ValueError("subjects is empty: pass simulated subjects (make_cohort).")
    if size < 8 or size % 2:
        raise ValueError(f"size must be an even number >= 8 pixels, got {size!r}.")
    if not pixel_mm > 0:
        raise ValueError(f"pixel_mm must be > 0 mm, got {pixel_mm!r}.")
    lo, hi = z_range_mm
    if not lo <= hi:
        raise ValueError(f"z_range_mm must be (low, high) with low <= high, got {z_range_mm!r}.")
    offsets = (np.arange(size) - (size - 1) / 2.0) * pixel_mm
    world_x = offsets[None, :]  # columns -> x (right is larger col)
    world_y = y_centre_mm - offsets[:, None]  # rows -> y, anterior at row 0
    images, wm, brain, index = [], [], [], []
    for k, subject in enumerate(subjects):
        if contrast not in subject.images:
            raise ValueError(
                f"Subject (seed {subject.seed}) has no {contrast!r} image; it has "
                f"{sorted(subject.images)}. Simulate it with contrasts=(..., "
                f"{contrast!r})."
            )
        affine = np.asarray(subject.affine, dtype=np.float64)
        if not np.allclose(affine[:3, :3], np.diag(np.diag(affine[:3, :3]))):
            raise ValueError("axial_slices needs an axis-aligned subject affine.")
        mask = np.asarray(subject.brain_mask)
        volume = np.asarray(subject.images[contrast], dtype=np.float32)
        values = volume[mask]
        volume = np.where(mask, (volume - values.mean()) / (values.std() + 1e-6), 0.0)
        labels = np.asarray(subject.labels)
        i = (world_x - affine[0, 3]) / affine[0, 0] + 0.0 * world_y
        j = (world_y - affine[1, 3]) / affine[1, 1] + 0.0 * world_x
        z_world = affine[2, 2] * np.arange(volume.shape[2]) + affine[2, 3]
        for plane in np.flatnonzero((z_world >= lo) & (z_world <= hi)):
            coords = np.stack([i, j])
            image = ndimage.map_coordinates(volume[:, :, plane], coords, order=1, cval=0.0)
            # masks: linear interpolation of 0/1 maps, > 0.5 (mirror-consistent, unlike
            # nearest neighbour, which breaks ties at half-voxel positions one way)
            inside = (
                ndimage.map_coordinates(
                    mask[:, :, plane].astype(np.float32), coords, order=1, cval=0.0
                )
                > 0.5
            )
            white = (
                ndimage.map_coordinates(
                    (labels[:, :, plane] == 3).astype(np.float32), coords, order=1, cval=0.0
                )
                > 0.5
            )
            images.append(np.where(inside, image, 0.0).astype(np.float32))
            wm.append(white & inside)
            brain.append(inside)
            index.append(k)
    if not images:
        raise ValueError(f"No voxel plane lies in z_range_mm={z_range_mm}; widen it.")
    return SliceStack(
        np.stack(images),
        np.stack(wm),
        np.stack(brain),
        np.asarray(index, dtype=np.int64),
        float(pixel_mm),
    )


def _blob(size: int, centre: np.ndarray, sigma: float) -> np.ndarray:
    rows, cols = np.ogrid[:size, :size]
    r2 = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2
    return np.exp(-0.5 * r2 / sigma**2)


def make_asymmetry_dataset(
    stack: SliceStack,
    n: int,
    seed: int = 0,
    min_offset_px: int = 8,
    min_shift_px: float = 8.0,
    jitter_px: float = 1.0,
    amplitude: tuple[float, float] = (2.0, 3.0),
    sigma_px: tuple[float, float] = (1.0, 1.8),
    noise: float = 0.1,
    flip: bool = True,
) -> AsymmetryDataset:
    """Draw ``n`` images with two lesions each; half symmetric (class 0), half not (class 1).

    Parameters
    ----------
    stack : SliceStack
        Background slices (:func:`axial_slices`), e.g. of the training subjects only.
    n : int
        Number of images (classes alternate before shuffling, so they are balanced).
    seed : int, default 0
        Seed of the only random generator used.
    min_offset_px : int, default 8
        Lesions lie at least this many pixels from the midline, so the two are
        at least ``2 * min_offset_px`` apart.
    min_shift_px : float, default 8
        In class 1 the second lesion is at least this far from the mirror
        position of the first (before the sub-pixel jitter of +-0.5 px per axis
        that every lesion gets).
    jitter_px : float, default 1
        In class 0 the second lesion is the mirror of the first moved by up to
        this much in each direction (real anatomy is never exactly symmetric),
        plus the sub-pixel jitter.
    amplitude : (float, float), default (2, 3)
        Range of the lesions' peak intensity (z-score units, uniform).
    sigma_px : (float, float), default (1, 1.8)
        Range of the Gaussian lesion radius (pixels, uniform).
    noise : float, default 0.1
        Standard deviation of Gaussian noise added inside the brain.
    flip : bool, default True
        Mirror each background at random first (both hemispheres play both roles).

    Returns
    -------
    AsymmetryDataset

    Notes
    -----
    Lesion centres are drawn from the *bilateral* white matter: white-matter
    pixels whose mirror pixel is white matter too (eroded by one pixel), at
    least ``min_offset_px`` from the midline. Both lesions of either class are
    therefore drawn from the same mask with the same size and intensity laws,
    which is what removes every local cue.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (two classes), got {n!r}.")
    if min_offset_px < 1 or min_shift_px <= 2 * jitter_px or jitter_px < 0:
        raise ValueError(
            "need min_offset_px >= 1, jitter_px >= 0 and min_shift_px > 2 * "
            f"jitter_px; got {min_offset_px!r}, {min_shift_px!r}, {jitter_px!r}."
        )
    if not (0 < sigma_px[0] <= sigma_px[1]) or not amplitude[0] <= amplitude[1]:
        raise ValueError(
            f"sigma_px and amplitude must be (low, high) ranges, got {sigma_px!r}, {amplitude!r}."
        )
    rng = np.random.default_rng(seed)
    size = stack.images.shape[-1]
    half = size // 2
    cols = np.arange(size)
    left_band = cols <= half - 1 - min_offset_px  # at least min_offset_px from the midline
    structure = ndimage.generate_binary_structure(2, 1)
    images = np.empty((n, 1, size, size), dtype=np.float32)
    centres = np.empty((n, 2, 2), dtype=np.float64)
    slice_index = np.empty(n, dtype=np.int64)
    labels = np.arange(n, dtype=np.int64) % 2
    rng.shuffle(labels)
    geometry: dict[tuple[int, bool], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def lesion_sites(s: int, mirror: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidate centres, far-pair matrix and first-lesion weights of one background
        (computed once per slice and orientation: they depend on nothing random)."""
        if (s, mirror) not in geometry:
            wm = stack.white_matter[s][:, ::-1] if mirror else stack.white_matter[s]
            both = ndimage.binary_erosion(wm & wm[:, ::-1], structure)
            candidates = np.argwhere(both & left_band[None, :]).astype(float)
            # far[a, b]: lesion b's mirror is far enough from lesion a's mirror position
            gaps = np.linalg.norm(candidates[:, None] - candidates[None], axis=-1)
            far = gaps >= min_shift_px
            geometry[s, mirror] = (candidates, far, far.sum(1).astype(float))
        return geometry[s, mirror]

    for t in range(n):
        for _ in range(100):
            s = int(rng.integers(len(stack)))
            mirror = bool(rng.random() < 0.5) if flip else False
            candidates, far, weight = lesion_sites(s, mirror)
            if weight.any():
                break
        else:
            raise ValueError(
                "No bilateral white matter far enough from the midline (or from "
                "the mirror position): lower min_offset_px or min_shift_px."
            )
        # Both classes draw the first lesion with probability ~ its number of far partners:
        # then class 1, a uniform draw among far pairs, gives each lesion the same position
        # law as class 0 (no single lesion tells the class).
        a = int(rng.choice(len(candidates), p=weight / weight.sum()))
        if labels[t] == 0:
            b_offset = rng.uniform(-jitter_px, jitter_px, 2)
            second = np.array([candidates[a, 0], size - 1 - candidates[a, 1]]) + b_offset
        else:
            b = int(rng.choice(np.flatnonzero(far[a])))
            second = np.array([candidates[b, 0], size - 1 - candidates[b, 1]])
        # sub-pixel positions for both lesions, so that no lesion sits on the pixel grid in
        # one class only (a local cue a CNN could use)
        first = candidates[a] + rng.uniform(-0.5, 0.5, 2)
        second = second + rng.uniform(-0.5, 0.5, 2)
        pair = np.stack([first, second])
        if rng.random() < 0.5:  # the "first" lesion is on either side
            pair[:, 1] = size - 1 - pair[:, 1]
            pair = pair[::-1]
        image = stack.images[s][:, ::-1] if mirror else stack.images[s]
        brain = stack.brain[s][:, ::-1] if mirror else stack.brain[s]
        lesions = sum(
            rng.uniform(*amplitude) * _blob(size, c, rng.uniform(*sigma_px)) for c in pair
        )
        noisy = image + lesions + noise * rng.standard_normal((size, size))
        images[t, 0] = np.where(brain, noisy, 0.0)
        centres[t] = pair
        slice_index[t] = s
    return AsymmetryDataset(images, labels, centres, slice_index)
