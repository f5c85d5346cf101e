"""tools/execute.py: stored notebooks keep their cpu outputs; gpu-profile runs go elsewhere."""

from __future__ import annotations

import nbformat
import pytest

from tools.execute import execute_notebook, main


def _notebook(path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import os; print(os.environ['COURSE_PROFILE'], os.environ.get('COURSE_DEVICE'))"
        )
    ]
    nbformat.write(notebook, path)
    return path


def test_gpu_profile_needs_an_output_dir(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--profile", "gpu", str(_notebook(tmp_path / "a.ipynb"))])
    assert stop.value.code == 2
    assert "--output-dir" in capsys.readouterr().err


def test_gpu_profile_writes_a_copy_and_leaves_the_stored_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")  # a stale choice must not leak into the gpu run
    stored = _notebook(tmp_path / "chapter.ipynb")
    before = stored.read_text()
    execute_notebook(stored, timeout=120, gpu_output_dir=tmp_path / "gpu")
    assert stored.read_text() == before
    copy = nbformat.read(tmp_path / "gpu" / "chapter.ipynb", as_version=4)
    assert copy.cells[0].outputs[0]["text"].split() == ["gpu", "None"]


def test_cpu_profile_rewrites_in_place(tmp_path):
    stored = _notebook(tmp_path / "chapter.ipynb")
    execute_notebook(stored, timeout=120)
    executed = nbformat.read(stored, as_version=4)
    assert executed.cells[0].outputs[0]["text"].split() == ["cpu", "cpu"]


def test_the_callers_environment_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    execute_notebook(
        _notebook(tmp_path / "chapter.ipynb"), timeout=120, gpu_output_dir=tmp_path / "gpu"
    )
    import os

    assert os.environ["COURSE_PROFILE"] == "full"
