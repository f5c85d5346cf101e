"""Browser-free checks of the lecture decks (slides/*.md) and of the Markdown -> notebook
converter used by `make slides` (slides/mdslides.py). These run with the unit tests."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SLIDES = ROOT / "slides"
DECKS = sorted(SLIDES.glob("[0-9][0-9]_*.md"))
# Chapter notebook names fixed by the course plan (a chapter may be split into NNa/NNb).
PLANNED = {
    "00_setup_and_tour",
    "01_mlp_classification",
    "01b_image_classification",
    "02_patch_cnn_lesion_segmentation",
    "03a_affine_registration",
    "03b_nonlinear_registration",
    "04_unet_segmentation",
    "05_data_augmentation",
    "05b_training_set_size",
    "06_transfer_learning",
    "07a_gans",
    "07b_image_translation",
    "08_harmonization",
    "09_vae_anomaly_detection",
    "10_transformers",
    "11a_privacy_deidentification",
    "11b_federated_learning_dp",
    "12_evaluation_challenges",
    "13_interactive_learning",
    "14_self_supervised",
    "15_foundation_models",
}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"course_slides_{name}", SLIDES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


mdslides = _load("mdslides")


def test_separators_notes_and_fragments():
    cells = mdslides.parse_deck(
        "# Title\nintro\nNote: say hello\nand more\n---\n## Two\ntext\n--\n### Two b\n++\nlater\n"
    )
    assert [(c.slide_type, c.source) for c in cells] == [
        ("slide", "# Title\nintro"),
        ("notes", "say hello\nand more"),
        ("slide", "## Two\ntext"),
        ("subslide", "### Two b"),
        ("fragment", "later"),
    ]


def test_separators_inside_code_fences_are_text():
    cells = mdslides.parse_deck("# A\n```\n---\nNote: not a note\n```\n---\n## B\n")
    assert len(cells) == 2
    assert "---\nNote: not a note" in cells[0].source and cells[0].slide_type == "slide"


def test_unclosed_fence_is_an_error():
    with pytest.raises(ValueError, match="fence"):
        mdslides.parse_deck("# A\n```\ncode\n")


def test_deck_title_and_slide_count():
    cells = mdslides.parse_deck("Note: only notes\n---\n# The title\n--\n## b\n---\n## c\n")
    assert mdslides.deck_title(cells) == "The title"
    assert mdslides.count_slides(c.slide_type for c in cells) == 3


def test_resolve_chapter_exact_split_and_missing():
    available = [
        "00_setup_and_tour",
        "01a_data_simulator",
        "03a_affine_registration",
        "03b_nonlinear_registration",
    ]
    assert mdslides.resolve_chapter("00_setup_and_tour", available) == "00_setup_and_tour"
    assert mdslides.resolve_chapter("03_registration", available) == "03a_affine_registration"
    assert mdslides.resolve_chapter("04_unet_segmentation", available) is None
    assert mdslides.resolve_chapter("01_mlp_classification", available) is None
    assert (
        mdslides.resolve_chapter("01_mlp_classification", available + ["01b_mlp_classification"])
        == "01b_mlp_classification"
    )


def test_rewrite_links_to_built_chapter_decks():
    text = (
        "[tour](../notebooks/00_setup_and_tour.ipynb#setup) and "
        "[reg](../notebooks/03_registration.ipynb) and [unet](04_unet_segmentation.ipynb)"
    )
    out, missing = mdslides.rewrite_chapter_links(
        text, ["00_setup_and_tour", "03b_nonlinear_registration"]
    )
    assert "[tour](00_setup_and_tour.slides.html#setup)" in out
    assert "[reg](03b_nonlinear_registration.slides.html)" in out
    assert "unet *(in preparation)*" in out and ".ipynb" not in out
    assert missing == ["04_unet_segmentation"]


def test_deck_to_notebook_metadata(tmp_path):
    deck = tmp_path / "99_demo.md"
    deck.write_text("# Demo deck\n$$a^2$$\nNote: notes\n---\n## Next\n", encoding="utf-8")
    notebook, missing = mdslides.deck_to_notebook(deck, [])
    assert notebook.metadata["title"] == "Demo deck" and missing == []
    kinds = [cell.metadata["slideshow"]["slide_type"] for cell in notebook.cells]
    assert kinds == ["slide", "notes", "slide"]
    assert all(cell.cell_type == "markdown" for cell in notebook.cells)


def test_there_is_a_deck_for_every_lecture_part():
    assert len(DECKS) >= 7, [deck.name for deck in DECKS]


@pytest.mark.parametrize("deck", DECKS, ids=lambda path: path.stem)
def test_deck_content(deck):
    text = deck.read_text(encoding="utf-8")
    cells = mdslides.parse_deck(text)
    kinds = [cell.slide_type for cell in cells]
    assert mdslides.count_slides(kinds) + (kinds[0] not in ("slide", "subslide")) > 8
    assert kinds.count("notes") >= 5, "each deck carries speaker notes (Note: ...)"
    assert "$$" in text, "each deck has at least one displayed formula"
    assert "## References" in text and "Dojat" in text, "cite the lecture and the sources"
    assert re.search(r"\b(19|20)\d\d\b", text), "citations carry a year"
    links = re.findall(r"\]\(\.\./notebooks/([^)#]+)\.ipynb", text)
    assert links, "each deck links to its chapter notebooks"
    assert set(links) <= PLANNED, (
        f"links to chapters not in the course plan: {set(links) - PLANNED}"
    )


def test_every_deck_link_points_at_a_notebook_that_exists():
    # a link to a missing notebook is built as "(in preparation)": a renamed chapter must not hide
    notebooks = SLIDES.parent / "notebooks"
    for deck in DECKS:
        for name in re.findall(r"\]\(\.\./notebooks/([^)#]+)\.ipynb", deck.read_text("utf-8")):
            assert (notebooks / f"{name}.ipynb").is_file(), f"{deck.name} links to missing {name}"


def test_every_chapter_is_linked_from_a_deck():
    linked = set()
    for deck in DECKS:
        linked |= set(re.findall(r"\]\(\.\./notebooks/([^)#]+)\.ipynb", deck.read_text("utf-8")))
    assert PLANNED <= linked, f"chapters no deck links to: {sorted(PLANNED - linked)}"


def test_build_script_points_every_asset_url_at_vendor():
    build = _load("build")
    assert all(url.startswith("vendor/") for url in build.VENDOR_URLS.values())
    assert set(build.VENDOR_URLS) == {
        "reveal_url_prefix",
        "mathjax_url",
        "require_js_url",
        "jquery_url",
        "widget_renderer_url",
    }
    package = (SLIDES / "package.json").read_text()
    for pin in (
        '"reveal.js": "4.0.2"',
        '"mathjax": "2.7.7"',
        '"requirejs": "2.3.7"',
        '"jquery": "2.2.4"',
        '"@jupyter-widgets/html-manager": "1.0.15"',
    ):
        assert pin in package


def test_widgets_without_vendored_javascript_become_a_note():
    """ipympl's canvas (module jupyter-matplotlib) would make the renderer fetch its JavaScript
    from a CDN: the deck shows a note instead, and so does the box that holds the canvas; a
    plain ipywidgets slider is kept."""
    build = _load("build")
    state = {
        "canvas": {"model_module": "jupyter-matplotlib", "state": {}},
        "box": {
            "model_module": "@jupyter-widgets/controls",
            "state": {"children": ["IPY_MODEL_canvas"]},
        },
        "slider": {"model_module": "@jupyter-widgets/controls", "state": {"value": 3}},
    }
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["widgets"] = {build.WIDGET_STATE: {"state": state, "version_major": 2}}
    cell = nbformat.v4.new_code_cell("show()")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={build.WIDGET_VIEW: {"model_id": key}})
        for key in ("box", "slider")
    ]
    notebook.cells = [cell]
    assert build.drop_unvendored_widgets(notebook) == 2
    kept = notebook.metadata["widgets"][build.WIDGET_STATE]["state"]
    assert set(kept) == {"slider"}
    box, slider = cell.outputs
    assert box["data"] == {"text/plain": build.WIDGET_NOTE}
    assert build.WIDGET_VIEW in slider["data"]
