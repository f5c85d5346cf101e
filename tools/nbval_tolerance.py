"""nbval with a numeric tolerance: printed floats may differ in their last digits between CPUs.

A pytest plugin over nbval (0.11), loaded by ``make test-notebooks``::

    pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \\
           -p tools.nbval_tolerance --nbval-tolerance tests/nbval_tolerance.toml notebooks/

Why: the same notebook on another CPU (vector width, thread count, oneDNN/BLAS dispatch) sums
floating-point numbers in another order, so a printed ``0.943`` may come back as ``0.942``.
Strict comparison then fails although nothing is wrong.

How text outputs (stdout, stderr, ``text/plain``, ``text/html``, error values) are compared,
after nbval's sanitize file has been applied to both sides:

1. Each output is cut into tokens: numbers, words, single punctuation characters and line
   breaks. Runs of spaces and tabs only separate tokens, so right-aligned columns whose width
   changes with a value still match; the number of lines and of tokens on them must not.
2. Words, punctuation, line breaks and **integers** (``12``, ``-3``, ``31,203``, the parts of a
   shape ``(99, 117, 95)``) must be identical.
3. A **float** (a number with a decimal point or an exponent: ``0.943``, ``-1.2e-05``,
   ``2.8e-17``; ``nan`` and ``inf``; numpy's ``1.`` inside ``[...]``) must match the stored
   float within ``|a - b| <= max(abs, rel * max(|a|, |b|))``. ``nan`` matches only ``nan``, an
   infinity only the same infinity. A float followed by ``%`` (or `` %``) is compared as the
   fraction it prints (``94.3%`` as 0.943), so ``abs`` means the same for percentages and
   fractions.

``rel`` and ``abs`` come from a *tolerance class* in the config file (``--nbval-tolerance``):
class ``default`` everywhere, a class named for a notebook in the ``[notebooks]`` table, or the
class named by a cell tag ``nbval-tol-<class>`` (the tag wins). Every class states ``why``.
A class may also say ``integers = "tolerant"``: integers in its cells are then compared as
numbers under the same ``rel``/``abs`` (for counts that a trained network's outputs decide,
such as "A better in 11/18 pairs" or a number of detected lesions); otherwise they are exact.
nbval's own markers (``# NBVAL_IGNORE_OUTPUT``, ``nbval-skip``, ``raises-exception``) work as
before; other outputs (images are not compared; widget JSON) are compared as nbval does.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, transform_streams_for_comparison

__all__ = [
    "Tolerance",
    "ToleranceConfig",
    "Token",
    "tokenize",
    "compare_text",
    "TAG_PREFIX",
    "TEXT_KEYS",
    "TolerantCell",
]

TAG_PREFIX = "nbval-tol-"
#: Output fields compared token by token; every other field is compared exactly, as by nbval.
TEXT_KEYS = frozenset(
    {"stdout", "stderr", "text/plain", "text/html", "text/markdown", "text/latex", "evalue"}
)
_MAX_REPORTED = 12

# One token at a time, tried in this order. A sign belongs to a number unless it follows a
# word, a digit or a closing bracket ("x-1", "2-3", "(a)-1" keep "-" as punctuation).
_SIGN = r"(?:(?<![\w)\]])[+-])?"
_TOKEN = re.compile(
    rf"""
    (?P<space>[ \t\f\v]+)
  | (?P<newline>\r?\n)
  | (?P<dotted>\d+(?:\.\d+){{2,}})                              # 2.13.0, 1.2.3: a label
  | (?P<float>{_SIGN}(?:\d{{1,3}}(?:,\d{{3}})+|\d+)
        (?:\.\d+(?:[eE][+-]?\d+)?|[eE][+-]?\d+))                # 0.943, 1,234.5, 2.8e-17, 1e-3
  | (?P<trailing>{_SIGN}\d+\.(?![\w.]))                          # numpy's "1." (float in [...])
  | (?P<integer>{_SIGN}(?:\d{{1,3}}(?:,\d{{3}})+|\d+))           # 12, -3, 31,203
  | (?P<special>{_SIGN}(?:nan|inf|infinity)(?![\w]))             # nan, -inf
  | (?P<word>[^\W\d]\w*)                                         # words, T1, conv3d, x230
  | (?P<punct>\S)
