"""Seconds per simulated subject at 2 mm and 1 mm, and peak memory.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_simulator.py [--subjects 5] [--raters 7]

Each measured subject has all four contrasts (T1w, T2w, PD, FLAIR), MS lesions
and ``--raters`` rater delineations, i.e. the most expensive common call.
The ICBM152 template is loaded (and cached in memory) before timing; its load
time is printed separately. Targets (issue 3): <= 1.0 s per subject at 2 mm and
<= 8 s at 1 mm on one core. Also printed: the time to load a cached cohort of
the same subjects from disk (2 mm), in a temporary ``COURSE_DATA_DIR``, and the
process's peak resident set size (``ru_maxrss``) after each resolution.

Wall time and CPU time (``time.process_time``, all threads) are both printed: on a
shared machine the wall time includes waiting for a core, while with
``OMP_NUM_THREADS=1`` the CPU time is what one dedicated core would need.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=5, help="subjects timed per resolution")
    parser.add_argument("--raters", type=int, default=7, help="rater delineations per subject")
    parser.add_argument("--resolutions", type=int, nargs="+", default=[2, 1])
    args = parser.parse_args()

    from course_lib.simulation import load_icbm152, make_cohort, simulate_subject

    print(
        f"python {platform.python_version()}, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, {os.cpu_count()} CPUs visible"
    )
    options = dict(lesions=True, n_raters=args.raters, contrasts=("T1w", "T2w", "PD", "FLAIR"))
    for resolution in args.resolutions:
        start = time.perf_counter()
        load_icbm152(resolution)
        print(
            f"\n[{resolution} mm] template load (once per process): "
            f"{time.perf_counter() - start:.2f} s"
        )
        times, cpu = [], []
        for seed in range(args.subjects):
            start, start_cpu = time.perf_counter(), time.process_time()
            subject = simulate_subject(seed=seed, resolution=resolution, **options)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            del subject
        target = 1.0 if resolution == 2 else 8.0
        print(
            f"[{resolution} mm] seconds per subject (4 contrasts + lesions + "
            f"{args.raters} raters), target <= {target:.0f} s:"
        )
        print(
            f"    wall: median {statistics.median(times):.3f}, min {min(times):.3f}, "
            f"max {max(times):.3f}"
        )
        print(
            f"    CPU (all threads of this process): median {statistics.median(cpu):.3f}, "
            f"min {min(cpu):.3f}, max {max(cpu):.3f}"
        )
        print(f"[{resolution} mm] peak RSS so far: {peak_rss_mb():.0f} MiB")

    if 2 in args.resolutions:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["COURSE_DATA_DIR"] = tmp
            start = time.perf_counter()
            make_cohort(args.subjects, seed=0, **options)
            generate = time.perf_counter() - start
            start = time.perf_counter()
            make_cohort(args.subjects, seed=0, **options)
            load = time.perf_counter() - start
            size = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20
        print(
            f"\n[2 mm cache] simulate+store {args.subjects} subjects: {generate:.2f} s; "
            f"load: {load:.3f} s ({generate / load:.0f}x faster); {size:.0f} MiB on disk"
        )
    print(f"peak RSS: {peak_rss_mb():.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
