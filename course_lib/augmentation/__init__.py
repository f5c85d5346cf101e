"""Data augmentation for 2-D and 3-D images (chapter 05).

Every transform maps a *sample* ``{"image": (C, H, W[, D]) float tensor, "label": (H, W[, D])
int tensor}`` to a new one (:mod:`.sample`). Spatial transforms move image and label together
(:class:`Flip`, :class:`Affine`, :class:`ElasticDeformation`); intensity transforms change the
image only and imitate another acquisition with the simulator's own physics
(:class:`BiasField`, :class:`Noise`) or a contrast change (:class:`Gamma`). Each deterministic
transform has a random wrapper that samples it (``RandomGamma`` -> ``Gamma``) and keeps what it
applied in ``last_transform`` (TorchIO's design, :mod:`.base`)::

    augment = Compose([RandomFlip(), RandomAffine(degrees=10), RandomNoise(0.05)])
    out = augment(sample, rng=seed)        # same seed -> same output
    replay = augment.last_transform(sample)
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "affine",
        "base",
        "bias",
        "compose",
        "elastic",
        "flip",
        "intensity",
        "noise",
        "previews",
        "sample",
    ],
    names={
        "affine": ["Affine", "RandomAffine"],
        "base": ["Identity", "RandomTransform", "Transform", "as_numpy_rng"],
        "bias": ["BiasField", "RandomBiasField"],
        "compose": ["Compose"],
        "elastic": ["ElasticDeformation", "RandomElasticDeformation", "dense_displacement"],
        "flip": ["Flip", "RandomFlip"],
        "intensity": ["Gamma", "RandomGamma"],
        "noise": ["Noise", "RandomNoise"],
        "previews": ["TRANSFORM_NAMES", "preview", "preview_transform", "random_transform"],
        "sample": ["Sample", "check_sample", "make_sample"],
    },
)
