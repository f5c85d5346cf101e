"""``make execute`` writes what ``make test-notebooks`` checks: the two runners start the kernel
the same way (issue 24).

``make execute`` runs a notebook through nbclient (``tools/execute.py``); ``make
test-notebooks`` re-runs it through nbval. A stored output is only checkable if both kernels see
the same environment variables, working directory, thread count, CPU kernels and warning
filters. Each test executes a notebook with ``make execute`` into a temporary copy, then checks
that copy with ``make test-notebooks`` under *strict* nbval (``TOLERANCE=``: every digit must
match, only the sanitize file applies). A difference in how the kernels start shows up as a
failing cell.

``kernel_fingerprint.ipynb`` prints what a runner can change (numeric environment variables,
working directory, warning filters, torch's thread count and CPU capability, float bits of a
convolution, a matrix product and NumPy reductions); chapter 03a is the short chapter in which
the two runners once disagreed (an unpinned configuration printed 3.45 mm under nbval where
``execute`` printed 3.41 mm).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).with_name("fixtures") / "kernel_fingerprint.ipynb"

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / ".venv" / ".course-installed").exists(),
    reason="needs make and the project's venv (make venv)",
)


def _make(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _execute_then_check(notebook: Path, tmp_path: Path, *check_options: str):
    """``make execute`` a copy of ``notebook``, then ``make test-notebooks`` on it, strictly."""
    copy = tmp_path / "notebooks" / notebook.name
    copy.parent.mkdir()
    shutil.copy(notebook, copy)
    environment = dict(os.environ, COURSE_DATA_DIR=str(tmp_path / "data"))
    executed = _make("execute", f"NB={copy}", environment=environment)
    assert executed.returncode == 0, executed.stdout[-3000:] + executed.stderr[-3000:]
    return _make(
        "test-notebooks",
        f"NOTEBOOKS={copy}",
        "TOLERANCE=",
        f"RUN_RECORDS={tmp_path / 'records'}",
        *check_options,
        environment=environment,
    )


def test_the_two_runners_start_the_same_kernel(tmp_path):
    checked = _execute_then_check(FIXTURE, tmp_path)
    assert checked.returncode == 0, "nbval differs from make execute:\n" + checked.stdout[-6000:]


def test_the_check_notices_a_kernel_started_differently(tmp_path):
    """Negative control: checked under the machine's own configuration (NUMERIC=default), the
    fingerprint's environment lines differ from what make execute stored under the pinned one."""
    checked = _execute_then_check(FIXTURE, tmp_path, "NUMERIC=default")
    assert checked.returncode != 0
    assert "OMP_NUM_THREADS=1" in checked.stdout  # the stored line nbval no longer reproduces


def test_a_short_chapter_is_identical_under_both_runners(tmp_path):
    chapter = ROOT / "notebooks" / "03a_affine_registration.ipynb"
    checked = _execute_then_check(chapter, tmp_path)
    assert checked.returncode == 0, "nbval differs from make execute:\n" + checked.stdout[-6000:]
