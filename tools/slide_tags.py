"""Give a chapter's headings slide metadata, so its reveal.js deck has one slide per section.

Usage::

    python -m tools.slide_tags notebooks/03a_affine_registration.ipynb [...]

``make slides`` turns each chapter into a deck from the cells' ``slideshow.slide_type``
(nbconvert's convention). A markdown cell that starts with ``#`` or ``##`` becomes a
``slide``, one that starts with ``###`` a ``subslide``; every other cell keeps what it has
(no metadata means "continue the current slide"). Cells that already carry a slide type are
left alone, so hand-made choices survive. Only metadata changes: outputs stay as they are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

__all__ = ["heading_slide_type", "tag_headings"]


def heading_slide_type(source: str) -> str | None:
    """``"slide"`` for a ``#``/``##`` heading, ``"subslide"`` for ``###``, else None."""
    first = source.lstrip().split("\n", 1)[0]
    if first.startswith("### "):
        return "subslide"
    if first.startswith(("# ", "## ")):
        return "slide"
    return None


def tag_headings(notebook: nbformat.NotebookNode) -> int:
    """Set the slide type of untagged heading cells; return how many were set."""
    changed = 0
    for cell in notebook.cells:
        if cell.cell_type != "markdown" or "slideshow" in cell.metadata:
            continue
        slide_type = heading_slide_type(cell.source)
        if slide_type is not None:
            cell.metadata["slideshow"] = {"slide_type": slide_type}
            changed += 1
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Slide metadata from a chapter's headings.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=4)
        changed = tag_headings(notebook)
        if changed:
            nbformat.write(notebook, path)
        print(f"{path}: {changed} heading cells tagged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
