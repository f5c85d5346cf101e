"""The shipped ITK slices, their fitted ground truth, and the registration targets on them."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib.core.gates import check_gate, negative_control
from course_lib.registration import register_affine, target_registration_error
from course_lib.registration.itk_slices import (
    SLICE_FILES,
    TRUE_MATRICES,
    load_slice,
    slice_pair,
)
from course_lib.registration.similarity import mutual_information

ROOT = Path(__file__).resolve().parents[3]


def _tre(pair, matrix):
    return float(target_registration_error(pair.points_fixed, pair.points_moving, matrix).mean())


def test_slices_load_on_one_grid():
    for name in SLICE_FILES:
        image = load_slice(name)
        assert image.shape == (221, 257) and image.dtype == np.float32
        assert 100 < image.max() <= 255
    assert (ROOT / "course_lib/registration/data/itk_brain_slices/LICENSE").exists()
    with pytest.raises(ValueError, match="unknown slice"):
        load_slice("flair")
    with pytest.raises(ValueError, match="fixed must be"):
        slice_pair("shift", fixed="T2")


def test_fitted_truth_matches_the_pixels_and_the_file_name_does_not():
    # an independent check of the SimpleITK fit: our own dense NCC registration PD -> PD
    pair = slice_pair("rotation+shift")
    res = register_affine(pair.fixed, pair.moving, sampling=1.0, progress=False)
    assert _tre(pair, res.matrix) < 0.2
    # the file name "R10X13Y17" (rotation 10 deg, shift (13, 17) about the centre) is off
    centre = (np.array(pair.fixed.shape) - 1) / 2
    nominal = np.eye(3)
    c, s = np.cos(np.deg2rad(10)), np.sin(np.deg2rad(10))
    nominal[:2, :2] = [[c, -s], [s, c]]
    nominal[:2, 2] = np.array([13.0, 17.0]) + centre - nominal[:2, :2] @ centre
    assert _tre(pair, nominal) > 0.5


def test_default_sampling_is_deterministic():
    pair = slice_pair("rotation")
    a = register_affine(pair.fixed, pair.moving, seed=0, progress=False)
    b = register_affine(pair.fixed, pair.moving, seed=7, progress=False)
    np.testing.assert_array_equal(a.matrix, b.matrix)
    with pytest.raises(ValueError, match="sampling"):
        register_affine(pair.fixed, pair.moving, sampling="random", progress=False)


def test_multimodal_pair_meets_target_and_its_negative_control_fails():
    pair = slice_pair("rotation+shift", fixed="T1")
    found = _tre(pair, register_affine(pair.fixed, pair.moving, metric="mi", progress=False).matrix)
    start = _tre(
        pair,
        register_affine(
            pair.fixed, pair.moving, metric="mi", iterations=(0, 0, 0), progress=False
        ).matrix,
    )
    check_gate("T1 -> PD slice, MI: mean TRE (mm)", found, 0.5, higher_is_better=False)
    negative_control(
        "0 iterations",
        lambda: check_gate("0 iterations: mean TRE (mm)", start, 0.5, higher_is_better=False),
    )


def _dense_parzen_mi(f, m, bins=32, sigma=0.5):
    """Reference: the full (N, bins) Gaussian Parzen matrices and a matrix product."""

    def weights(x):
        pos = (x - x.min()) / (x.max() - x.min()) * (bins - 1)
        centres = torch.arange(bins, dtype=x.dtype)
        return torch.softmax(-0.5 * ((pos[:, None] - centres) / sigma) ** 2, dim=1)

    joint = weights(f).T @ weights(m)
    joint = joint / joint.sum()
    pf, pm = joint.sum(1), joint.sum(0)

    def h(p):
        return -(p * torch.log(p + 1e-300)).sum()

    return h(pf) + h(pm) - h(joint)


@pytest.mark.parametrize("sigma", [0.3, 0.5, 1.0])
def test_small_kernel_mi_equals_the_dense_parzen_window(sigma):
    gen = torch.Generator().manual_seed(0)
    f = torch.rand(4000, generator=gen, dtype=torch.float64)
    m = f**2 + 0.1 * torch.rand(4000, generator=gen, dtype=torch.float64)
    got = mutual_information(f, m, bins=16, sigma=sigma)
    assert float(got) == pytest.approx(float(_dense_parzen_mi(f, m, 16, sigma)), rel=1e-6)


def test_benchmark_smallest_pair_meets_its_tre_target():
    # benchmarks/bench_registration.py on its smallest real pair, single- and multimodal
    # (NCC and Mattes MI), five sampling seeds, register_affine only (the SimpleITK time
    # ratio is a benchmark figure, not a unit test)
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks/bench_registration.py"),
            "--real2d-only",
            "--real2d-pairs",
            "PD:shift",
            "T1:shift",
            "--ours-only",
            "--threads",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PD->shift" in out.stdout and "T1->shift" in out.stdout
    assert "targets met" in out.stdout and "MISSED" not in out.stdout


def test_true_matrices_cover_every_moved_slice():
    assert set(TRUE_MATRICES) == set(SLICE_FILES) - {"PD", "T1"}
