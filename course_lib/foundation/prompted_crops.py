"""Objects of a slice as box-prompted crops, and their scoring (chapter 15).

The promptable segmenter of chapter 15 does not look at the whole slice: the (jittered) box
prompt picks a square **window** around itself, ``context`` times the box's longer side, and the
window is resampled to ``size x size`` pixels. The network gets two channels: the window's
image, z-scored inside the window (so that the contrast's intensity scale matters less), and
the box rasterised in the window (the prompt). It answers a ``size x size`` mask. Cropping by
the box keeps every object at the same scale on the network's grid, which is what lets a tiny
network run on a CPU; MedSAM instead encodes the whole 1024 x 1024 image once and the box
separately (Ma et al., Nat Commun 15, 654, 2024, doi:10.1038/s41467-024-44824-z).

Scoring is done on the slice's own pixel grid (:func:`window_dice`): a predicted window is
resampled back to the window's side, and object pixels outside the window count as missed.
Arrays are ``(H, W)`` slices, rows then columns, as in :mod:`course_lib.foundation.boxes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from skimage.filters import threshold_otsu

from course_lib.foundation.boxes import Box, box_from_mask, box_mask, jitter_box

__all__ = ["PromptedCrops", "crop_objects", "slice_objects", "window_dice", "otsu_in_box"]


@dataclass
class PromptedCrops:
    """Box-prompted crops of objects, with what is needed to score them on the slice grid.

    Attributes
    ----------
    inputs : np.ndarray
        ``(N, 2, size, size)`` float32: channel 0 the window's image (z-scored in the window),
        channel 1 the box prompt (fraction of each pixel inside the box).
    targets : np.ndarray
        ``(N, size, size)`` int64: 1 where the object covers >= half of the pixel.
    windows : list of np.ndarray
        Per object, the ``(side, side)`` float32 image window at the slice's resolution.
    truths : list of np.ndarray
        Per object, the ``(side, side)`` bool object mask in the window.
    boxes : list of Box
        Per object, the (jittered) box prompt in window coordinates.
    missed : np.ndarray
        ``(N,)`` int64 object pixels that fall outside the window (counted as missed).
    tags : dict of str to np.ndarray
        Per-object labels given by the caller (subject, target, contrast, z ...).
    """

    inputs: np.ndarray
    targets: np.ndarray
    windows: list
    truths: list
    boxes: list
    missed: np.ndarray
    tags: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.targets)

    def take(self, index: Sequence[int] | np.ndarray) -> "PromptedCrops":
        """The objects at ``index`` (integer array or boolean mask)."""
        index = np.flatnonzero(index) if np.asarray(index).dtype == bool else np.asarray(index)
        return PromptedCrops(
            self.inputs[index],
            self.targets[index],
            [self.windows[i] for i in index],
            [self.truths[i] for i in index],
            [self.boxes[i] for i in index],
            self.missed[index],
            {k: v[index] for k, v in self.tags.items()},
        )

    @staticmethod
    def concatenate(parts: Sequence["PromptedCrops"]) -> "PromptedCrops":
        """One set from several (tags must have the same names in every part)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            raise ValueError("concatenate needs at least one non-empty PromptedCrops")
        return PromptedCrops(
            np.concatenate([p.inputs for p in parts]),
            np.concatenate([p.targets for p in parts]),
            [w for p in parts for w in p.windows],
            [t for p in parts for t in p.truths],
            [b for p in parts for b in p.boxes],
            np.concatenate([p.missed for p in parts]),
            {k: np.concatenate([p.tags[k] for p in parts]) for k in parts[0].tags},
        )


def slice_objects(mask: np.ndarray, min_pixels: int = 4, split: bool = True) -> list[np.ndarray]:
    """The objects of a 2-D mask: its connected components (4-connected) or the whole mask.

    Parameters
    ----------
    mask : np.ndarray
        ``(H, W)``; non-zero is foreground.
    min_pixels : int
        Objects smaller than this are dropped (a box around 2 pixels is not a useful prompt).
    split : bool
        True: one object per connected component; False: the whole mask is one object.

    Returns
    -------
    list of np.ndarray
        ``(H, W)`` bool masks, largest first.
    """
    mask = np.asarray(mask) > 0
    if not split:
        return [mask] if mask.sum() >= min_pixels else []
    labels, n = ndimage.label(mask)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    order = np.argsort(-sizes, kind="stable")
    return [labels == k + 1 for k in order if sizes[k] >= min_pixels]


def _window(image: np.ndarray, r0: int, c0: int, side: int) -> np.ndarray:
    """``image[r0:r0+side, c0:c0+side]`` with zeros where the window leaves the image."""
    out = np.zeros((side, side), dtype=image.dtype)
    rs, cs = max(r0, 0), max(c0, 0)
    re, ce = min(r0 + side, image.shape[0]), min(c0 + side, image.shape[1])
    if re > rs and ce > cs:
        out[rs - r0 : re - r0, cs - c0 : ce - c0] = image[rs:re, cs:ce]
    return out


def _resize(x: np.ndarray, size: int, mode: str = "bilinear") -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None, None]
    if mode == "area" and t.shape[-1] < size:
        mode = "bilinear"  # upsampling: area is undefined, use bilinear
    kwargs = {"align_corners": False} if mode == "bilinear" else {}
    return F.interpolate(t, size=(size, size), mode=mode, **kwargs)[0, 0].numpy()


