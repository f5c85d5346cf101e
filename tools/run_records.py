"""Print the chapters' run records (wall time, peak memory) against the profile's budget.

Usage::

    python -m tools.run_records build/run_records [notebooks/*.ipynb] [--check]

``make test-notebooks`` prints the table after nbval, whether or not a cell failed; ``make
budget`` adds ``--check``, which exits with status 1 when a chapter is over its time or memory
budget or has no record (run it on a quiet machine: wall times measured while other jobs
share the CPU are inflated). The records are the JSON files that ``RunRecord.finish`` writes
when ``COURSE_RUN_RECORD_DIR`` is set (``make test-notebooks`` and ``make execute`` set it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from course_lib.core.run_record import over_budget, summarize

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Summarise chapter run records against budget.")
    parser.add_argument("directory", type=Path, help="folder of <chapter>.json run records")
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="notebooks that should have a record (a missing one is reported)",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a chapter is over budget or has no record"
    )
    args = parser.parse_args(argv)
    chapters = [path.stem for path in args.notebooks]
    print(summarize(args.directory, chapters))
    if not args.check:
        return 0
    records = {path.stem: json.loads(path.read_text()) for path in args.directory.glob("*.json")}
    missing = sorted(set(chapters) - set(records)) or ([] if records else ["(no records at all)"])
    over = {chapter: over_budget(info) for chapter, info in sorted(records.items())}
    over = {chapter: problems for chapter, problems in over.items() if problems}
    for chapter, problems in over.items():
        print(f"OVER BUDGET {chapter}: {'; '.join(problems)}", file=sys.stderr)
    for chapter in missing:
        print(f"NO RUN RECORD {chapter}: run `make test-notebooks` first", file=sys.stderr)
    return 1 if over or missing else 0


if __name__ == "__main__":
    sys.exit(main())