""",
    re.VERBOSE | re.IGNORECASE,
)


_PERCENT = re.compile(r"[ ]?%")  # "94.3%" and "0.16 %"


@dataclass(frozen=True)
class Token:
    """One token of an output: ``kind`` is 'float', 'integer', 'text' or 'newline'.

    ``line`` counts from 1; ``start`` is the offset in the text; ``value`` is set for numbers.
    """

    kind: str
    text: str
    line: int
    start: int
    value: float | None = None


def _number(text: str, percent: bool) -> float:
    value = float(text.replace(",", ""))
    return value / 100 if percent else value


def tokenize(text: str) -> list[Token]:
    """Cut ``text`` into tokens (see the module docstring); spaces are dropped."""
    tokens: list[Token] = []
    line, depth = 1, 0
    for match in _TOKEN.finditer(text):
        kind, piece, start = match.lastgroup, match.group(), match.start()
        percent = _PERCENT.match(text, match.end()) is not None
        if kind == "space":
            continue
        if kind == "newline":
            tokens.append(Token("newline", "\n", line, start))
            line += 1
            continue
        if kind == "trailing" and depth <= 0:
            # "12." outside brackets ends a sentence: the integer 12, then a full stop.
            tokens.append(Token("integer", piece[:-1], line, start, _number(piece[:-1], False)))
            tokens.append(Token("text", ".", line, match.end() - 1))
            continue
        if kind == "punct":
            depth += {"[": 1, "]": -1}.get(piece, 0)
        if kind in ("float", "trailing", "special"):
            tokens.append(Token("float", piece, line, start, _number(piece, percent)))
        elif kind == "integer":
            tokens.append(Token("integer", piece, line, start, _number(piece, percent)))
        else:  # dotted labels, words, punctuation
            tokens.append(Token("text", piece, line, start))
    return tokens


@dataclass(frozen=True)
class Tolerance:
    """A named tolerance class: floats match when ``|a-b| <= max(abs, rel*max(|a|,|b|))``."""

    name: str
    rel: float
    abs: float
    why: str
    tolerant_integers: bool = False

    def allowed(self, stored: float, fresh: float) -> float:
        """The largest difference allowed between ``stored`` and ``fresh``."""
        return max(self.abs, self.rel * max(abs(stored), abs(fresh)))

    def accepts(self, stored: float, fresh: float) -> bool:
        """True when the two floats match under this class (nan only matches nan)."""
        if math.isnan(stored) or math.isnan(fresh):
            return math.isnan(stored) and math.isnan(fresh)
        if math.isinf(stored) or math.isinf(fresh):
            return stored == fresh
        return abs(stored - fresh) <= self.allowed(stored, fresh)

    def __str__(self) -> str:
        integers = ", integers too" if self.tolerant_integers else ""
        return f"tolerance class '{self.name}' (rel {self.rel:g}, abs {self.abs:g}{integers})"


def compare_text(stored: str, fresh: str, tolerance: Tolerance) -> list[str]:
    """Differences between a stored and a freshly computed output; empty when they match.

    Every float beyond tolerance is listed; the first difference in words, punctuation,
    integers or line structure ends the comparison (the tokens after it no longer align).
    """
    old, new = tokenize(stored), tokenize(fresh)
    stored_lines, fresh_lines = stored.splitlines(), fresh.splitlines()

    def context(a: Token, b: Token) -> str:
        line_a = stored_lines[a.line - 1] if a.line <= len(stored_lines) else ""
        line_b = fresh_lines[b.line - 1] if b.line <= len(fresh_lines) else ""
        return f"\n      stored: {line_a.strip()!r}\n      fresh : {line_b.strip()!r}"

    problems: list[str] = []
    numeric = {"float", "integer"} if tolerance.tolerant_integers else {"float"}
    for a, b in zip(old, new):
        if a.kind in numeric and b.kind in numeric:
            if not tolerance.accepts(a.value, b.value):
                difference = abs(a.value - b.value)
                problems.append(
                    f"line {a.line}: {a.kind} {a.text} -> {b.text}: |difference| {difference:.3g} > "
                    f"allowed {tolerance.allowed(a.value, b.value):.3g}" + context(a, b)
                )
        elif a.kind != b.kind or a.text != b.text:
            what = {"integer": "integers", "newline": "line breaks"}.get(
                a.kind if a.kind != "float" else b.kind, "words and punctuation"
            )
            problems.append(
                f"line {a.line}: {a.text!r} -> {b.text!r} ({what} are compared "
                f"exactly; the tokens after this one are not compared)" + context(a, b)
            )
            return problems
    if len(old) != len(new):
        longer, label = (old, "stored") if len(old) > len(new) else (new, "fresh")
        extra = longer[min(len(old), len(new))]
        problems.append(
            f"the {label} output goes on where the other ends, at line {extra.line}: {extra.text!r}"
        )
    return problems


@dataclass(frozen=True)
class ToleranceConfig:
    """Tolerance classes, and which class each notebook uses by default."""

    classes: dict[str, Tolerance]
    notebooks: dict[str, str]
    source: str = "<memory>"

    @classmethod
    def load(cls, path: str | Path) -> "ToleranceConfig":
        """Read and check a config file such as ``tests/nbval_tolerance.toml``."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"cannot read the nbval tolerance file {path}: {error}") from error
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict, source: str = "<memory>") -> "ToleranceConfig":
        """Build from the parsed TOML; errors name the file and the entry to fix."""
        unknown = set(data) - {"classes", "notebooks"}
        if unknown:
            raise ValueError(
                f"{source}: unknown tables {sorted(unknown)}; "
                "only [classes.<name>] and [notebooks] are read"
            )
        classes = {}
        for name, entry in data.get("classes", {}).items():
            keys = set(entry)
            if not {"rel", "abs", "why"} <= keys <= {"rel", "abs", "why", "integers"}:
                raise ValueError(
                    f"{source}: class '{name}' needs rel, abs and why, and may set "
                    f"integers (has {sorted(keys)})"
                )
            integers = entry.get("integers", "exact")
            if integers not in ("exact", "tolerant"):
                raise ValueError(
                    f"{source}: class '{name}': integers must be \"exact\" or "
                    f'"tolerant" (got {integers!r})'
                )
            rel, absolute, why = entry["rel"], entry["abs"], entry["why"]
            if not all(isinstance(v, (int, float)) and v >= 0 for v in (rel, absolute)):
                raise ValueError(f"{source}: class '{name}': rel and abs must be numbers >= 0")
            if not isinstance(why, str) or not why.strip():
                raise ValueError(f"{source}: class '{name}': say why in a non-empty `why`")
            classes[name] = Tolerance(
                name,
                float(rel),
                float(absolute),
                why.strip(),
                tolerant_integers=integers == "tolerant",
            )
        if "default" not in classes:
            raise ValueError(
                f"{source}: define [classes.default] (used where nothing else is named)"
            )
        notebooks = dict(data.get("notebooks", {}))
        for notebook, name in notebooks.items():
            if name not in classes:
                raise ValueError(
                    f"{source}: notebook {notebook!r} names class {name!r}; "
                    f"defined classes: {sorted(classes)}"
                )
        return cls(classes, notebooks, source)

    def for_cell(self, notebook: str, tags: list[str]) -> Tolerance:
        """The class for a cell of ``notebook`` (file name) with metadata ``tags``."""
        named = [tag[len(TAG_PREFIX) :] for tag in tags if tag.startswith(TAG_PREFIX)]
        if len(named) > 1:
            raise ValueError(f"{notebook}: a cell has several tolerance tags {named}; keep one")
        if named:
            if named[0] not in self.classes:
                raise ValueError(
                    f"{notebook}: cell tag '{TAG_PREFIX}{named[0]}' names no class in "
                    f"{self.source}; defined: {sorted(self.classes)}"
                )
            return self.classes[named[0]]
        return self.classes[self.notebooks.get(notebook, "default")]


