"""The notebook check is not vacuous: nbval fails when a stored output is altered.

We copy chapter 00, change one number in one stored output, and run strict nbval (with the
course's sanitize file) on the copy: it must fail on exactly that cell. The untouched copy
must pass, so the failure comes from the alteration and nothing else.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00_setup_and_tour.ipynb"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"


def _run_nbval(path: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ, COURSE_PROFILE="cpu", COURSE_DEVICE="cpu", TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, "-m", "pytest", "-q", "-c", os.devnull, "-p", "no:cacheprovider",
               "--rootdir", str(path.parent), "--nbval", "--nbval-current-env",
               "--nbval-sanitize-with", str(SANITIZE), str(path)]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)


def _alter_one_output(path: Path) -> int:
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and "of brain voxels" in output.get("text", ""):
                output["text"] = output["text"].replace("0.579", "0.597")
                nbformat.write(notebook, path)
                return index
    raise AssertionError("the tissue-fraction output of chapter 00 was not found")


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="chapter 00 not present")
def test_nbval_fails_on_altered_output_and_passes_untouched(tmp_path):
    pristine = tmp_path / "pristine" / NOTEBOOK.name
    altered = tmp_path / "altered" / NOTEBOOK.name
    for target in (pristine, altered):
        target.parent.mkdir()
        shutil.copy(NOTEBOOK, target)
    _alter_one_output(altered)

    good = _run_nbval(pristine)
    assert good.returncode == 0, good.stdout[-3000:]

    bad = _run_nbval(altered)
    assert bad.returncode == 1, bad.stdout[-3000:]
    assert "1 failed" in bad.stdout and "0.597" in bad.stdout
