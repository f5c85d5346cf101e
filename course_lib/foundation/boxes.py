"""Box prompts for promptable segmentation (chapter 15).

A box prompt is the rectangle a user drags around the object to segment. Boxes here are
``(r0, c0, r1, c1)`` in pixel indices of a 2-D slice, **half-open** like Python slices: the
box covers rows ``r0 .. r1 - 1`` and columns ``c0 .. c1 - 1`` (``image[r0:r1, c0:c1]``).

MedSAM derives its box prompts from the ground-truth masks and moves them by a small random
shift during training, to imitate an imprecise user (Ma et al., Nat Commun 15, 654, 2024,
doi:10.1038/s41467-024-44824-z, Methods). :func:`jitter_box` does the same with a shift
proportional to the box's size.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Box", "box_from_mask", "jitter_box", "box_mask", "ellipse_in_box"]


class Box(NamedTuple):
    """A half-open pixel box ``image[r0:r1, c0:c1]`` (rows, then columns)."""

    r0: int
    c0: int
    r1: int
    c1: int

    @property
    def height(self) -> int:
        """Rows covered."""
        return self.r1 - self.r0

    @property
    def width(self) -> int:
        """Columns covered."""
        return self.c1 - self.c0


def box_from_mask(mask: np.ndarray) -> Box:
    """The tightest box holding every foreground pixel of a 2-D mask.

    Parameters
    ----------
    mask : np.ndarray
        ``(H, W)`` array; non-zero pixels are foreground.

    Returns
    -------
    Box
        Half-open: ``mask[r0:r1, c0:c1]`` holds all foreground pixels.

    Raises
    ------
    ValueError
        If the mask is not 2-D or is empty (an empty mask has no box).
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W), got shape {mask.shape}")
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("mask is empty: a box prompt needs at least one foreground pixel")
    return Box(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def jitter_box(
    box: Box, shape: tuple[int, int], rng: np.random.Generator, fraction: float = 0.1
) -> Box:
    """Move each edge of ``box`` by a random amount, as an imprecise user would.

    Each edge moves independently by an integer drawn uniformly in
    ``[-m, m]``, ``m = round(fraction * side)`` (the side the edge belongs to: height for the
    top and bottom edges, width for the left and right ones). The result is clipped to the
    image and always keeps at least one row and one column.

    Parameters
    ----------
    box : Box
    shape : (int, int)
        ``(H, W)`` of the image; the jittered box stays inside it.
    rng : np.random.Generator
    fraction : float
        Largest shift of an edge, as a fraction of the box's side (>= 0; 0 returns ``box``).

    Returns
    -------
    Box
    """
    if fraction < 0:
        raise ValueError(f"fraction must be >= 0, got {fraction}")
    height, width = int(shape[0]), int(shape[1])
    mr, mc = round(fraction * box.height), round(fraction * box.width)
    r0, r1 = (int(v + rng.integers(-mr, mr + 1)) for v in (box.r0, box.r1))
    c0, c1 = (int(v + rng.integers(-mc, mc + 1)) for v in (box.c0, box.c1))
    r0, c0 = min(max(r0, 0), height - 1), min(max(c0, 0), width - 1)
    r1, c1 = max(min(r1, height), r0 + 1), max(min(c1, width), c0 + 1)
    return Box(r0, c0, r1, c1)


def box_mask(box: Box, shape: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool image, True inside ``box`` (the prompt as a mask)."""
    out = np.zeros(tuple(int(s) for s in shape), dtype=bool)
    out[max(box.r0, 0) : max(box.r1, 0), max(box.c0, 0) : max(box.c1, 0)] = True
    return out


def ellipse_in_box(box: Box, shape: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool image, True inside the ellipse inscribed in ``box``.

    A pixel is inside when its centre ``(r + 0.5, c + 0.5)`` satisfies
    ``((r + 0.5 - rc) / a)**2 + ((c + 0.5 - cc) / b)**2 <= 1`` with the box's centre
    ``(rc, cc)`` and half-sides ``a = height / 2``, ``b = width / 2``. A baseline that knows
    only the box: blob-like objects (tumours) fill about pi/4 of their box.
    """
    rows = np.arange(int(shape[0]))[:, None] + 0.5
    cols = np.arange(int(shape[1]))[None, :] + 0.5
    rc, cc = (box.r0 + box.r1) / 2, (box.c0 + box.c1) / 2
    a, b = box.height / 2, box.width / 2
    return ((rows - rc) / a) ** 2 + ((cols - cc) / b) ** 2 <= 1.0
