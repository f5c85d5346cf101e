"""Self-supervised learning (chapter 14): contrastive pretraining on unlabeled slices.

* ``slices``: small axial slices of simulated subjects with a slice-level tumour label;
* ``contrastive``: the NT-Xent loss, a tiny encoder and SimCLR-style pretraining on a bank of
  augmented views;
* ``probe``: what a pretrained encoder is worth with few labels -- a linear probe on frozen
  features, and fine-tuning (the same code trains from scratch).
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["contrastive", "probe", "slices"],
    names={
        "contrastive": [
            "SmallEncoder",
            "ProjectionHead",
            "augmented_views",
            "nt_xent_loss",
            "pretrain_contrastive",
        ],
        "probe": ["encode", "fine_tune", "linear_probe", "per_subject_auc", "predict"],
        "slices": ["SliceSet", "axial_slices", "concatenate"],
    },
)
