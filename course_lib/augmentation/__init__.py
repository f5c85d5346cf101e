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
from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=['affine', 'base', 'bias', 'blur', 'compose', 'elastic', 'flip', 'intensity', 'noise', 'previews', 'sample'],
    names={
        'affine': ['Affine', 'RandomAffine'],
        'base': ['Identity', 'RandomTransform', 'Transform', 'as_numpy_rng'],
        'bias': ['BiasField', 'RandomBiasField', 'bias_field', 'bias_field_terms'],
        'blur': [
            'Blur', 'RandomBlur', 'RandomResolutionLoss', 'ResolutionLoss', 'gaussian_kernel1d'
        ],
        'compose': ['Compose', 'OneOf'],
        'elastic': ['ElasticDeformation', 'RandomElasticDeformation', 'dense_displacement'],
        'flip': ['Flip', 'RandomFlip'],
        'intensity': ['Contrast', 'Gamma', 'RandomContrast', 'RandomGamma'],
        'noise': ['Noise', 'RandomNoise'],
        'previews': ['TRANSFORM_NAMES', 'preview', 'preview_transform', 'random_transform'],
        'sample': ['Sample', 'check_sample', 'make_sample', 'spatial_ndim'],
    },
)
