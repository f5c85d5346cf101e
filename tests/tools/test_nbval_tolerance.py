"""Unit tests of the tolerant notebook comparison (tools/nbval_tolerance.py).

The end-to-end check through nbval and a real kernel is tests/test_nbval_meta.py.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from tools.nbval_tolerance import (
    TAG_PREFIX,
    Tolerance,
    ToleranceConfig,
    TolerantCell,
    compare_text,
    tokenize,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "tests" / "nbval_tolerance.toml"
DEFAULT = Tolerance("default", rel=0.02, abs=0.01, why="test")


def kinds(text):
    return [(token.kind, token.text) for token in tokenize(text) if token.kind != "newline"]


# --- tokens ------------------------------------------------------------------------------


def test_integers_shapes_and_thousands_separators_are_integers():
    assert kinds("shape (99, 117, 95): 31,203 weights") == [
        ("text", "shape"),
        ("text", "("),
        ("integer", "99"),
        ("text", ","),
        ("integer", "117"),
        ("text", ","),
        ("integer", "95"),
        ("text", ")"),
        ("text", ":"),
        ("integer", "31,203"),
        ("text", "weights"),
    ]


def test_floats_exponents_signs_percent_nan_inf():
    tokens = [
        t
        for t in tokenize("0.943 -1.2e-05 2.8e-17 1e-3 +0.012 94.3% nan -inf 1,234.5")
        if t.kind == "float"
    ]
    values = [t.value for t in tokens]
    assert values[:6] == [0.943, -1.2e-05, 2.8e-17, 1e-3, 0.012, pytest.approx(0.943)]
    assert math.isnan(values[6]) and values[7] == -math.inf and values[8] == 1234.5


def test_words_with_digits_dotted_labels_and_hyphens_stay_text():
    assert kinds("T1 conv3d 2.13.0 x-1 inference") == [
        ("text", "T1"),
        ("text", "conv3d"),
        ("text", "2.13.0"),
        ("text", "x"),
        ("text", "-"),
        ("integer", "1"),
        ("text", "inference"),
    ]
    # a number glued to a unit: the number, then the unit as a word
    assert kinds("3.45mm 3D") == [
        ("float", "3.45"),
        ("text", "mm"),
        ("integer", "3"),
        ("text", "D"),
    ]


def test_numpy_trailing_dot_is_a_float_inside_brackets_only():
    assert kinds("[  0. -18.  22.]")[1:4] == [("float", "0."), ("float", "-18."), ("float", "22.")]
    assert kinds("between 0 and 1.") == [
        ("text", "between"),
        ("integer", "0"),
        ("text", "and"),
        ("integer", "1"),
        ("text", "."),
    ]


def test_tokens_know_their_line_and_offset():
    text = "a 1\nb 2.5"
    float_token = [t for t in tokenize(text) if t.kind == "float"][0]
    assert float_token.line == 2 and text[float_token.start :].startswith("2.5")


# --- the tolerance rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    "stored, fresh, accepted",
    [
        (0.943, 0.942, True),  # last digit: within abs 0.01
        (3.46, 3.52, True),  # 1.7 % relative
        (3.36, 3.45, False),  # 2.6 % relative, 0.09 absolute
        (0.0, 2.8e-17, True),  # a zero that comes back as rounding noise
        (1200.0, 1230.0, False),  # 2.5 %
        (-0.0, 0.0, True),
        (math.nan, math.nan, True),
        (math.nan, 0.5, False),
        (math.inf, math.inf, True),
        (math.inf, -math.inf, False),
    ],
)
def test_tolerance_rule(stored, fresh, accepted):
    assert DEFAULT.accepts(stored, fresh) is accepted


def test_allowed_is_the_larger_of_absolute_and_relative():
    assert DEFAULT.allowed(0.1, 0.1) == 0.01
    assert DEFAULT.allowed(100.0, 101.0) == pytest.approx(2.02)


# --- comparing outputs -------------------------------------------------------------------


def test_changed_word_fails_and_names_both_tokens():
    problems = compare_text("GM: 0.579 of brain voxels", "GM: 0.579 of brian voxels", DEFAULT)
    assert len(problems) == 1 and "'brain' -> 'brian'" in problems[0]
    assert "words and punctuation are compared exactly" in problems[0]


def test_changed_integer_fails_even_by_one():
    problems = compare_text("31,203 weights", "31,204 weights", DEFAULT)
    assert "'31,203' -> '31,204'" in problems[0] and "integers" in problems[0]


def test_float_beyond_tolerance_fails_with_the_numbers_and_the_allowance():
    problems = compare_text("mean TRE 3.36 mm", "mean TRE 3.45 mm", DEFAULT)
    assert problems and "3.36 -> 3.45" in problems[0] and "allowed 0.069" in problems[0]
    assert "mean TRE 3.36 mm" in problems[0]  # the stored line is shown


def test_floats_within_tolerance_pass_and_alignment_may_change():
    stored = "CSF:   216.7 mL\nseed spread 0.006\naccuracy 94.3%\n[ 0.  1.]\nfolding 0.16 %"
    fresh = "CSF:  216.9 mL\nseed spread 0.007\naccuracy 94.5%\n[-0.   1.]\nfolding 0.19 %"
    assert compare_text(stored, fresh, DEFAULT) == []


def test_every_float_beyond_tolerance_is_listed():
    problems = compare_text("a 1.0 b 2.0 c 3.0", "a 1.5 b 2.0 c 3.5", DEFAULT)
    assert len(problems) == 2


def test_integer_against_float_and_extra_lines_fail():
    assert compare_text("loss 1", "loss 1.0", DEFAULT)
    problems = compare_text("one line\n", "one line\nand another\n", DEFAULT)
    assert problems and "goes on" in problems[-1]


def test_tolerant_integers_class_compares_counts_as_numbers_but_keeps_words_exact():
    trained = Tolerance("trained", rel=0.1, abs=0.05, why="test", tolerant_integers=True)
    assert compare_text("A better in 11/18 pairs", "A better in 12/18 pairs", trained) == []
    problems = compare_text("A better in 11/18 pairs", "A better in 15/18 pairs", trained)
    assert problems and "integer 11 -> 15" in problems[0]
    assert compare_text("A better in 11/18 pairs", "B better in 11/18 pairs", trained)
    assert compare_text("A better in 11/18 pairs", "A better in 12/18 pairs", DEFAULT)


def test_zero_tolerance_class_is_strict_for_floats():
    exact = Tolerance("exact", 0.0, 0.0, "test")
    assert compare_text("0.5", "0.5000", exact) == []
    assert compare_text("0.5", "0.501", exact)


# --- the config file ---------------------------------------------------------------------


def test_project_config_loads_and_every_class_says_why():
    config = ToleranceConfig.load(CONFIG)
    assert "default" in config.classes
    assert all(tolerance.why for tolerance in config.classes.values())


def test_project_notebooks_and_tags_name_existing_things():
    config = ToleranceConfig.load(CONFIG)
    notebooks = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(config.notebooks) <= notebooks, "the config names a notebook that does not exist"
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            config.for_cell(path.name, list(cell.metadata.get("tags", [])))  # raises if unknown


def _config(**extra):
    data = {
        "classes": {
            "default": {"rel": 0.02, "abs": 0.01, "why": "digits"},
            "trained": {"rel": 0.05, "abs": 0.02, "why": "SGD order"},
        },
        "notebooks": {"05.ipynb": "trained"},
    }
    data.update(extra)
    return ToleranceConfig.from_dict(data, source="test.toml")


def test_cell_tag_wins_over_notebook_which_wins_over_default():
    config = _config()
    assert config.for_cell("00.ipynb", []).name == "default"
    assert config.for_cell("05.ipynb", []).name == "trained"
    assert config.for_cell("00.ipynb", ["solution", TAG_PREFIX + "trained"]).name == "trained"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"classes": {"loose": {"rel": 1, "abs": 1, "why": "x"}}}, "define [classes.default]"),
        ({"classes": {"default": {"rel": 0.02, "abs": 0.01}}}, "needs rel, abs and why"),
        (
            {"classes": {"default": {"rel": 0.02, "abs": 0.01, "why": "x", "integers": "loose"}}},
            'integers must be "exact" or "tolerant"',
        ),
        ({"classes": {"default": {"rel": 0.02, "abs": 0.01, "why": " "}}}, "non-empty `why`"),
        ({"classes": {"default": {"rel": -1, "abs": 0.01, "why": "x"}}}, "numbers >= 0"),
        (
            {
                "classes": {"default": {"rel": 0, "abs": 0, "why": "x"}},
                "notebooks": {"a.ipynb": "b"},
            },
            "names class 'b'",
        ),
        ({"default": {}}, "unknown tables"),
    ],
)
def test_bad_config_is_refused_with_a_message_naming_the_fix(data, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ToleranceConfig.from_dict(data, source="test.toml")


def test_unknown_or_repeated_tags_are_refused():
    config = _config()
    with pytest.raises(ValueError, match="names no class"):
        config.for_cell("00.ipynb", [TAG_PREFIX + "trainde"])
    with pytest.raises(ValueError, match="several tolerance tags"):
        config.for_cell("00.ipynb", [TAG_PREFIX + "trained", TAG_PREFIX + "default"])


# --- nbval's output layout, without a kernel ---------------------------------------------


def _cell(tolerance=DEFAULT, patterns=()):
    """A stand-in for a collected TolerantCell: only what compare_outputs reads."""
    parent = SimpleNamespace(
        skip_compare=(
            "metadata",
            "traceback",
            "output_type",
            "name",
            "execution_count",
            "image/png",
        ),
        sanitize_patterns=dict(patterns),
    )
    cell = SimpleNamespace(
        parent=parent,
        tolerance=tolerance,
        config=SimpleNamespace(getoption=lambda name: "test.toml"),
        format_output_compare=lambda key, a, b: cell.comparison_traceback.append(
            f"exact mismatch {key}"
        ),
    )
    for name in ("compare_outputs", "_flatten", "_report", "sanitize"):
        setattr(cell, name, getattr(TolerantCell, name).__get__(cell))
    return cell


def stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def display(data):
    return nbformat.v4.new_output("display_data", data=data)


def test_streams_and_display_text_use_the_tolerance_images_are_skipped():
    cell = _cell()
    stored = [stream("dice 0.894\n"), display({"text/plain": "<Figure 1.0>", "image/png": "AAA"})]
    fresh = [stream("dice 0.895\n"), display({"text/plain": "<Figure 1.001>", "image/png": "BBB"})]
    assert cell.compare_outputs(fresh, stored)


def test_failure_message_names_the_class_the_file_and_why():
    cell = _cell()
    assert not cell.compare_outputs([stream("TRE 3.45 mm\n")], [stream("TRE 3.36 mm\n")])
    message = "\n".join(cell.comparison_traceback)
    assert "tolerance class 'default' (rel 0.02, abs 0.01)" in message
    assert "test.toml" in message and "3.36 -> 3.45" in message


def test_other_fields_are_compared_exactly_and_missing_outputs_fail():
    cell = _cell()
    widget = "application/vnd.jupyter.widget-state+json"
    assert not cell.compare_outputs(
        [display({widget: {"value": 0.5001}})], [display({widget: {"value": 0.5}})]
    )
    assert not cell.compare_outputs([], [stream("x\n")])
    assert not cell.compare_outputs(
        [stream("a\n"), display({"text/plain": "1"})],
        [stream("a\n"), display({"text/plain": "1"}), display({"text/plain": "2"})],
    )


def test_sanitize_file_rules_apply_before_the_comparison():
    cell = _cell(patterns=[(r"wall time  : .*", "wall time  : SANITIZED")])
    assert cell.compare_outputs([stream("wall time  : 99.0 s\n")], [stream("wall time  : 4.9 s\n")])
