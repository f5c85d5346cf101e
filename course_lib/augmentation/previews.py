"""What the chapter 05 explorer shows: one transform at a strength between 0 and 1.

The widget only reads a transform name, a strength and a seed and calls :func:`preview`.
Strength 0 is the identity for every transform, 1 a strong but plausible setting:

==========  ==============================================================================
flip        left-right (axis 0) with probability ``s`` -- the only plausible flip of a brain
affine      angles in ``+-15 s`` deg, zoom in ``1 +- 0.15 s``
elastic     6 x 6 nodes, displacement std ``4 s`` voxels (clipped at 3 std)
bias_field  std of the log field up to ``0.4 s`` (centers: 0.10-0.30)
gamma       ``log(gamma)`` in ``+-0.5 s``
noise       Rician sigma up to ``0.15 s`` of the mean brain signal (centers: 0.025-0.09)
==========  ==============================================================================
"""

from __future__ import annotations

import numpy as np

from course_lib._checks import check_choice

from .affine import RandomAffine
from .base import RandomTransform, Transform
from .bias import RandomBiasField
from .elastic import RandomElasticDeformation
from .flip import RandomFlip
from .intensity import RandomGamma
from .noise import RandomNoise
from .sample import Sample

__all__ = ["TRANSFORM_NAMES", "random_transform", "preview_transform", "preview"]

TRANSFORM_NAMES = ("flip", "affine", "elastic", "bias_field", "gamma", "noise")


def random_transform(name: str, strength: float) -> RandomTransform:
    """The random wrapper the explorer uses for ``name`` at ``strength`` in ``[0, 1]``."""
    check_choice("transform_name", name, TRANSFORM_NAMES)
    s = float(strength)
    if not 0.0 <= s <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength!r}")
    return {
        "flip": lambda: RandomFlip(axis=0, flip_probability=s),
        "affine": lambda: RandomAffine(degrees=15.0 * s, scales=0.15 * s),
        "elastic": lambda: RandomElasticDeformation(6, std_vox=4.0 * s, max_vox=12.0 * s),
        "bias_field": lambda: RandomBiasField(strength=0.4 * s),
        "gamma": lambda: RandomGamma(log_gamma=0.5 * s),
        "noise": lambda: RandomNoise(sigma=0.15 * s),
    }[name]()


def preview_transform(sample: Sample, transform_name: str, strength: float, seed: int) -> Transform:
    """The deterministic transform :func:`preview` applies (to print its parameters)."""
    return random_transform(transform_name, strength).sample_transform(
        sample, np.random.default_rng(int(seed))
    )


def preview(sample: Sample, transform_name: str, strength: float, seed: int) -> Sample:
    """``sample`` after transform ``transform_name`` at ``strength`` (same seed, same result)."""
    return preview_transform(sample, transform_name, strength, seed)(sample)
