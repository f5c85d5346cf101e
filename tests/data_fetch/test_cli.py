"""``python -m data_fetch``: messages and exit codes."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

import data_fetch.cache
from data_fetch.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(make_registry, files, cache, capsys):
    registry = make_registry(
        {
            "tinymnist": {"filename": "tinymnist.npz", "body": files.npz()},
            "broken": {"filename": "broken.npz", "body": b"x", "hash": "md5:" + "0" * 32},
        },
        fail_first=0,
    )

    def run(*args):
        code = main(["--registry", str(registry.path), "--cache-dir", str(cache), "-q", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_list_and_info(cli):
    code, out, _ = cli("list")
    assert code == 0 and "tinymnist" in out and "2 data sets" in out
    code, out, _ = cli("info", "tinymnist")
    assert code == 0 and "md5:" in out and "not downloaded" in out


def test_unknown_name_is_a_usage_error_with_suggestion(cli):
    code, _, err = cli("info", "tinymnst")
    assert code == 2 and "Did you mean 'tinymnist'" in err
    code, _, err = cli("get", "tinymnst")
    assert code == 2 and "Did you mean" in err


def test_get_then_verify(cli, cache):
    code, out, _ = cli("get", "tinymnist")
    assert code == 0 and out.startswith("ok") and (cache / "real/tinymnist/tinymnist.npz").is_file()
    code, out, _ = cli("verify")
    assert code == 0 and out.startswith("ok")
    code, out, _ = cli("info", "tinymnist")
    assert "cached" in out


def test_checksum_failure_exit_code_and_message(cli, cache):
    code, _, err = cli("get", "broken", "tinymnist")
    assert code == 1 and "FAILED broken: Checksum mismatch" in err
    assert (cache / "real/tinymnist/tinymnist.npz").is_file()  # the other name still fetched
    assert not (cache / "real/broken/broken.npz").exists()


def test_verify_reports_and_repairs(cli, cache):
    cli("get", "tinymnist")
    path = cache / "real/tinymnist/tinymnist.npz"
    good = path.read_bytes()
    info = path.stat()
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    code, out, _ = cli("verify", "--no-repair", "tinymnist")
    assert code == 1 and out.startswith("corrupted")
    cli("get", "tinymnist")
    path.write_bytes(b"junk")
    code, out, _ = cli("verify")
    assert code == 0 and out.startswith("repaired") and path.read_bytes() == good
    code, out, _ = cli("verify", "broken")
    assert code == 1 and out.startswith("missing")


def test_offline_exit_code(cli, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    code, _, err = cli("get", "tinymnist")
    assert code == 3 and "python -m data_fetch get tinymnist" in err


def test_read_only_cache_exit_code(cli, monkeypatch):
    monkeypatch.setattr(
        data_fetch.cache,
        "_probe_write",
        lambda d: (_ for _ in ()).throw(OSError(errno.EACCES, "Permission denied")),
    )
    code, _, err = cli("get", "tinymnist")
    assert code == 4 and "not writable" in err and "COURSE_DATA_DIR" in err


def test_export(cli, tmp_path):
    code, _, err = cli("export", str(tmp_path / "stick"))
    assert code == 1 and "Nothing to export" in err
    cli("get", "tinymnist")
    code, out, _ = cli("export", str(tmp_path / "stick"))
    assert code == 0 and "COURSE_DATA_MIRROR=" in out
    assert (tmp_path / "stick/tinymnist/tinymnist.npz").is_file()


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "data_fetch", "info", "organamnst"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 2 and "Did you mean 'organamnist'" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "data_fetch", "list", "--family", "msd"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0 and "msd_hippocampus" in result.stdout


def test_unsafe_archive_is_one_line_without_traceback(make_registry, cache, tmp_path):
    """Issue 20, problem 1: the symlink chain through the real command line."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, target in (("a", "."), ("x", "a/a/a/../.."), ("y", "x/outside")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    registry = make_registry(
        {"chain": {"filename": "chain.tar", "body": buffer.getvalue(), "extract": True}}
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "data_fetch",
            "--registry",
            str(registry.path),
            "--cache-dir",
            str(cache),
            "-q",
            "get",
            "chain",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "chain.tar" in result.stderr
    assert not list((cache / "real").rglob("x"))
