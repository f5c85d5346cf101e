"""The sanitize rules (tests/nbval_sanitize.cfg) replace what they name and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

SANITIZE = Path(__file__).resolve().parent / "nbval_sanitize.cfg"


def sanitize(text: str) -> str:
    """What nbval does with the file: every rule, in order, with re.sub."""
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize(
    "line",
    [
        "torch        : 2.13.0+cpu",
        "scikit-learn : 1.9.1",
        "  python     : 3.11.7",
        "  scikit-learn: 1.9.1",
        "  tensorflow-cpu: 2.19.0",
    ],
)
def test_version_lines_are_replaced(line):
    assert sanitize(line + "\n").endswith(": VERSION\n")


@pytest.mark.parametrize(
    "line",
    [
        "torch: 0.95 Dice",
        "  torch      : 0.951",
        "numpy: 1.2.3 is not a version line when text follows",
        "mean over python: 3.11.7 seeds",
    ],
)
def test_lines_that_are_not_only_a_version_are_left_alone(line):
    assert sanitize(line) == line


def test_run_record_time_and_memory_lines_and_marked_timings():
    record = "  wall time  : 48.2 s (within budget)\n  peak RSS   : 1.23 GB\n"
    assert sanitize(record) == "  wall time  : SANITIZED\n  peak MEMORY : SANITIZED\n"
    assert sanitize("model A   4.2 s ⏱\nmodel B  42.1 s ⏱") == "model A TIME ⏱\nmodel B TIME ⏱"
    assert sanitize("fit took 4.2 s") == "fit took 4.2 s"  # unmarked: compared (with tolerance)


def test_tqdm_times_and_addresses():
    assert sanitize("100%|####| 50/50 [00:12<00:00, 4.01it/s]") == "100%|####| 50/50 [TIME]"
    assert sanitize("done [01:02]") == "done [TIME]"
    assert sanitize("<Foo at 0x7f3a2c1d9e80>") == "<Foo at 0xADDRESS>"
