"""Write student copies of the chapter notebooks: solutions replaced by stubs, outputs cleared.

Usage::

    python -m tools.student notebooks build/student

A code cell tagged ``solution`` becomes a stub that raises
``NotImplementedError("Exercise: <title>")``, where the title is the first line of the
closest markdown cell above it (the exercise statement). A markdown cell tagged ``solution``
(the written answer) is left out. Every output and execution count is cleared, so students
run the chapter themselves.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat

__all__ = ["make_student_notebook", "build_student_copies", "SOLUTION_TAG"]

SOLUTION_TAG = "solution"


def _exercise_title(cells, position: int) -> str:
    for cell in reversed(cells[:position]):
        if cell.cell_type == "markdown" and cell.source.strip():
            return cell.source.strip().splitlines()[0].lstrip("#* ").strip()
    return "complete this cell"


def make_student_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a student copy of ``notebook`` (the input is not modified)."""
    copy = nbformat.from_dict(notebook)
    copy.cells = [
        cell
        for cell in copy.cells
        if not (
            cell.cell_type == "markdown"
            and SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])
        )
    ]
    for position, cell in enumerate(copy.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_TAG in tags:
            title = _exercise_title(copy.cells, position).replace('"', "'")
            cell.source = (
                "# Your solution here. Delete the line below when you start.\n"
                f'raise NotImplementedError("Exercise: {title}")'
            )
            cell.metadata["tags"] = [tag for tag in tags if tag != SOLUTION_TAG] + ["exercise"]
        cell.outputs = []
        cell.execution_count = None
    return copy


def build_student_copies(source: Path, destination: Path) -> list[Path]:
    """Write a student copy of every ``*.ipynb`` in ``source`` to ``destination``.

    Files are written atomically (temporary file, then rename). Returns the written paths.
    """
    source, destination = Path(source), Path(destination)
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks (*.ipynb) found in {source}")
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        student = make_student_notebook(nbformat.read(path, as_version=4))
        target = destination / path.name
        with tempfile.NamedTemporaryFile(
            "w", dir=destination, suffix=".tmp", delete=False, encoding="utf-8"
        ) as handle:
            nbformat.write(student, handle)
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder with the chapter notebooks")
    parser.add_argument("destination", type=Path, help="folder for the student copies")
    args = parser.parse_args(argv)
    try:
        written = build_student_copies(args.source, args.destination)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} student notebooks to {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