def crop_objects(
    image: np.ndarray,
    objects: Sequence[np.ndarray],
    rng: np.random.Generator,
    size: int = 32,
    context: float = 1.5,
    min_side: int = 12,
    jitter: float = 0.1,
    tags: dict | None = None,
) -> PromptedCrops:
    """Box-prompted crops of ``objects`` of one 2-D ``image``.

    For each object: its tight box (:func:`box_from_mask`), jittered
    (:func:`jitter_box`, ``fraction=jitter``); a square window of side
    ``max(round(context * longer box side), min_side)`` centred on the jittered box; the window's
    image z-scored inside the window and resampled (bilinear) to ``size``; the box rasterised in
    the window and area-averaged to ``size``; the object mask area-averaged to ``size`` and
    thresholded at 0.5.

    Parameters
    ----------
    image : np.ndarray
        ``(H, W)`` float slice.
    objects : sequence of np.ndarray
        ``(H, W)`` bool masks (non-empty), e.g. from :func:`slice_objects`.
    rng : np.random.Generator
        Draws the jitter.
    size, context, min_side, jitter
        See above.
    tags : dict of str to value, optional
        Stored for every object of this call in ``PromptedCrops.tags``.

    Returns
    -------
    PromptedCrops
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {image.shape}")
    inputs, targets, windows, truths, boxes, missed = [], [], [], [], [], []
    for mask in objects:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != image.shape:
            raise ValueError(f"object mask {mask.shape} does not match image {image.shape}")
        box = jitter_box(box_from_mask(mask), image.shape, rng, jitter)
        side = max(int(round(context * max(box.height, box.width))), int(min_side))
        r0 = (box.r0 + box.r1 - side) // 2
        c0 = (box.c0 + box.c1 - side) // 2
        window = _window(image, r0, c0, side)
        truth = _window(mask, r0, c0, side)
        inner = Box(box.r0 - r0, box.c0 - c0, box.r1 - r0, box.c1 - c0)
        z = (window - window.mean()) / (window.std() + 1e-6)
        prompt = box_mask(inner, (side, side)).astype(np.float32)
        inputs.append(np.stack([_resize(z, size, "area"), _resize(prompt, size, "area")]))
        targets.append(_resize(truth.astype(np.float32), size, "area") >= 0.5)
        windows.append(window)
        truths.append(truth)
        boxes.append(inner)
        missed.append(int(mask.sum()) - int(truth.sum()))
    n = len(targets)
    return PromptedCrops(
        inputs=np.asarray(inputs, dtype=np.float32).reshape(n, 2, size, size),
        targets=np.asarray(targets, dtype=np.int64).reshape(n, size, size),
        windows=windows,
        truths=truths,
        boxes=boxes,
        missed=np.asarray(missed, dtype=np.int64),
        tags={k: np.array([v] * n) for k, v in (tags or {}).items()},
    )


def window_dice(predictions: Sequence[np.ndarray], crops: PromptedCrops) -> np.ndarray:
    """Dice of each object, scored on the slice's grid.

    Parameters
    ----------
    predictions : sequence of np.ndarray
        Per object, either a ``(size, size)`` foreground probability on the network's grid
        (resampled bilinearly to the window's side, then thresholded at 0.5), or a
        ``(side, side)`` bool mask already on the window's grid (a baseline).
    crops : PromptedCrops

    Returns
    -------
    np.ndarray
        ``(N,)`` float64 Dice, ``2 |P & T| / (|P| + |T|)``, where ``T`` includes the object
        pixels outside the window (``crops.missed``), which no prediction can reach.
    """
    if len(predictions) != len(crops):
        raise ValueError(f"{len(predictions)} predictions for {len(crops)} objects")
    out = np.empty(len(crops))
    for i, (p, truth) in enumerate(zip(predictions, crops.truths)):
        p = np.asarray(p)
        if p.shape != truth.shape:
            p = _resize(p.astype(np.float32), truth.shape[0], "bilinear") >= 0.5
        p = p.astype(bool)
        overlap = int((p & truth).sum())
        total = int(p.sum()) + int(truth.sum()) + int(crops.missed[i])
        out[i] = 2.0 * overlap / total
    return out


def otsu_in_box(window: np.ndarray, box: Box) -> np.ndarray:
    """Otsu's threshold on the pixels inside the box; the side that fills the box's centre wins.

    Otsu's threshold splits the box's pixels into a bright and a dark class. The object is the
    class holding the majority of the box's central quarter (the middle half of its rows and of
    its columns): a box is drawn around its object, so the object sits in its middle whatever
    its contrast. Pixels outside the box are background.

    Returns
    -------
    np.ndarray
        ``(side, side)`` bool mask on the window's grid.

    References
    ----------
    .. [1] N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans.
       Syst. Man Cybern. 9(1), 1979. doi:10.1109/TSMC.1979.4310076
    """
    inside = box_mask(box, window.shape)
    values = window[inside]
    if values.size < 2 or values.min() == values.max():
        return inside
    bright = (window > threshold_otsu(values)) & inside
    h, w = box.height, box.width
    centre = bright[box.r0 + h // 4 : box.r1 - h // 4, box.c0 + w // 4 : box.c1 - w // 4]
    return bright if centre.mean() >= 0.5 else (~bright & inside)
