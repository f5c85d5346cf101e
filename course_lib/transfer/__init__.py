"""Transfer learning (chapter 06): pretraining a 2-D U-Net on a source task and reusing it.

* ``data``: subjects prepared for 2-D training, random crops (and mixtures of two sets);
* ``segmenter``: the loss, whole-volume segmentation, per-subject metrics;
* ``finetune``: training for a fixed number of steps with properly frozen parts (BatchNorm
  statistics included), recording a learning curve;
* ``pretrain``: the source-task training, also the command that made the shipped checkpoints
  in ``checkpoints/``::

    python -m course_lib.transfer.pretrain --help
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["data", "finetune", "pretrain", "segmenter"],
    names={
        "data": [
            "CONTRASTS",
            "MixedCropDataset",
            "PreparedVolume",
            "RandomCropDataset",
            "abnormal_mask",
            "prepare_volume",
        ],
        "finetune": ["TrainingRun", "batchnorm_statistics", "freeze", "train_steps"],
        "pretrain": ["pretrain"],
        "segmenter": ["dice_bce_loss", "evaluate_segmenter", "segment_volume"],
    },
)
