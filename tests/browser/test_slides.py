"""Real-browser tests of the offline slide build (``make slides`` -> ``build/slides/``).

Every deck is opened from disk (file://) with every request logged and any request that would
leave the machine aborted: reveal.js must initialise, the deck must have enough slides,
MathJax must typeset its formulas, no local asset may be missing, and nothing may be
requested from outside. One deck is also served over a loopback HTTP server, the speaker
view is opened, and chapter 00's embedded widgets must render offline.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "slides"
LECTURE_DECKS = sorted(path.stem for path in (ROOT / "slides").glob("[0-9][0-9]_*.md"))
CHAPTERS = sorted(path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))
MIN_LECTURE_SLIDES = 8
MIN_CHAPTER_SLIDES = 3
REVEAL = "vendor/reveal.js/dist/reveal.js"
MATH_SELECTOR = ".MathJax_CHTML, .mjx-chtml"


@pytest.fixture(scope="module", autouse=True)
def built():
    if not (BUILD / "index.html").exists():
        pytest.skip("build/slides/ is not built: run `make slides` (make test-browser does)")


def _chapter_has_maths(stem: str) -> bool:
    notebook = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    return any(cell.cell_type == "markdown" and "$" in cell.source for cell in notebook.cells)


def open_deck(context, url: str):
    """Open a deck; return ``(page, reveal_state, page_errors)`` once reveal.js is ready."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(url)
    page.wait_for_selector(".reveal.ready", timeout=30_000)
    # reveal.js is loaded through require.js (AMD), so it is not a global: ask require for it.
    state = page.evaluate(
        """(name) => new Promise(resolve => require([name], R => resolve(
             {ready: R.isReady(), total: R.getTotalSlides(),
              notes: document.querySelectorAll('aside.notes').length})))""",
        REVEAL,
    )
    return page, state, errors


def show_slide_with(page, selector: str) -> None:
    """Move the deck to the first (innermost) slide containing ``selector``."""
    page.evaluate(
        """([name, selector]) => new Promise(done => require([name], R => {
        const slide = [...document.querySelectorAll('.slides section')].find(
            s => !s.querySelector('section') && s.querySelector(selector));
        const at = R.getIndices(slide);
        R.slide(at.h, at.v);
        setTimeout(done, 800);
    }))""",
        [REVEAL, selector],
    )


def wait_for_maths(page) -> int:
    page.wait_for_function(
        f"document.querySelectorAll('{MATH_SELECTOR}').length > 0", timeout=30_000
    )
    page.wait_for_function("!window.MathJax || MathJax.Hub.queue.pending === 0", timeout=30_000)
    return page.evaluate(f"document.querySelectorAll('{MATH_SELECTOR}').length")


@pytest.mark.parametrize("deck", LECTURE_DECKS)
def test_lecture_deck_renders_offline(context, screenshots, deck):
    path = BUILD / f"{deck}.slides.html"
    assert path.exists(), f"{path.name} missing: rebuild with `make slides`"
    page, state, errors = open_deck(context, path.as_uri())
    assert state["ready"] is True
    assert state["total"] > MIN_LECTURE_SLIDES, state
    assert state["notes"] >= 5, "speaker notes (Note: ...) missing from the deck"
    assert wait_for_maths(page) > 0
    page.screenshot(path=str(screenshots / f"deck-{deck}.png"))
    show_slide_with(page, ".MathJax_CHTML")
    page.screenshot(path=str(screenshots / f"deck-{deck}-maths.png"))
    assert context.log.outside() == [], f"requests left the machine: {context.log.outside()}"
    assert context.log.failed == [], f"missing local assets: {context.log.failed}"
    assert errors == [], errors


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_deck_renders_offline(context, chapter):
    path = BUILD / f"{chapter}.slides.html"
    assert path.exists(), f"{path.name} missing: rebuild with `make slides`"
    page, state, errors = open_deck(context, path.as_uri())
    assert state["ready"] is True
    assert state["total"] > MIN_CHAPTER_SLIDES, state
    if _chapter_has_maths(chapter):
        assert wait_for_maths(page) > 0
    assert context.log.outside() == [], f"requests left the machine: {context.log.outside()}"
    assert context.log.failed == [], f"missing local assets: {context.log.failed}"


def test_chapter00_widgets_render_offline(context, screenshots):
    """The widget state stored in chapter 00 is drawn by the vendored widget renderer."""
    page, _, _ = open_deck(context, (BUILD / "00_setup_and_tour.slides.html").as_uri())
    page.wait_for_selector(".widget-slider", state="attached", timeout=30_000)
    assert page.locator(".widget-slider").count() >= 3
    show_slide_with(page, ".widget-slider")
    page.screenshot(path=str(screenshots / "deck-00-widgets.png"))
    assert context.log.outside() == []


def test_speaker_notes_open_offline(context, screenshots):
    deck = LECTURE_DECKS[0]
    page, _, _ = open_deck(context, (BUILD / f"{deck}.slides.html").as_uri() + "#/1")
    expected = page.locator(".slides section.present aside.notes").first.inner_text().strip()
    with context.expect_page() as popup:
        page.keyboard.press("s")
    notes = popup.value
    notes.wait_for_selector(".speaker-controls-notes", timeout=15_000)
    notes.wait_for_function(
        "document.querySelector('.speaker-controls-notes').innerText.length > 20", timeout=15_000
    )
    shown = notes.locator(".speaker-controls-notes").inner_text()
    notes.screenshot(path=str(screenshots / "deck-speaker-view.png"))
    assert expected[:40] in " ".join(shown.split()), (expected, shown)
    assert context.log.outside() == []


def test_index_over_loopback_http(context):
    """Served from 127.0.0.1, the index links every deck and a deck loads only local assets."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(BUILD))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        page = context.new_page()
        page.goto(f"{base}/index.html")
        links = page.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert {f"{stem}.slides.html" for stem in LECTURE_DECKS + CHAPTERS} <= set(links)
        page.click(f"a[href='{LECTURE_DECKS[-1]}.slides.html']")
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        wait_for_maths(page)
        hosts = {url.split("/")[2] for url in context.log.urls if url.startswith("http")}
        assert hosts == {f"127.0.0.1:{server.server_address[1]}"}, hosts
        assert context.log.outside() == [] and context.log.failed == []
    finally:
        server.shutdown()
        server.server_close()
