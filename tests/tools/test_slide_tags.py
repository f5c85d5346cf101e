"""tools/slide_tags.py: headings become slides, hand-made choices stay."""

import nbformat

from tools.slide_tags import heading_slide_type, tag_headings


def test_heading_levels():
    assert heading_slide_type("# Chapter 03a") == "slide"
    assert heading_slide_type("\n## 2. Data\ntext") == "slide"
    assert heading_slide_type("### Gate") == "subslide"
    assert heading_slide_type("#### detail") is None
    assert heading_slide_type("plain text with ## inside") is None


def test_only_untagged_markdown_headings_change():
    notebook = nbformat.v4.new_notebook()
    kept = nbformat.v4.new_markdown_cell("## kept", metadata={"slideshow": {"slide_type": "skip"}})
    notebook.cells = [
        nbformat.v4.new_markdown_cell("## Section"),
        kept,
        nbformat.v4.new_code_cell("## a comment, not a heading"),
        nbformat.v4.new_markdown_cell("text"),
    ]
    assert tag_headings(notebook) == 1
    assert notebook.cells[0].metadata["slideshow"] == {"slide_type": "slide"}
    assert notebook.cells[1].metadata["slideshow"] == {"slide_type": "skip"}
    assert "slideshow" not in notebook.cells[2].metadata
    assert "slideshow" not in notebook.cells[3].metadata
