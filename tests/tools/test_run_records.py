"""make budget's check (tools/run_records.py) and the summary it prints."""

from __future__ import annotations

import json

from course_lib.core.run_record import over_budget, summarize
from tools.run_records import main


def _record(directory, chapter, seconds, gigabytes, time_budget=150.0, memory_budget=3.0):
    directory.mkdir(exist_ok=True)
    (directory / f"{chapter}.json").write_text(
        json.dumps(
            {
                "chapter": chapter,
                "profile": "cpu",
                "wall_time_s": seconds,
                "peak_rss_bytes": gigabytes * 1e9,
                "time_budget_s": time_budget,
                "memory_budget_gb": memory_budget,
            }
        )
    )


def test_over_budget_names_time_and_memory():
    info = {
        "wall_time_s": 151.0,
        "peak_rss_bytes": 3.2e9,
        "time_budget_s": 150.0,
        "memory_budget_gb": 3.0,
    }
    assert over_budget(info) == ["wall time 151.0 s > 150 s", "peak RSS 3.20 GB > 3 GB"]
    assert over_budget(dict(info, wall_time_s=150.0, peak_rss_bytes=3.0e9)) == []
    assert over_budget(dict(info, time_budget_s=None, memory_budget_gb=None)) == []


def test_summary_lists_missing_chapters(tmp_path):
    _record(tmp_path, "00_fast", 20.0, 1.0)
    table = summarize(tmp_path, ["00_fast", "01_broken"])
    assert "00_fast" in table and "ok" in table
    assert "01_broken" in table and "no run record" in table


def test_check_exits_nonzero_only_when_over_budget_or_missing(tmp_path, capsys):
    records = tmp_path / "records"
    _record(records, "00_fast", 20.0, 1.0)
    assert main([str(records), "notebooks/00_fast.ipynb", "--check"]) == 0
    assert (
        main([str(records), "notebooks/00_fast.ipynb", "notebooks/01_gone.ipynb", "--check"]) == 1
    )
    assert main([str(records), "notebooks/01_gone.ipynb"]) == 0  # without --check: a report
    _record(records, "02_heavy", 90.0, 3.4)
    assert main([str(records), "--check"]) == 1
    assert "OVER BUDGET 02_heavy: peak RSS 3.40 GB > 3 GB" in capsys.readouterr().err
    assert main([str(tmp_path / "empty"), "--check"]) == 1
