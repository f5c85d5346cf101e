"""A chapter's run record: what ran, where, how long, and how much memory it took.

The setup cell starts it, the last cell prints it::

    record = RunRecord.start("04_unet_segmentation", seed=0)
    ...
    record.finish()

Timing and memory lines vary between runs; the course's nbval sanitize file
(``tests/nbval_sanitize.cfg``) replaces them, and nothing else, before outputs are compared.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import torch

from course_lib.core.device import get_device
from course_lib.core.profile import Profile, get_profile

__all__ = ["RunRecord", "peak_rss_bytes", "RECORD_DIR_ENV", "summarize", "over_budget"]

RECORD_DIR_ENV = "COURSE_RUN_RECORD_DIR"
_PACKAGES = (
    "torch",
    "numpy",
    "scipy",
    "nibabel",
    "nilearn",
    "scikit-learn",
    "tensorflow-cpu",
    "tensorflow",
)


def peak_rss_bytes() -> int:
    """Peak resident set size of this process, in bytes (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        if name.startswith("tensorflow") and "tensorflow" not in sys.modules:
            continue  # only report TensorFlow where the chapter used it
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


@dataclass
class RunRecord:
    """Profile, device, versions, wall time and peak memory of one chapter run.

    Use :meth:`start` in the setup cell and :meth:`finish` in the last cell.
    """

    chapter: str
    profile: Profile
    device: str
    seed: int | None
    started: float = field(default_factory=time.perf_counter)
    results: dict = field(default_factory=dict)

    @classmethod
    def start(cls, chapter: str, seed: int | None = None) -> "RunRecord":
        """Begin the record of ``chapter`` (reads the profile and device now)."""
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        return cls(chapter=chapter, profile=get_profile(), device=str(get_device()), seed=seed)

    def log(self, **results: float) -> None:
        """Keep headline results (e.g. ``dice=0.87``) to store with the record."""
        self.results.update({key: float(value) for key, value in results.items()})

    def summary(self) -> dict:
        """The record as a plain dict (times in seconds, memory in bytes)."""
        info = {
            "chapter": self.chapter,
            "profile": self.profile.name,
            "device": self.device,
            "seed": self.seed,
            "versions": _versions(),
            "wall_time_s": round(time.perf_counter() - self.started, 2),
            "peak_rss_bytes": peak_rss_bytes(),
            "time_budget_s": self.profile.time_budget_s,
            "memory_budget_gb": self.profile.memory_budget_gb,
            "results": dict(self.results),
        }
        if torch.cuda.is_available():
            info["peak_cuda_bytes"] = int(torch.cuda.max_memory_allocated())
        return info

    def finish(self) -> dict:
        """Print the record and return it as a dict.

        When ``COURSE_RUN_RECORD_DIR`` is set (``make execute`` sets it), the record is also
        written there as ``<chapter>.json`` (atomically), so run times can be collected.
        """
        info = self.summary()
        lines = [
            f"Run record: {self.chapter}",
            f"  {self.profile}",
            f"  device     : {self.device}",
        ]
        if self.seed is not None:
            lines.append(f"  seed       : {self.seed}")
        lines += [f"  {name:<11}: {version}" for name, version in info["versions"].items()]
        budget = info["time_budget_s"]
        verdict = (
            ""
            if budget is None
            else (
                " (within budget)"
                if info["wall_time_s"] <= budget
                else f" (OVER the {budget:.0f} s budget)"
            )
        )
        lines.append(f"  wall time  : {info['wall_time_s']:.1f} s{verdict}")
        lines.append(f"  peak RSS   : {info['peak_rss_bytes'] / 1e9:.2f} GB")
        if "peak_cuda_bytes" in info:
            lines.append(f"  peak CUDA  : {info['peak_cuda_bytes'] / 1e9:.2f} GB")
        print("\n".join(lines))
        target = os.environ.get(RECORD_DIR_ENV, "").strip()
        if target:
            _write_json_atomically(Path(target) / f"{self.chapter}.json", info)
        return info


def _write_json_atomically(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
        json.dump(data, handle, indent=2, default=str)
        temporary = handle.name
    os.replace(temporary, path)


def over_budget(info: dict) -> list[str]:
    """What in one saved run record exceeds its profile's budget (empty when within it)."""
    problems = []
    seconds, budget_s = info["wall_time_s"], info.get("time_budget_s")
    if budget_s is not None and seconds > budget_s:
        problems.append(f"wall time {seconds:.1f} s > {budget_s:.0f} s")
    gigabytes, budget_gb = info["peak_rss_bytes"] / 1e9, info.get("memory_budget_gb")
    if budget_gb is not None and gigabytes > budget_gb:
        problems.append(f"peak RSS {gigabytes:.2f} GB > {budget_gb:g} GB")
    return problems


def summarize(directory: Path, chapters: list[str] | None = None) -> str:
    """A table of the run records saved in ``directory`` (one line per chapter).

    ``make test-notebooks`` prints it after nbval, even when a cell failed, so CI logs show
    each chapter's wall time and peak memory against the profile's budget. A chapter listed
    in ``chapters`` without a record (it stopped before its last cell) gets a line saying so.
    """
    records = {path.stem: json.loads(path.read_text()) for path in Path(directory).glob("*.json")}
    rows = []
    for chapter in sorted(set(records) | set(chapters or [])):
        info = records.get(chapter)
        if info is None:
            rows.append(f"{chapter:<40} no run record (the notebook did not reach its last cell)")
            continue
        budgeted = info.get("time_budget_s") is not None or info.get("memory_budget_gb") is not None
        problems = over_budget(info)
        status = (
            "" if not budgeted else ("OVER BUDGET: " + "; ".join(problems) if problems else "ok")
        )
        rows.append(
            f"{info['chapter']:<40} {info['profile']:<5} {info['wall_time_s']:>8.1f} s "
            f"{info['peak_rss_bytes'] / 1e9:>6.2f} GB  {status}"
        )
    if not rows:
        return f"no run records in {directory}"
    header = f"{'chapter':<40} {'prof.':<5} {'wall time':>10} {'peak RSS':>9}"
    return "\n".join([header, *rows])
