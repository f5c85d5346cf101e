"""The notebook check is not vacuous: nbval with the course's tolerance fails where it must.

We copy chapter 00 and alter its stored outputs, one alteration per cell, then run nbval once
on the copy exactly as ``make test-notebooks`` does (sanitize file, tolerance plugin):

- a changed word, a changed integer, a float moved beyond the default tolerance: those cells
  (and only those) must fail, each naming the tokens that differ;
- a float moved within the default tolerance must pass;
- a float moved beyond the default but within a looser class, named by the cell's tag
  ``nbval-tol-<class>``, must pass: the tag loosens that cell and no other;
- nbval's own markers still work: ``# NBVAL_IGNORE_OUTPUT`` and the ``nbval-skip`` tag hide an
  altered output, a ``raises-exception`` cell passes.

Every other cell runs unaltered, so the run also checks that this machine reproduces chapter
00 within the default tolerance. Fast unit tests of the comparison itself are in
tests/tools/test_nbval_tolerance.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.nbval_tolerance import TAG_PREFIX, ToleranceConfig, tokenize

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00_setup_and_tour.ipynb"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
TOLERANCE = ROOT / "tests" / "nbval_tolerance.toml"
LOOSE = "metatest"  # a class only this test defines: ten times the default


def _stdout_cells(notebook):
    """(index among code cells, cell, its stdout output) for cells nbval compares."""
    found = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for index, cell in enumerate(code_cells[:-1]):  # the last cell is kept for nbval-skip
        if "NBVAL" in cell.source or cell.metadata.get("tags"):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                found.append((index, cell, output))
                break
    return found, code_cells


def _replace(output, token, text):
    output["text"] = (
        output["text"][: token.start] + text + output["text"][token.start + len(token.text) :]
    )


def _first(output, kind, predicate=lambda token: True):
    return next((t for t in tokenize(output["text"]) if t.kind == kind and predicate(t)), None)


def _alter(path: Path, default) -> dict[str, int]:
    """Alter the copy at ``path``; return {alteration: code-cell index}."""
    notebook = nbformat.read(path, as_version=4)
    candidates, code_cells = _stdout_cells(notebook)
    chosen: dict[str, int] = {}
    used = set()

    def take(name, kind, edit, predicate=lambda token: True):
        for index, cell, output in candidates:
            token = _first(output, kind, predicate)
            if index not in used and token is not None:
                _replace(output, token, edit(token))
                used.add(index)
                chosen[name] = index
                return cell
        raise AssertionError(f"chapter 00 has no unaltered stdout cell with a {kind} for '{name}'")

    nonzero = lambda token: token.value not in (0.0, None) and math_finite(token.value)  # noqa: E731
    step = lambda token: default.allowed(token.value, token.value)  # noqa: E731
    take("float beyond", "float", lambda t: repr(t.value + 3 * step(t)), nonzero)
    take("float within", "float", lambda t: repr(t.value + 0.5 * step(t)), nonzero)
    tagged = take("float beyond, tagged", "float", lambda t: repr(t.value + 3 * step(t)), nonzero)
    tagged.metadata["tags"] = [TAG_PREFIX + LOOSE]
    take("integer", "integer", lambda t: str(int(t.text) + 1), lambda t: "," not in t.text)
    take("word", "text", lambda t: t.text + "x", lambda t: t.text.isalpha())
    ignored = take("ignored", "text", lambda t: t.text + "x", lambda t: t.text.isalpha())
    ignored.source = "# NBVAL_IGNORE_OUTPUT\n" + ignored.source
    last = code_cells[-1]
    last.metadata.setdefault("tags", []).append("nbval-skip")
    last.outputs = [nbformat.v4.new_output("stream", name="stdout", text="not what it prints\n")]
    raising = nbformat.v4.new_code_cell(
        "raise ValueError('expected')", execution_count=99, metadata={"tags": ["raises-exception"]}
    )
    raising.outputs = [
        nbformat.v4.new_output("error", ename="ValueError", evalue="expected", traceback=[])
    ]
    notebook.cells.insert(notebook.cells.index(last), raising)
    nbformat.write(notebook, path)
    return chosen


def math_finite(value):
    return value == value and abs(value) != float("inf")


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="chapter 00 not present")
def test_nbval_with_tolerance_fails_exactly_where_it_must(tmp_path):
    default = ToleranceConfig.load(TOLERANCE).classes["default"]
    config = tmp_path / "tolerance.toml"
    config.write_text(
        TOLERANCE.read_text()
        + f"""
[classes.{LOOSE}]
rel = {10 * default.rel}
abs = {10 * default.abs}
why = "the meta-test's loose class"
"""
    )
    copy = tmp_path / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    chosen = _alter(copy, default)

    environment = dict(
        os.environ,
        COURSE_PROFILE="cpu",
        COURSE_DEVICE="cpu",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONHASHSEED="0",
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    environment.pop("COURSE_RUN_RECORD_DIR", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rfs",
        "-c",
        os.devnull,
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(tmp_path),
        "-p",
        "tools.nbval_tolerance",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        str(SANITIZE),
        "--nbval-tolerance",
        str(config),
        str(copy),
    ]
    run = subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=600, cwd=ROOT
    )
    log = run.stdout + run.stderr

    failed = {int(n) for n in re.findall(r"FAILED \S*::Cell (\d+)", log)}
    must_fail = {chosen["float beyond"], chosen["integer"], chosen["word"]}
    assert failed == must_fail, (
        f"alterations {chosen}, failed cells {sorted(failed)}\n{log[-4000:]}"
    )
    assert run.returncode == 1
    assert re.search(r"3 failed, \d+ passed, 1 skipped", log), log[-2000:]
    assert "tolerance class 'default'" in log and "allowed" in log
    assert "integers are compared exactly" in log
    assert "words and punctuation are compared exactly" in log
