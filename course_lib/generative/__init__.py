"""Evaluating generative models.

* ``gan_evaluation`` (chapter 07a): nearest neighbours (memorisation), tissue statistics,
  the two-sample classifier test, latent interpolation;
* ``anomaly`` (chapter 09): slabs of slices, anomaly maps from reconstructions, the
  latent-space explorer;
* ``anomaly_metrics`` (chapter 09): pixel AUROC / AUPRC, Dice at a threshold chosen on
  validation subjects, subject-level scores, per-region AUROC.

The networks themselves (DCGAN, pix2pix, AE/VAE) are in :mod:`course_lib.models`.
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["anomaly", "anomaly_metrics", "gan_evaluation"],
    names={
        "anomaly": ["LatentExplorer", "REGION_ROWS", "anomaly_map", "eroded_mask", "slab_slices"],
        "anomaly_metrics": [
            "best_dice_threshold",
            "dice_per_subject",
            "pixel_auprc",
            "pixel_auroc",
            "region_auroc_table",
            "subject_scores",
        ],
        "gan_evaluation": [
            "intensity_statistics",
            "interpolate_latents",
            "nearest_neighbour_distances",
            "two_sample_classifier_test",
        ],
    },
)
