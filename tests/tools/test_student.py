import subprocess
import sys

import nbformat

from tools.student import make_student_notebook


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("### Exercise 1: implement NCC\nWrite it."),
        nbformat.v4.new_code_cell(
            "answer = 42\nanswer",
            metadata={"tags": ["solution"]},
            execution_count=3,
            outputs=[
                nbformat.v4.new_output("execute_result", {"text/plain": "42"}, execution_count=3)
            ],
        ),
        nbformat.v4.new_code_cell(
            "print('kept')",
            execution_count=4,
            outputs=[nbformat.v4.new_output("stream", text="kept\n")],
        ),
    ]
    return nb


def test_solution_replaced_by_stub_and_outputs_cleared():
    student = make_student_notebook(_notebook())
    stub, kept = student.cells[1], student.cells[2]
    assert "answer = 42" not in stub.source
    assert 'raise NotImplementedError("Exercise: Exercise 1: implement NCC")' in stub.source
    assert "solution" not in stub.metadata["tags"]
    assert kept.source == "print('kept')"
    assert all(c.outputs == [] and c.execution_count is None for c in (stub, kept))


def test_original_not_modified():
    nb = _notebook()
    make_student_notebook(nb)
    assert nb.cells[1].source.startswith("answer")


def test_command_line_writes_copies(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(_notebook(), source / "01_demo.ipynb")
    result = subprocess.run(
        [sys.executable, "-m", "tools.student", str(source), str(tmp_path / "student")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    written = nbformat.read(tmp_path / "student" / "01_demo.ipynb", as_version=4)
    assert "NotImplementedError" in written.cells[1].source
    empty = subprocess.run(
        [sys.executable, "-m", "tools.student", str(tmp_path / "nothing"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert empty.returncode == 2 and "no notebooks" in empty.stderr


def test_student_stub_raises_when_run():
    stub = make_student_notebook(_notebook()).cells[1].source
    try:
        exec(stub, {})
    except NotImplementedError as error:
        assert "Exercise" in str(error)
    else:
        raise AssertionError("stub did not raise")


def test_written_answers_are_left_out():
    nb = _notebook()
    nb.cells.insert(
        2,
        nbformat.v4.new_markdown_cell(
            "**Answer.** It is 42 because ...", metadata={"tags": ["solution"]}
        ),
    )
    nb.cells.append(nbformat.v4.new_markdown_cell("## Summary"))
    student = make_student_notebook(nb)
    texts = [c.source for c in student.cells]
    assert not any("It is 42" in t for t in texts)
    assert texts[-1] == "## Summary" and len(student.cells) == len(nb.cells) - 1
    assert "Exercise: Exercise 1: implement NCC" in student.cells[1].source
