"""Transfer learning (chapter 06): pretraining a 2-D U-Net on a source task and reusing it.

``pretrain`` prepares volumes, trains and evaluates the segmenter, and is also the command
that made the shipped checkpoints in ``checkpoints/``::

    python -m course_lib.transfer.pretrain --help
"""
from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["pretrain"],
    names={
        "pretrain": ["CONTRASTS", "PreparedVolume", "RandomCropDataset", "evaluate_segmenter",
                     "predict_volume", "prepare_volume", "train_segmenter"],
    },
)