# --- the pytest plugin -----------------------------------------------------------------------


def pytest_addoption(parser):
    parser.getgroup("nbval").addoption(
        "--nbval-tolerance",
        default=None,
        metavar="TOML",
        help="compare floats in text outputs within the tolerance classes of this file "
        "(tools/nbval_tolerance.py); without it nbval compares strictly",
    )


def pytest_collection_modifyitems(config, items):
    path = config.getoption("--nbval-tolerance")
    if not path:
        return
    try:
        tolerances = ToleranceConfig.load(path)
        for item in items:
            if isinstance(item, IPyNbCell):
                item.tolerance = tolerances.for_cell(
                    item.fspath.basename, list(item.cell.metadata.get("tags", []))
                )
                item.__class__ = TolerantCell
    except ValueError as error:
        raise pytest.UsageError(str(error)) from error


class TolerantCell(IPyNbCell):
    """nbval's cell item whose text outputs are compared by :func:`compare_text`.

    Collected cells are switched to this class when ``--nbval-tolerance`` is given; it adds
    nothing but the comparison (and the ``tolerance`` attribute set at collection).
    """

    tolerance: Tolerance

    def compare_outputs(self, test, ref, skip_compare=None):
        skip = skip_compare or self.parent.skip_compare
        fresh = self._flatten(transform_streams_for_comparison(test), skip)
        stored = self._flatten(transform_streams_for_comparison(ref), skip)
        self.comparison_traceback = []
        if set(stored) != set(fresh):
            self.comparison_traceback.append(
                f"output fields differ: stored {sorted(stored)}, fresh {sorted(fresh)}"
            )
            return False
        for key, stored_values in stored.items():
            fresh_values = fresh[key]
            if len(stored_values) != len(fresh_values):
                self.comparison_traceback.append(
                    f"{len(stored_values)} stored '{key}' outputs, {len(fresh_values)} fresh"
                )
                return False
            for old, new in zip(stored_values, fresh_values):
                if key in TEXT_KEYS and isinstance(old, str) and isinstance(new, str):
                    problems = compare_text(old, new, self.tolerance)
                    if problems:
                        self._report(key, problems)
                        return False
                elif old != new:
                    self.format_output_compare(key, old, new)
                    return False
        return True

    def _flatten(self, outputs, skip) -> dict[str, list]:
        """nbval's layout: {field or MIME type: [sanitized values, in output order]}."""
        flat: dict[str, list] = {}
        for output in outputs:
            for key, value in output.items():
                if key in skip:
                    continue
                if key == "data":
                    for mime, content in value.items():
                        if mime not in skip:
                            flat.setdefault(mime, []).append(self.sanitize(content))
                else:
                    flat.setdefault(key, []).append(self.sanitize(value))
        return flat

    def _report(self, key: str, problems: list[str]) -> None:
        shown = problems[:_MAX_REPORTED]
        self.comparison_traceback.append(
            f"'{key}' differs (floats compared under {self.tolerance} of "
            f"{self.config.getoption('--nbval-tolerance')}: {self.tolerance.why}):"
        )
        self.comparison_traceback.extend(f"  {problem}" for problem in shown)
        if len(problems) > len(shown):
            self.comparison_traceback.append(f"  ... and {len(problems) - len(shown)} more")
