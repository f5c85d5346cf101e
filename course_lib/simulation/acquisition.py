"""From tissue fractions to a scanner image: contrast, bias field, thick slices, Rician noise.

The chain for one contrast, in order:

1. partial-volume mixing of pure-tissue signals (:mod:`.mr_physics`), with a
   small per-subject jitter of each tissue signal;
2. a smooth multiplicative bias field ``exp(b(x))`` (receive-coil
   inhomogeneity), ``b`` a random low-frequency cosine series;
3. through-plane partial-volume averaging along z when the center acquires
   this contrast with slices thicker than the grid (a box profile of the slice
   thickness, applied on the common grid: images stay on the template grid so
   that every dataset shares one shape);
4. the center's intensity scale;
5. Rician noise: the magnitude of the signal plus complex Gaussian noise,
   ``|S + sigma (n1 + i n2)|``, with ``sigma = noise * mean brain signal``.
   In the background (``S = 0``) this gives Rayleigh-distributed noise
   (Gudbjartsson & Patz 1995).

References
----------
Gudbjartsson H, Patz S. The Rician distribution of noisy MRI data. Magn Reson Med
1995;34:910-914. doi:10.1002/mrm.1910340618

Sled JG, Zijdenbos AP, Evans AC. A nonparametric method for automatic correction of
intensity nonuniformity in MRI data. IEEE TMI 1998;17:87-97. doi:10.1109/42.668698
"""

from __future__ import annotations

from typing import Sequence as SequenceType

import numpy as np
from scipy import ndimage

from .centers import Center
from .mr_physics import CONTRASTS, mix_signals, tissue_signals

__all__ = ["bias_field", "slice_profile", "thick_slices", "rician_noise", "acquire"]


def bias_field(
    shape: tuple[int, ...], strength: float, rng: np.random.Generator, order: int = 3
) -> np.ndarray:
    """Smooth multiplicative field ``exp(b)`` of shape ``shape`` (3-D, or 2-D for a slice), float64.

    ``b`` is a random cosine series with frequencies ``0..order-1`` per axis
    (constant term excluded), scaled so that its standard deviation over the
    field of view is ``strength``. Built separably, so it costs a few ms. The
    simulator calls it with 3-D shapes; data augmentation (chapter 05) with 2-D
    slices too.
    """
    ndim = len(shape)
    if ndim not in (2, 3):
        raise ValueError(f"shape must be 2-D or 3-D, got {tuple(shape)}")
    if strength <= 0:
        return np.ones(shape, dtype=np.float32)
    bases = []
    for n in shape:
        s = (np.arange(n) + 0.5) / n
        bases.append(np.stack([np.cos(np.pi * k * s) for k in range(order)], 1).astype(np.float32))
    damping = 1.0 + np.indices((order,) * ndim).sum(0)  # weaker high frequencies
    coef = rng.standard_normal((order,) * ndim).astype(np.float32) / damping
    coef[(0,) * ndim] = 0.0
    b = np.tensordot(bases[0], coef, axes=(1, 0))
    for basis in bases[1:]:
        b = np.tensordot(b, basis, axes=(1, 1))
    b *= np.float32(
        strength / (float(b[(slice(None, None, 3),) * ndim].std()) or 1.0)
    )  # sub-grid std
    return np.exp(b, out=b)


def slice_profile(thickness_vox: float) -> np.ndarray:
    """Normalised box profile of width ``thickness_vox`` voxels, sampled per voxel.

    Weight ``k`` is the overlap of ``[-w/2, w/2]`` with voxel ``[k - 1/2, k + 1/2]``.
    """
    half = thickness_vox / 2.0
    reach = int(np.ceil(half - 0.5))
    k = np.arange(-reach, reach + 1)
    w = np.clip(np.minimum(k + 0.5, half) - np.maximum(k - 0.5, -half), 0.0, None)
    return (w / w.sum()).astype(np.float32)


def thick_slices(
    image: np.ndarray, thickness_mm: float, spacing: float, axis: int = 2
) -> np.ndarray:
    """Through-plane partial-volume averaging for slices thicker than the grid spacing."""
    if thickness_mm <= spacing * 1.01:
        return image
    profile = slice_profile(thickness_mm / spacing)
    return ndimage.convolve1d(image, profile, axis=axis, mode="nearest")


def rician_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Magnitude of ``image + sigma (n1 + i n2)`` with standard normal ``n1, n2``; float32.

    The normal draws come from a ``torch.Generator`` seeded by ``rng`` (about twice
    as fast as NumPy's for the ~9 million voxels of a 1-mm volume).
    """
    if sigma <= 0:
        return image.astype(np.float32, copy=False)
    import torch

    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    real = torch.randn(image.shape, generator=generator, dtype=torch.float32).numpy()
    real *= np.float32(sigma)
    real += image
    imag = torch.randn(image.shape, generator=generator, dtype=torch.float32).numpy()
    imag *= np.float32(sigma)
    return np.hypot(real, imag, out=real)


def acquire(
    fractions: np.ndarray,
    tissue_names: SequenceType[str],
    center: Center,
    contrast: str,
    rng: np.random.Generator,
    brain_mask: np.ndarray | None = None,
    spacing: float = 2.0,
    noise: bool = True,
    bias: bool = True,
    jitter: bool = True,
) -> np.ndarray:
    """Simulate one contrast of one subject.

    Parameters
    ----------
    fractions : np.ndarray
        ``(K, X, Y, Z)`` float32 tissue fractions in subject space.
    tissue_names : sequence of str
        Names of the ``K`` tissues (keys of the tissue table, e.g. ``"csf"``).
    center : Center
        Scanner preset (field strength, sequences, noise, bias, slices, scale).
    contrast : str
        One of ``"T1w" | "T2w" | "PD" | "FLAIR" | "T1ce"``.
    rng : np.random.Generator
        Randomness for jitter, bias and noise.
    brain_mask : np.ndarray, optional
        ``(X, Y, Z)`` bool; the noise level is relative to the mean signal in it
        (default: voxels with total fraction > 0.5).
    spacing : float
        Grid spacing in mm (for the slice thickness).
    noise, bias, jitter : bool
        Switch each effect off for a noise-free, bias-free reference image.

    Returns
    -------
    np.ndarray
        ``(X, Y, Z)`` float32 magnitude image in the center's arbitrary units.
    """
    if contrast not in CONTRASTS:
        raise ValueError(f"Unknown contrast {contrast!r}; allowed: {', '.join(CONTRASTS)}.")
    sequence = center.sequences[contrast]
    signals = tissue_signals(sequence, center.field_strength, tissue_names)
    factors = 1.0 + center.contrast_jitter * rng.standard_normal(len(signals))
    if jitter:
        signals = signals * factors.astype(np.float32)
    image = mix_signals(fractions, signals)
    field = bias_field(image.shape, center.bias, rng)
    if bias:
        image *= field
    image = thick_slices(image, center.slice_thickness_mm.get(contrast, 0.0), spacing)
    image *= np.float32(center.intensity_scale)
    if brain_mask is None:
        brain_mask = fractions.sum(0) > 0.5
    sigma = center.noise * float(image[brain_mask].mean()) if brain_mask.any() else 0.0
    noise_rng = np.random.default_rng(rng.integers(2**63))
    if noise:
        image = rician_noise(image, sigma, noise_rng)
    return image.astype(np.float32, copy=False)
