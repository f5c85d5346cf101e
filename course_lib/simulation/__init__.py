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
from .anatomy import ALLOWED_RESOLUTIONS, Anatomy, load_icbm152
from .centers import CENTERS, Center, get_center
from .cohort import make_cohort, subject_seed
from .deformation import Deformation
from .mr_physics import (
    CONTRASTS,
    DEFAULT_SEQUENCES,
    TISSUE_PARAMETERS,
    Sequence,
    TissueParameters,
    inversion_recovery,
    spin_echo,
    tissue_signals,
)
from .regions import REGION_NAMES
from .subject import SIMULATION_VERSION, Subject, simulate_subject
from .subject_io import load_subject, save_subject

__all__ = [
    "Anatomy",
    "load_icbm152",
    "ALLOWED_RESOLUTIONS",
    "REGION_NAMES",
    "TISSUE_PARAMETERS",
    "TissueParameters",
    "Sequence",
    "DEFAULT_SEQUENCES",
    "CONTRASTS",
    "spin_echo",
    "inversion_recovery",
    "tissue_signals",
    "Center",
    "CENTERS",
    "get_center",
    "Deformation",
    "Subject",
    "simulate_subject",
    "SIMULATION_VERSION",
    "save_subject",
    "load_subject",
    "make_cohort",
    "subject_seed",
]
