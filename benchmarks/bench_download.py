"""Throughput and peak memory of ``data_fetch.download_file`` on a large file.

Usage::

    .venv/bin/python benchmarks/bench_download.py [--size-mb 200] [--limit-mb 150]

A file of ``--size-mb`` random bytes is written to a temporary folder and served
by a threaded ``http.server`` on 127.0.0.1 (in this process). A *separate*
Python process then downloads it with ``download_file`` (streaming, md5 on the
fly, verify, atomic rename), so its peak resident set size (``ru_maxrss``)
measures the downloader alone. The script prints the wall time, the
throughput and the peak RSS, and exits with status 1 if the peak RSS exceeds
``--limit-mb`` (streaming must not hold the file in memory).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from data_fetch.download import download_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
download_file(sys.argv[1], sys.argv[2], sys.argv[3], progress=False, retries=0)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
print(json.dumps({"elapsed_s": elapsed, "rss_after_import_kb": before, "peak_rss_kb": peak}))
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def write_random_file(path: Path, size_mb: int) -> str:
    """Write ``size_mb`` MiB of random bytes; return ``"md5:<hex>"``."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "wb") as handle:
        for _ in range(size_mb):
            block = os.urandom(1 << 20)
            handle.write(block)
            digest.update(block)
    return f"md5:{digest.hexdigest()}"


def run(size_mb: int) -> dict:
    """Serve a ``size_mb`` MiB file locally and download it in a child process."""
    with tempfile.TemporaryDirectory(prefix="bench-download-") as tmp:
        served, cache = Path(tmp) / "served", Path(tmp) / "cache"
        served.mkdir()
        known_hash = write_random_file(served / "big.bin", size_mb)
        handler = functools.partial(_QuietHandler, directory=str(served))
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{httpd.server_address[1]}/big.bin"
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            result = subprocess.run(
                [sys.executable, "-c", CHILD, url, str(cache / "big.bin"), known_hash],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                timeout=600,
            )
        finally:
            httpd.shutdown()
            httpd.server_close()
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        assert (cache / "big.bin").stat().st_size == size_mb << 20
    measured["size_mb"] = size_mb
    return measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="file size in MiB")
    parser.add_argument("--limit-mb", type=float, default=150.0, help="peak RSS limit in MiB")
    args = parser.parse_args()
    m = run(args.size_mb)
    mib = 1 << 20
    throughput = args.size_mb / m["elapsed_s"]
    peak = m["peak_rss_kb"] / 1024
    print(f"file            : {args.size_mb} MiB served from 127.0.0.1 (http.server)")
    print(f"wall time       : {m['elapsed_s']:.2f} s (download + md5 + rename)")
    print(f"throughput      : {throughput:.0f} MiB/s ({throughput * mib / 1e6:.0f} MB/s)")
    print(f"RSS after import: {m['rss_after_import_kb'] / 1024:.1f} MiB")
    print(f"peak RSS        : {peak:.1f} MiB (limit {args.limit_mb:.0f} MiB)")
    if peak > args.limit_mb:
        print("FAIL: the download is not streaming (peak RSS above the limit)")
        return 1
    print("OK: streaming (memory independent of file size)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
