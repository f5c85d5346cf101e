"""The chapters' common machinery (every chapter).

==================  ==========================================================  ========
module              what                                                        chapter
==================  ==========================================================  ========
``device``          :func:`get_device` (``COURSE_DEVICE``: cpu, cuda, mps)      all
``seeding``         :func:`seed_everything` (Python, NumPy, PyTorch, determinism) all
``profile``         :func:`get_profile`: sizes and epochs per run profile        all
``paths``           :func:`data_dir`: the one cache folder (``COURSE_DATA_DIR``) all
``run_record``      :class:`RunRecord`: profile, versions, wall time, memory     all
``gates``           :func:`check_gate`, :func:`negative_control`: checked results all
``training``        :func:`fit`, :func:`evaluate`: the training loop              01-
``inference``       :func:`predict_volume`: a volume, slice by slice (2-D nets)  04-
``losses``          :func:`dice_ce_loss` (cross-entropy + soft Dice)             04-
``patches``         :func:`brain_crop_box`, :class:`RandomCrops`                  04-05
==================  ==========================================================  ========
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "device",
        "gates",
        "inference",
        "losses",
        "patches",
        "paths",
        "profile",
        "run_record",
        "seeding",
        "training",
    ],
    names={
        "device": ["available_devices", "get_device"],
        "gates": ["GateFailed", "check_gate", "negative_control"],
        "inference": ["predict_batches", "predict_volume"],
        "losses": ["dice_ce_loss"],
        "patches": ["RandomCrops", "brain_crop_box", "grow_to_multiple"],
        "paths": ["data_dir"],
        "profile": ["Profile", "get_profile"],
        "run_record": ["RunRecord"],
        "seeding": ["seed_everything"],
        "training": ["History", "evaluate", "fit"],
    },
)
