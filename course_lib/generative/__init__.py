"""Evaluating generative models.

* ``gan_evaluation`` (chapter 07a): nearest neighbours (memorisation), tissue statistics,
  the two-sample classifier test, latent interpolation;
* ``anomaly`` (chapter 09): anomaly maps from reconstructions, per-region AUROC, the
  latent-space explorer.

The networks themselves (DCGAN, pix2pix, AE/VAE) are in :mod:`course_lib.models`.
"""
from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["anomaly", "gan_evaluation"],
    names={
        "anomaly": ["LatentExplorer", "REGION_ROWS", "anomaly_map", "eroded_mask",
                    "pixel_auroc", "region_auroc_table"],
        "gan_evaluation": ["intensity_statistics", "interpolate_latents",
                           "nearest_neighbour_distances", "two_sample_classifier_test"],
    },
)
