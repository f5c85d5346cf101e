"""Offline data simulator: real ICBM152 anatomy -> multi-contrast, multi-center cohorts.

Like BrainWeb, the simulator turns an anatomical model (here the real ICBM152
2009 template shipped with nilearn) into MR images from physics, then adds what
makes real data hard: inter-subject deformation, bias field, Rician noise,
thick slices, scanner differences, MS lesions with disagreeing raters, and
BraTS-like tumours. Everything is offline and deterministic under a seed.

Quick start::

    from course_lib.simulation import simulate_subject, make_cohort
    subject = simulate_subject("siemens_verio_3t", seed=0, lesions=True, n_raters=7)
    cohort = make_cohort(10, center="03", seed=0, lesions=True)   # cached on disk

Torch datasets live in :mod:`course_lib.simulation.datasets` (imported on demand,
so that this package does not import torch).
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "datasets",
        "long_range",
        "anatomy",
        "centers",
        "cohort",
        "deformation",
        "mr_physics",
        "regions",
        "subject",
        "subject_io",
    ],
    names={
        "anatomy": ["ALLOWED_RESOLUTIONS", "Anatomy", "load_icbm152"],
        "centers": ["CENTERS", "Center", "get_center"],
        "cohort": ["make_cohort", "subject_seed"],
        "deformation": ["Deformation"],
        "mr_physics": [
            "CONTRASTS",
            "DEFAULT_SEQUENCES",
            "TISSUE_PARAMETERS",
            "Sequence",
            "TissueParameters",
            "inversion_recovery",
            "spin_echo",
            "tissue_signals",
        ],
        "regions": ["REGION_NAMES"],
        "subject": ["SIMULATION_VERSION", "Subject", "simulate_subject"],
        "subject_io": ["load_subject", "save_subject"],
    },
)
