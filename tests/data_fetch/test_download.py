"""Adversarial tests of data_fetch.download against the local server."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from data_fetch.download import download_file, is_cached, partial_path
from data_fetch.errors import DownloadError, HashMismatchError, InsecureURLError, UnsafeCacheError
from data_fetch.hashing import stamp_path

FAST = dict(timeout=(2.0, 0.5), retries=2, backoff=0.01, progress=False)
BODY = os.urandom(300_000)
GOOD = "md5:" + hashlib.md5(BODY).hexdigest()
REPO = Path(__file__).resolve().parents[2]


def test_download_verifies_renames_and_stamps(server, tmp_path, assert_clean):
    url = server.add("/f.bin", BODY)
    target = tmp_path / "c" / "f.bin"
    assert download_file(url, target, GOOD, **FAST) == target
    assert target.read_bytes() == BODY
    assert stamp_path(target).exists() and not partial_path(target).exists()
    download_file(url, target, GOOD, **FAST)  # cached: no second request
    assert len(server.requests("/f.bin")) == 1
    assert_clean(tmp_path / "c")


def test_truncated_body_is_retried_then_reported(server, tmp_path, assert_clean):
    url = server.add("/f.bin", BODY, truncate_first=99, truncate_at=1000, ranges=False)
    target = tmp_path / "c" / "f.bin"
    with pytest.raises(DownloadError, match="closed before the whole file") as info:
        download_file(url, target, GOOD, **FAST)
    assert info.value.attempts == 3 and len(server.requests("/f.bin")) == 3
    assert not target.exists()
    assert_clean(tmp_path / "c")


def test_wrong_checksum_names_url_hashes_and_deletes(server, tmp_path, assert_clean):
    url = server.add("/f.bin", BODY)
    wrong = "md5:" + "0" * 32
    target = tmp_path / "c" / "f.bin"
    with pytest.raises(HashMismatchError) as info:
        download_file(url, target, wrong, **FAST)
    message = str(info.value)
    assert url in message and wrong in message and GOOD in message
    assert (info.value.expected, info.value.actual) == (wrong, GOOD)
    assert not target.exists() and len(server.requests("/f.bin")) == 1  # not retried
    assert_clean(tmp_path / "c")


def test_http_500_then_success(server, tmp_path):
    url = server.add("/f.bin", BODY, fail_first=2)
    target = download_file(url, tmp_path / "f.bin", GOOD, **FAST)
    assert target.read_bytes() == BODY and len(server.requests("/f.bin")) == 3


def test_http_500_forever_gives_up_after_bounded_retries(server, tmp_path, assert_clean):
    url = server.add("/f.bin", BODY, fail_first=99)
    with pytest.raises(DownloadError, match="HTTP 500"):
        download_file(url, tmp_path / "c" / "f.bin", GOOD, **FAST)
    assert len(server.requests("/f.bin")) == 3
    assert_clean(tmp_path / "c")


def test_http_404_is_not_retried(server, tmp_path, assert_clean):
    url = server.add("/f.bin", BODY, status=404)
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_file(url, tmp_path / "c" / "f.bin", GOOD, **FAST)
    assert len(server.requests("/f.bin")) == 1
    assert_clean(tmp_path / "c")


def test_stalling_server_times_out(server, tmp_path, assert_clean):
    url = server.add("/f.bin", BODY, stall_first=99, stall_s=10)
    start = time.monotonic()
    with pytest.raises(DownloadError, match="read timeout"):
        download_file(
            url,
            tmp_path / "c" / "f.bin",
            GOOD,
            timeout=(1.0, 0.3),
            retries=1,
            backoff=0.01,
            progress=False,
        )
    assert time.monotonic() - start < 3  # two attempts of ~0.3 s, not 10 s
    assert_clean(tmp_path / "c")


def test_stall_in_the_middle_of_the_body_times_out(server, tmp_path, assert_clean):
    url = server.add("/f.bin", BODY, stall_body_first=99, stall_s=10, ranges=False)
    with pytest.raises(DownloadError):
        download_file(
            url, tmp_path / "c" / "f.bin", GOOD, timeout=(1.0, 0.3), retries=0, progress=False
        )
    assert_clean(tmp_path / "c")


def test_interrupted_download_resumes_with_range(server, tmp_path):
    url = server.add("/f.bin", BODY, truncate_first=1, truncate_at=120_000)
    target = download_file(url, tmp_path / "f.bin", GOOD, **FAST)
    first, second = server.requests("/f.bin")
    assert first["range"] is None and first["sent"] == 120_000
    assert second["range"] == "bytes=120000-"
    assert second["sent"] == len(BODY) - 120_000  # only the missing part was sent again
    assert target.read_bytes() == BODY


def test_server_without_range_support_restarts_from_zero(server, tmp_path):
    url = server.add("/f.bin", BODY, truncate_first=1, truncate_at=120_000, ranges=False)
    target = download_file(url, tmp_path / "f.bin", GOOD, **FAST)
    second = server.requests("/f.bin")[1]
    assert second["range"] == "bytes=120000-" and second["sent"] == len(BODY)
    assert target.read_bytes() == BODY


def test_keep_partial_lets_a_later_call_resume(server, tmp_path):
    url = server.add("/f.bin", BODY, truncate_first=1, truncate_at=50_000)
    target = tmp_path / "f.bin"
    with pytest.raises(DownloadError) as info:
        download_file(url, target, GOOD, **{**FAST, "retries": 0}, keep_partial=True)
    assert info.value.partial == str(partial_path(target))
    assert partial_path(target).stat().st_size == 50_000 and not target.exists()
    download_file(url, target, GOOD, **FAST)
    assert server.requests("/f.bin")[1]["range"] == "bytes=50000-"
    assert target.read_bytes() == BODY and not partial_path(target).exists()


def test_corrupt_partial_prefix_triggers_one_full_restart(server, tmp_path):
    url = server.add("/f.bin", BODY)
    target = tmp_path / "f.bin"
    partial_path(target).write_bytes(b"garbage!" * 1000)
    download_file(url, target, GOOD, **FAST)
    ranges = [r["range"] for r in server.requests("/f.bin")]
    assert ranges == ["bytes=8000-", None]
    assert target.read_bytes() == BODY


def test_plain_http_to_a_remote_host_is_refused_before_connecting(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(requests.Session, "get", no_network)
    with pytest.raises(InsecureURLError, match="HTTPS only"):
        download_file("http://example.org/f.bin", tmp_path / "f.bin", GOOD, **FAST)
    with pytest.raises(InsecureURLError):
        download_file("ftp://example.org/f.bin", tmp_path / "f.bin", GOOD, **FAST)
    assert not any(tmp_path.iterdir())


def test_redirects_are_followed_but_never_to_insecure_hosts(server, tmp_path, assert_clean):
    good = server.add("/real.bin", BODY)
    server.add("/moved.bin", redirect=good)
    assert download_file(server.url("/moved.bin"), tmp_path / "a.bin", GOOD, **FAST).exists()
    server.add("/evil.bin", redirect="http://example.invalid/f.bin")
    with pytest.raises(InsecureURLError):
        download_file(server.url("/evil.bin"), tmp_path / "c" / "b.bin", GOOD, **FAST)
    assert_clean(tmp_path / "c")


def test_progress_bar_is_shown(server, tmp_path, capsys):
    url = server.add("/f.bin", BODY)
    download_file(url, tmp_path / "f.bin", GOOD, **{**FAST, "progress": True})
    assert "f.bin" in capsys.readouterr().err


def test_is_cached_trusts_stamp_until_full_check(server, tmp_path):
    url = server.add("/f.bin", BODY)
    target = download_file(url, tmp_path / "f.bin", GOOD, **FAST)
    info = target.stat()
    data = bytearray(BODY)
    data[100] ^= 0xFF  # silent corruption: same size, same mtime
    target.write_bytes(bytes(data))
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert is_cached(target, GOOD) is True  # the quick check trusts the stamp...
    assert is_cached(target, GOOD, full_check=True) is False  # ...verify does not


def test_two_processes_fetch_once(server, tmp_path):
    """Both processes succeed, the server sees one download, and one of them
    provably waited on the lock (it logs so before the body is released)."""
    url = server.add("/f.bin", BODY, hold_first=True)
    target = tmp_path / "c" / "f.bin"
    code = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stderr);"
        "from data_fetch.download import download_file;"
        "print(download_file(sys.argv[1], sys.argv[2], sys.argv[3], progress=False,"
        " timeout=(5, 30)))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, url, str(target), GOOD],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    stderr = [[], []]

    def watch(index):
        for line in procs[index].stderr:
            stderr[index].append(line)
            if "Waiting for another process" in line:
                server.release.set()

    watchers = [threading.Thread(target=watch, args=(i,), daemon=True) for i in range(2)]
    for watcher in watchers:
        watcher.start()
    for proc in procs:
        proc.wait(timeout=60)
    outputs = [proc.stdout.read() for proc in procs]
    for watcher in watchers:
        watcher.join(5)
    assert [proc.returncode for proc in procs] == [0, 0], stderr
    assert [out.strip() for out in outputs] == [str(target)] * 2
    assert len(server.requests("/f.bin")) == 1
    assert sum("Waiting for another process" in "".join(lines) for lines in stderr) == 1
    assert target.read_bytes() == BODY and not partial_path(target).exists()


# --------------------------------------------------------------------------- issue 20, problem 2
@pytest.mark.parametrize(
    "planted", [".part", "", ".verified", ".lock"], ids=["partial", "entry", "stamp", "lock"]
)
def test_symlinks_planted_in_the_cache_are_never_followed(server, tmp_path, planted):
    """A classmate sharing COURSE_DATA_DIR plants ``f.bin<suffix>`` -> my file."""
    url = server.add("/f.bin", BODY)
    victim = tmp_path / "mine.txt"
    victim.write_bytes(b"my thesis")
    target = tmp_path / "c" / "f.bin"
    target.parent.mkdir()
    (target.parent / f"f.bin{planted}").symlink_to(victim)
    with pytest.raises(UnsafeCacheError, match="symbolic link") as info:
        download_file(url, target, GOOD, **FAST)
    assert f"f.bin{planted}" in str(info.value) and "\n" not in str(info.value)
    assert victim.read_bytes() == b"my thesis"
    assert not target.exists() or target.is_symlink()
    assert server.requests("/f.bin") == []


# --------------------------------------------------------------------------- issue 20, problem 3
def _gzip_bomb(nbytes: int) -> bytes:
    import gzip

    return gzip.compress(b"\0" * nbytes, compresslevel=9)


def test_unrequested_content_encoding_is_never_decoded(server, tmp_path, assert_clean):
    """The client asks for identity; a gzip-encoded body (16 kB -> 16 MiB) is kept as
    sent, fails its checksum and is deleted: it is never expanded on disk."""
    bomb = _gzip_bomb(16 << 20)
    assert len(bomb) < 40_000
    url = server.add("/f.bin", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(DownloadError, match="Content-Encoding: gzip") as info:
        download_file(url, tmp_path / "c" / "f.bin", GOOD, **FAST)
    assert url in str(info.value) and "\n" not in str(info.value)
    assert server.requests("/f.bin")[0]["sent"] == len(bomb)
    assert_clean(tmp_path / "c")


def test_mislabelled_encoding_of_the_right_bytes_is_accepted(server, tmp_path):
    """A server that labels a .gz file 'Content-Encoding: gzip' sends the right bytes:
    their checksum is the published one, so the file is kept exactly as sent."""
    payload = _gzip_bomb(1 << 20)
    url = server.add("/f.nii.gz", payload, headers={"Content-Encoding": "gzip"})
    known = "md5:" + hashlib.md5(payload).hexdigest()
    target = download_file(url, tmp_path / "f.nii.gz", known, **FAST)
    assert target.read_bytes() == payload


def test_download_larger_than_declared_is_stopped(server, tmp_path, assert_clean):
    url = server.add("/f.bin", BODY)
    with pytest.raises(DownloadError, match="more than 100,000 bytes"):
        download_file(url, tmp_path / "c" / "f.bin", GOOD, max_bytes=100_000, **FAST)
    assert_clean(tmp_path / "c")
