"""Pure functions behind the chapter 05 ipywidgets explorer (transform name + strength).

The widget in the notebook only reads a dropdown (transform name), a slider (strength in
``[0, 1]``) and a seed, and calls :func:`preview`; everything testable lives here.
``strength`` scales each transform's parameter range linearly from "no change" (``0``,
the identity for every transform) to a strong but still plausible setting (``1``):

================  ==========================================================
name              parameters at strength ``s``
================  ==========================================================
flip              each of spatial axes 0, 1 flipped with probability ``s``
affine            angles in ``+-30 s`` deg, scale in ``1 +- 0.2 s``,
                  translation in ``+-0.05 s`` of the smallest side (voxels)
elastic           5 control points per axis, displacement std ``0.03 s`` of
                  the smallest side (voxels), clipped at 3 std
bias_field        order-3 coefficients in ``+-0.6 s``
gamma             ``log(gamma)`` in ``+-0.7 s``
noise             Gaussian std in ``[0.05 s, 0.1 s]`` of the image's 1-99 %
                  percentile range
blur              sigma in ``[1.25 s, 2.5 s]`` voxels per axis
resolution_loss   thickness factor in ``[1 + 2.5 s, 1 + 5 s]`` along one axis
contrast          factor in ``1 +- 0.5 s``, shift in ``+-0.5 s`` std
================  ==========================================================
"""
from __future__ import annotations

import difflib

import numpy as np
import torch

from .affine import RandomAffine
from .base import RandomTransform, Transform
from .bias import RandomBiasField
from .blur import RandomBlur, RandomResolutionLoss
from .elastic import RandomElasticDeformation
from .flip import RandomFlip
from .intensity import RandomContrast, RandomGamma
from .noise import RandomNoise
from .sample import Sample, check_sample

__all__ = ["TRANSFORM_NAMES", "random_transform", "preview_transform", "preview"]

TRANSFORM_NAMES: tuple[str, ...] = (
    "flip",
    "affine",
    "elastic",
    "bias_field",
    "gamma",
    "noise",
    "blur",
    "resolution_loss",
    "contrast",
)


def _intensity_range(image: torch.Tensor) -> float:
    flat = image.detach().to(torch.float64).reshape(-1).cpu().numpy()
    lo, hi = np.percentile(flat, [1.0, 99.0])
    span = float(hi - lo)
    return span if span > 0 else float(np.abs(flat).max() or 1.0)


def random_transform(name: str, strength: float, sample: Sample) -> RandomTransform:
    """The random wrapper the explorer uses for ``name`` at ``strength`` (see module table).

    Parameters
    ----------
    name : str
        One of :data:`TRANSFORM_NAMES`.
    strength : float
        In ``[0, 1]``; ``0`` gives a wrapper that only samples identity transforms.
    sample : dict
        Used for sizes (spatial shape, intensity range) that set absolute parameters.

    Returns
    -------
    RandomTransform
    """
    if name not in TRANSFORM_NAMES:
        close = difflib.get_close_matches(str(name), TRANSFORM_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown transform_name {name!r}{hint} (choose from {TRANSFORM_NAMES})")
    s = float(strength)
    if not 0.0 <= s <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength!r}")
    check_sample(sample)
    image = sample["image"]
    side = float(min(image.shape[1:]))
    if name == "flip":
        return RandomFlip(axes=(0, 1), flip_probability=s)
    if name == "affine":
        return RandomAffine(degrees=30.0 * s, scales=0.2 * s, translation_vox=0.05 * s * side)
    if name == "elastic":
        std = 0.03 * s * side
        return RandomElasticDeformation(5, std_vox=std, max_displacement_vox=3.0 * std)
    if name == "bias_field":
        return RandomBiasField(coefficients=0.6 * s, order=3)
    if name == "gamma":
        return RandomGamma(log_gamma=0.7 * s)
    if name == "noise":
        top = 0.1 * s * _intensity_range(image)
        return RandomNoise(std=(0.5 * top, top))
    if name == "blur":
        return RandomBlur(sigma=(1.25 * s, 2.5 * s))
    if name == "resolution_loss":
        return RandomResolutionLoss(factor=(1.0 + 2.5 * s, 1.0 + 5.0 * s))
    return RandomContrast(factor=0.5 * s, shift=0.5 * s)


def preview_transform(
    sample: Sample, transform_name: str, strength: float, seed: int
) -> Transform:
    """The deterministic transform :func:`preview` applies (to show its parameters)."""
    return random_transform(transform_name, strength, sample).sample_transform(
        sample, np.random.default_rng(int(seed))
    )


def preview(sample: Sample, transform_name: str, strength: float, seed: int) -> Sample:
    """Apply transform ``transform_name`` at ``strength`` in ``[0, 1]`` with ``seed``.

    Parameters
    ----------
    sample : dict
        ``{"image": (C, H, W[, D]) float, "label": (H, W[, D]) int}``.
    transform_name : str
        One of :data:`TRANSFORM_NAMES`.
    strength : float
        ``0`` returns the sample unchanged; ``1`` the strongest setting (module table).
    seed : int
        Same seed, same result.

    Returns
    -------
    dict
        The transformed sample (the input is not modified).
    """
    return preview_transform(sample, transform_name, strength, seed)(sample)
