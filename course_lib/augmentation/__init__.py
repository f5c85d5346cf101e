"""Data augmentation for 2-D and 3-D medical images (chapter 05).

Every transform acts on a *sample* dict ``{"image": Tensor (C, H, W[, D]) float,
"label": Tensor (H, W[, D]) int}`` (see :mod:`course_lib.augmentation.sample`) and
returns a new one. Spatial transforms (flip, affine, elastic) move image and label
together (linear interpolation for the image, nearest neighbour for the label);
intensity transforms (bias field, gamma, contrast, noise, blur, resolution loss) change
the image only.

Each deterministic transform (``Gamma(0.8)``) has a random wrapper (``RandomGamma``) that
samples its parameters from a seed or generator and records what it applied in
``last_transform`` / ``last_params`` (TorchIO's design, Pérez-García et al. 2021,
doi:10.1016/j.cmpb.2021.106236)::

    aug = Compose([RandomFlip(axes=0), RandomAffine(degrees=10), RandomGamma(0.3)])
    out = aug(sample, rng=seed)            # same seed -> same output
    again = aug.last_transform(sample)     # replays exactly the same augmentation
"""
from .affine import Affine, RandomAffine, rotation_matrix
from .base import Identity, RandomTransform, Transform, as_numpy_rng
from .bias_field import BiasField, RandomBiasField, bias_field, bias_field_terms
from .blur import Blur, RandomBlur, RandomResolutionLoss, ResolutionLoss, gaussian_kernel1d
from .compose import Compose, OneOf
from .elastic import ElasticDeformation, RandomElasticDeformation, dense_displacement
from .flip import Flip, RandomFlip
from .intensity import Contrast, Gamma, RandomContrast, RandomGamma
from .noise import Noise, RandomNoise
from .preview import TRANSFORM_NAMES, preview, preview_transform, random_transform
from .sample import Sample, check_sample, make_sample, spatial_ndim

__all__ = [
    "Sample",
    "check_sample",
    "make_sample",
    "spatial_ndim",
    "Transform",
    "RandomTransform",
    "Identity",
    "as_numpy_rng",
    "Flip",
    "RandomFlip",
    "Affine",
    "RandomAffine",
    "rotation_matrix",
    "ElasticDeformation",
    "RandomElasticDeformation",
    "dense_displacement",
    "BiasField",
    "RandomBiasField",
    "bias_field",
    "bias_field_terms",
    "Gamma",
    "RandomGamma",
    "Contrast",
    "RandomContrast",
    "Noise",
    "RandomNoise",
    "Blur",
    "RandomBlur",
    "ResolutionLoss",
    "RandomResolutionLoss",
    "gaussian_kernel1d",
    "Compose",
    "OneOf",
    "TRANSFORM_NAMES",
    "preview",
    "preview_transform",
    "random_transform",
]
