"""Build every lecture deck and chapter notebook into offline reveal.js HTML (``make slides``).

Steps:

1. ``npm ci`` in ``slides/`` (pinned by ``slides/package-lock.json``) installs reveal.js,
   MathJax 2, require.js, jQuery and the Jupyter widget renderer into ``slides/node_modules``
   (ignored by git). Skipped when the installed tree matches the lock file.
2. The files the decks load are copied from there into ``<out>/vendor/`` (only those, with
   their licences), so ``<out>`` is a self-contained folder that works with no network.
3. Each Markdown deck ``slides/NN_*.md`` becomes a notebook in ``build/slide-notebooks/``
   (:mod:`mdslides`); chapter notebooks are copied there with their links rewritten.
4. ``jupyter nbconvert --to slides`` (the venv's) renders all of them into ``<out>`` with the
   ``offline_reveal`` template and every asset URL pointing at ``vendor/`` (relative).
5. ``<out>/index.html`` lists the decks.

Usage: ``.venv/bin/python slides/build.py [--out build/slides]``.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mdslides import count_slides, deck_to_notebook, rewrite_chapter_links  # noqa: E402

SLIDES = Path(__file__).resolve().parent
ROOT = SLIDES.parent
MODULES = SLIDES / "node_modules"
STAMP = MODULES / ".course-lock-sha256"

# (source under node_modules, destination under <out>/vendor); directories are copied
# without source maps. This is what the nbconvert reveal template, MathJax's
# TeX-AMS_CHTML-full config, the reveal notes plugin and the widget renderer load.
ASSETS = [
    ("reveal.js/dist/reveal.css", "reveal.js/dist/reveal.css"),
    ("reveal.js/dist/reveal.js", "reveal.js/dist/reveal.js"),
    ("reveal.js/dist/theme/white.css", "reveal.js/dist/theme/white.css"),
    ("reveal.js/dist/theme/fonts/source-sans-pro", "reveal.js/dist/theme/fonts/source-sans-pro"),
    ("reveal.js/plugin/notes/notes.js", "reveal.js/plugin/notes/notes.js"),
    ("reveal.js/LICENSE", "reveal.js/LICENSE"),
    ("mathjax/MathJax.js", "mathjax/MathJax.js"),
    ("mathjax/config/TeX-AMS_CHTML-full.js", "mathjax/config/TeX-AMS_CHTML-full.js"),
    ("mathjax/config/Safe.js", "mathjax/config/Safe.js"),
    ("mathjax/extensions", "mathjax/extensions"),
    ("mathjax/jax/input/TeX", "mathjax/jax/input/TeX"),
    ("mathjax/jax/element/mml", "mathjax/jax/element/mml"),
    ("mathjax/jax/output/CommonHTML", "mathjax/jax/output/CommonHTML"),
    ("mathjax/fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff"),
    ("mathjax/LICENSE", "mathjax/LICENSE"),
    ("requirejs/require.js", "requirejs/require.js"),
    ("requirejs/package.json", "requirejs/package.json"),
    ("jquery/dist/jquery.min.js", "jquery/dist/jquery.min.js"),
    ("jquery/LICENSE.txt", "jquery/LICENSE.txt"),
    ("@jupyter-widgets/html-manager/dist", "@jupyter-widgets/html-manager/dist"),
    ("@jupyter-widgets/html-manager/package.json", "@jupyter-widgets/html-manager/package.json"),
]
# Not needed by embed-amd.js (other bundles of the same code) or not needed at all.
SKIP_SUFFIXES = (".map",)
SKIP_NAMES = {"embed.js", "libembed-amd.js", "embed.js.LICENSE.txt"}

VENDOR_URLS = {
    "reveal_url_prefix": "vendor/reveal.js",
    "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "require_js_url": "vendor/requirejs/require.js",
    "jquery_url": "vendor/jquery/dist/jquery.min.js",
    "widget_renderer_url": "vendor/@jupyter-widgets/html-manager/dist/embed-amd.js",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_vendor() -> float:
    """Install the pinned front-end packages with ``npm ci`` unless already installed.

    Returns the seconds spent (0 when the install was up to date).
    """
    wanted = _sha256(SLIDES / "package-lock.json")
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return 0.0
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "make slides needs Node.js and npm (e.g. `apt-get install npm`); "
            "npm was not found on PATH"
        )
    start = time.perf_counter()
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=SLIDES,
        check=True,
    )
    STAMP.write_text(wanted + "\n")
    return time.perf_counter() - start


def copy_assets(vendor: Path) -> int:
    """Copy :data:`ASSETS` into ``vendor``; returns the number of bytes copied."""
    if vendor.exists():
        shutil.rmtree(vendor)
    total = 0
    for source, destination in ASSETS:
        source_path, target = MODULES / source, vendor / destination
        if not source_path.exists():
            raise SystemExit(
                f"vendor asset {source_path} is missing: delete slides/node_modules "
                "and run make slides again"
            )
        files = (
            [source_path]
            if source_path.is_file()
            else sorted(p for p in source_path.rglob("*") if p.is_file())
        )
        for file in files:
            if file.suffix in SKIP_SUFFIXES or file.name in SKIP_NAMES:
                continue
            out = target if source_path.is_file() else target / file.relative_to(source_path)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, out)
            total += file.stat().st_size
    return total


#: Widget modules whose JavaScript the renderer in ``vendor/`` provides.
VENDORED_WIDGET_MODULES = frozenset(
    {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}
)
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "(an interactive widget: open the chapter in JupyterLab to use it)"


def drop_unvendored_widgets(notebook) -> int:
    """Replace widgets whose JavaScript is not vendored by a one-line note; returns how many.

    The widget renderer fetches any other module (e.g. ipympl's ``jupyter-matplotlib``)
    from a CDN, so a deck with such a widget would not work offline. A model is dropped when
    its module is not in :data:`VENDORED_WIDGET_MODULES` or when it refers to a dropped model
    (a box holding the canvas); an output showing a dropped model shows the note instead.
    """
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    dropped = {
        key
        for key, model in state.items()
        if model.get("model_module") not in VENDORED_WIDGET_MODULES
    }
    grew = bool(dropped)
    while grew:
        grew = False
        for key, model in state.items():
            text = json.dumps(model.get("state", {}))
            if key not in dropped and any(f"IPY_MODEL_{other}" in text for other in dropped):
                dropped.add(key)
                grew = True
    for key in dropped:
        del state[key]
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is not None and view.get("model_id") in dropped:
                del output["data"][WIDGET_VIEW]
                output["data"]["text/plain"] = WIDGET_NOTE
    return len(dropped)


def prepare_notebooks(staging: Path, chapters: list[Path], decks: list[Path]) -> list[dict]:
    """Write deck notebooks and link-rewritten chapter copies into ``staging``.

    Returns one record per deck: ``{"stem", "title", "kind", "slides", "missing"}``.
    """
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    stems = [path.stem for path in chapters]
    records = []
    for path in decks:
        notebook, missing = deck_to_notebook(path, stems)
        nbformat.write(notebook, staging / f"{path.stem}.ipynb")
        records.append(_record(path.stem, notebook, "lecture", missing))
    for path in chapters:
        notebook = nbformat.read(path, as_version=4)
        missing: list[str] = []
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                cell.source, unresolved = rewrite_chapter_links(cell.source, stems)
                missing.extend(unresolved)
        drop_unvendored_widgets(notebook)
        nbformat.write(notebook, staging / path.name)
        records.append(_record(path.stem, notebook, "chapter", missing))
    return records


def _record(stem: str, notebook, kind: str, missing: list[str]) -> dict:
    title = notebook.metadata.get("title")
    if not title:
        title = next(
            (
                line[2:].strip()
                for cell in notebook.cells
                if cell.cell_type == "markdown"
                for line in cell.source.splitlines()
                if line.startswith("# ")
            ),
            stem,
        )
    types = [
        cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")
        for cell in notebook.cells
    ]
    slides = max(1, count_slides(types[1:]) + 1)  # the first cell always opens a slide
    return {
        "stem": stem,
        "title": title,
        "kind": kind,
        "slides": slides,
        "missing": sorted(set(missing)),
    }


def convert(notebooks: list[Path], out: Path) -> None:
    """Render ``notebooks`` to ``<out>/<stem>.slides.html`` with one nbconvert call."""
    jupyter = ROOT / ".venv" / "bin" / "jupyter"
    command = [
        str(jupyter) if jupyter.exists() else "jupyter",
        "nbconvert",
        "--to",
        "slides",
        "--log-level=WARN",
        f"--output-dir={out}",
        f"--TemplateExporter.extra_template_basedirs={SLIDES / 'templates'}",
        "--template=offline_reveal",
        f"--reveal-prefix={VENDOR_URLS['reveal_url_prefix']}",
        "--SlidesExporter.reveal_theme=white",
        "--SlidesExporter.reveal_number=c/t",
        "--SlidesExporter.reveal_scroll=True",
        "--SlidesExporter.reveal_transition=fade",
    ]
    for name in ("mathjax_url", "require_js_url", "jquery_url", "widget_renderer_url"):
        command.append(f"--SlidesExporter.{name}={VENDOR_URLS[name]}")
    subprocess.run(command + [str(path) for path in notebooks], check=True)


def write_index(out: Path, records: list[dict]) -> None:
    """Write ``<out>/index.html``: the lecture decks, then the chapters, with slide counts."""

    def rows(kind: str) -> str:
        return "\n".join(
            f'<li><a href="{html.escape(r["stem"])}.slides.html">{html.escape(r["title"])}</a>'
            f' <span class="n">{r["slides"]} slides</span></li>'
            for r in records
            if r["kind"] == kind
        )

    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Machine Learning for Medical Image Processing: slides</title>
<style>
body {{ font-family: sans-serif; max-width: 52em; margin: 2em auto; line-height: 1.5; }}
.n {{ color: #777; font-size: 90%; }} kbd {{ border: 1px solid #aaa; padding: 0 .3em; }}
</style></head><body>
<h1>Machine Learning for Medical Image Processing: slides</h1>
<p>Works offline. In a deck: <kbd>&rarr;</kbd>/<kbd>&darr;</kbd> next, <kbd>Esc</kbd>
overview, <kbd>S</kbd> speaker notes, <kbd>F</kbd> full screen.</p>
<h2>Lecture decks</h2>
<ol>
{rows("lecture")}
</ol>
<h2>Chapters (notebooks rendered as slides)</h2>
<ul>
{rows("chapter")}
</ul>
</body></html>
"""
    (out / "index.html").write_text(page, encoding="utf-8")
    (out / "decks.json").write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "slides")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    decks = sorted(SLIDES.glob("[0-9][0-9]_*.md"))
    chapters = sorted(args.notebooks.glob("[0-9][0-9]*.ipynb"))
    if not decks:
        raise SystemExit(f"no decks (NN_*.md) found in {SLIDES}")
    npm_seconds = ensure_vendor()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.slides.html"):
        old.unlink()
    vendor_bytes = copy_assets(out / "vendor")
    staging = ROOT / "build" / "slide-notebooks"
    records = prepare_notebooks(staging, chapters, decks)
    convert([staging / f"{r['stem']}.ipynb" for r in records], out)
    write_index(out, records)
    for record in records:
        note = (
            f"  (links to chapters not written yet: {', '.join(record['missing'])})"
            if record["missing"]
            else ""
        )
        print(f"{record['kind']:8s} {record['stem']:40s} {record['slides']:3d} slides{note}")
    lectures = [r for r in records if r["kind"] == "lecture"]
    print(
        f"{len(lectures)} lecture decks ({sum(r['slides'] for r in lectures)} slides), "
        f"{len(records) - len(lectures)} chapter decks -> {os.path.relpath(out, ROOT)}/ "
        f"({_size(out) / 1e6:.1f} MB, of which vendor {vendor_bytes / 1e6:.1f} MB); "
        f"npm {npm_seconds:.0f} s; total {time.perf_counter() - start:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
