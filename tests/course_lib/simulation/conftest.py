"""Shared, session-scoped simulated subjects (2 mm) for the simulator tests."""

from __future__ import annotations

import pytest

from course_lib.simulation import load_icbm152, simulate_subject


@pytest.fixture(scope="session")
def anatomy():
    """The ICBM152 template at 2 mm (loaded once)."""
    return load_icbm152(2)


@pytest.fixture(scope="session")
def lesion_subject(anatomy):
    """Center 01, seed 0, four contrasts, MS lesions and five raters."""
    return simulate_subject("siemens_verio_3t", seed=0, lesions=True, n_raters=5)


@pytest.fixture(scope="session")
def tumor_subject(anatomy):
    """Center 01, seed 3, a BraTS-like tumour, T1w/T1ce/T2w/FLAIR."""
    return simulate_subject(
        "siemens_verio_3t", seed=3, tumor=True, contrasts=("T1w", "T1ce", "T2w", "FLAIR")
    )
