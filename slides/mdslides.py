"""Turn a Markdown lecture deck into a notebook with slideshow metadata (for nbconvert/RISE).

Deck format (one ``slides/NN_name.md`` file per lecture part)::

    # Deck title                      <- first slide; its first '# ' heading is the deck title
    text, tables, $$maths$$, images
    Note: speaker notes, up to the next separator (shown in the speaker view, key S)
    ---                               <- a new slide (left/right)
    ## Next slide
    --                                <- a sub-slide (up/down under the current slide)
    ### Detail
    ++                                <- what follows appears on the next click (a fragment)

Separators are lines holding exactly ``---``, ``--`` or ``++``; inside fenced code blocks
they are ordinary text. Do not use setext headings (a line of dashes under a title).

Links to chapter notebooks are written as ``[text](../notebooks/NN_name.ipynb)`` so that
they work when the Markdown is read in the repository; :func:`rewrite_chapter_links`
points them at the chapter's built deck (``NN_name.slides.html``) for the HTML build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import nbformat

__all__ = [
    "Cell",
    "parse_deck",
    "deck_title",
    "deck_to_notebook",
    "resolve_chapter",
    "rewrite_chapter_links",
    "count_slides",
]

_SEPARATORS = {"---": "slide", "--": "subslide", "++": "fragment"}
_NOTE = re.compile(r"^Note:\s?(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# [text](../notebooks/NN_name.ipynb) or [text](NN_name.ipynb), optional #anchor
CHAPTER_LINK = re.compile(
    r"\[(?P<text>[^\]]+)\]\((?P<prefix>(?:\.\./notebooks/)?)"
    r"(?P<stem>\d{2}[a-z]?_[A-Za-z0-9_]+)\.ipynb(?P<anchor>#[^)]*)?\)"
)


@dataclass(frozen=True)
class Cell:
    """One notebook cell of a deck: ``slide_type`` is slide/subslide/fragment/-/notes."""

    slide_type: str
    source: str


def parse_deck(text: str) -> list[Cell]:
    """Split deck Markdown into cells.

    Parameters
    ----------
    text : str
        The deck (format in the module docstring).

    Returns
    -------
    list of Cell
        Content cells typed ``slide`` / ``subslide`` / ``fragment`` (the first cell after a
        separator) and speaker-notes cells typed ``notes``. Empty cells are dropped.
    """
    cells: list[Cell] = []
    buffer: list[str] = []
    pending = "slide"  # type of the next content cell
    in_notes = False
    in_fence = False

    def flush() -> None:
        nonlocal pending
        source = "\n".join(buffer).strip("\n")
        buffer.clear()
        if not source.strip():
            return
        if in_notes:
            cells.append(Cell("notes", source))
        else:
            cells.append(Cell(pending, source))
            pending = "-"

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        stripped = line.strip()
        if not in_fence and stripped in _SEPARATORS:
            flush()
            in_notes = False
            pending = _SEPARATORS[stripped]
            continue
        note = None if in_fence or in_notes else _NOTE.match(line)
        if note:
            flush()
            in_notes = True
            buffer.append(note.group(1))
            continue
        buffer.append(line)
    if in_fence:
        raise ValueError("deck ends inside a fenced code block: close the ``` fence")
    flush()
    return cells


def deck_title(cells: Iterable[Cell]) -> str:
    """The text of the deck's first ``# `` heading (or ``"Untitled deck"``)."""
    for cell in cells:
        if cell.slide_type == "notes":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return "Untitled deck"


def count_slides(slide_types: Iterable[str]) -> int:
    """Number of reveal.js slides (slides plus sub-slides) for a sequence of slide types."""
    return sum(1 for kind in slide_types if kind in ("slide", "subslide"))


def resolve_chapter(stem: str, available: Iterable[str]) -> str | None:
    """The available chapter notebook stem that a link to ``stem`` should point at.

    An exact match wins. Otherwise a chapter split into parts (``03_registration`` ->
    ``03a_affine_registration``, ``03b_nonlinear_registration``) resolves to its first part:
    same two-digit number and at least one word of the name in common (so that
    ``01_mlp_classification`` is not sent to an unrelated ``01a_data_simulator``).
    Returns ``None`` when no such chapter exists.
    """
    available = sorted(set(available))
    if stem in available:
        return stem
    number, words = stem[:2], set(stem.split("_")[1:])
    parts = [
        name
        for name in available
        if re.match(rf"^{number}[a-z]?_", name) and words & set(name.split("_")[1:])
    ]
    return parts[0] if parts else None


def rewrite_chapter_links(source: str, available: Iterable[str]) -> tuple[str, list[str]]:
    """Point chapter-notebook links at the built chapter decks.

    Parameters
    ----------
    source : str
        Markdown text.
    available : iterable of str
        Stems of the chapter notebooks that are built (``"00_setup_and_tour"``, ...).

    Returns
    -------
    text : str
        ``[t](../notebooks/X.ipynb)`` becomes ``[t](Y.slides.html)`` where ``Y`` is
        :func:`resolve_chapter` of ``X``; a link to a chapter that does not exist yet becomes
        plain text marked *(chapter not written yet)*.
    missing : list of str
        The stems that could not be resolved.
    """
    available = list(available)
    missing: list[str] = []

    def replace(match: re.Match) -> str:
        target = resolve_chapter(match.group("stem"), available)
        if target is None:
            missing.append(match.group("stem"))
            return f"{match.group('text')} *(in preparation)*"
        return f"[{match.group('text')}]({target}.slides.html{match.group('anchor') or ''})"

    return CHAPTER_LINK.sub(replace, source), missing


def deck_to_notebook(
    path: Path, available_chapters: Iterable[str] = ()
) -> tuple[nbformat.NotebookNode, list[str]]:
    """Read a Markdown deck and return ``(notebook, unresolved chapter links)``.

    Every cell is a Markdown cell whose ``metadata.slideshow.slide_type`` comes from
    :func:`parse_deck`; the notebook's ``metadata.title`` is the deck title.
    """
    cells = parse_deck(Path(path).read_text(encoding="utf-8"))
    if not cells:
        raise ValueError(f"deck {path} is empty: write at least one slide")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {"title": deck_title(cells), "language_info": {"name": "python"}}
    missing: list[str] = []
    for index, cell in enumerate(cells):
        source, unresolved = rewrite_chapter_links(cell.source, available_chapters)
        missing.extend(unresolved)
        notebook.cells.append(
            nbformat.v4.new_markdown_cell(
                source,
                metadata={"slideshow": {"slide_type": cell.slide_type}},
                id=f"slide-{index:03d}",
            )
        )
    return notebook, sorted(set(missing))
