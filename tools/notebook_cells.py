"""Run one notebook cell's definition in a test, so a chapter's from-scratch code and the
library version it introduces cannot drift apart.

Usage (in a test)::

    ScratchUNet = define_from_notebook("04_unet_segmentation.ipynb", "class ScratchUNet")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

__all__ = ["NOTEBOOKS", "define_from_notebook"]

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def define_from_notebook(notebook: str, definition: str, namespace: dict | None = None) -> Any:
    """Execute the one code cell of ``notebook`` that contains ``definition`` and return the
    object it defines.

    Parameters
    ----------
    notebook : str
        File name in ``notebooks/``, e.g. ``"04_unet_segmentation.ipynb"``.
    definition : str
        ``"def name"`` or ``"class Name"``; exactly one code cell must contain it.
    namespace : dict, optional
        Names the cell expects from earlier cells (``np``, ``torch``, ``device``...).
    """
    path = NOTEBOOKS / notebook
    cells = [
        c
        for c in nbformat.read(path, as_version=4).cells
        if c.cell_type == "code" and definition in c.source
    ]
    if len(cells) != 1:
        raise LookupError(
            f"{notebook}: expected exactly one code cell containing "
            f"{definition!r}, found {len(cells)}"
        )
    name = definition.split()[-1]
    scope = dict(namespace or {})
    exec(compile(cells[0].source, f"{notebook}:{name}", "exec"), scope)
    return scope[name]
