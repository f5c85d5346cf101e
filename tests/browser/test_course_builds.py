"""Browser-free check of `make student` on the real chapters (its unit tests in
tests/course_lib/test_student.py use a synthetic notebook): no solution code and no output may
reach a student copy, and nothing else may change."""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))


def test_student_copies_of_the_chapters(tmp_path):
    from tools.student import build_student_copies

    written = build_student_copies(ROOT / "notebooks", tmp_path)
    assert sorted(path.name for path in written) == [path.name for path in CHAPTERS]
    solutions = 0
    for path in CHAPTERS:
        original = nbformat.read(path, as_version=4)
        copy = nbformat.read(tmp_path / path.name, as_version=4)
        nbformat.validate(copy)
        kept = [
            c
            for c in original.cells  # written answers are left out of student copies
            if not (c.cell_type == "markdown" and "solution" in c.metadata.get("tags", []))
        ]
        assert len(copy.cells) == len(kept), path.name
        for before, after in zip(kept, copy.cells):
            assert after.cell_type == before.cell_type
            if after.cell_type == "markdown":
                assert after.source == before.source
                continue
            assert after.outputs == [] and after.execution_count is None, path.name
            if "solution" in before.metadata.get("tags", []):
                solutions += 1
                assert "solution" not in after.metadata.get("tags", [])
                assert "raise NotImplementedError" in after.source
                body = {
                    line.strip()
                    for line in before.source.splitlines()
                    if len(line.strip()) > 3 and not line.lstrip().startswith("#")
                }
                assert not body & {line.strip() for line in after.source.splitlines()}, (
                    f"solution code leaked into the student copy of {path.name}"
                )
            else:
                assert after.source == before.source
    assert solutions > 0, "no chapter has a solution cell: the check would be empty"
