"""fetch/verify/export against the local server: cache, offline, mirror, read-only."""

from __future__ import annotations

import errno
import json
import os

import pytest
import requests

import data_fetch.cache
from data_fetch import export, fetch, verify
from data_fetch.errors import (
    CacheNotWritableError,
    OfflineError,
    UnknownDatasetError,
    UnsafeCacheError,
)
from data_fetch.extract import MARKER_NAME
from data_fetch.fetch import is_dataset_cached

FAST = dict(timeout=(2.0, 0.5), retries=1, backoff=0.01, progress=False)


@pytest.fixture
def registry(make_registry, files):
    return make_registry(
        {
            "tinymnist": {"filename": "tinymnist.npz", "body": files.npz()},
            "tiny_msd": {"filename": "Task99_Tiny.tar", "body": files.msd_tar(), "extract": True},
        }
    )


def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(requests.Session, "get", refuse)
    monkeypatch.setattr(requests.Session, "send", refuse)


def test_fetch_npz_and_extracted_archive(registry, cache, server, assert_clean):
    path = fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    assert path == cache / "real" / "tinymnist" / "tinymnist.npz" and path.is_file()
    folder = fetch("tiny_msd", registry=registry, cache_dir=cache, **FAST)
    assert (folder / "Task99_Tiny" / "dataset.json").is_file() and (folder / MARKER_NAME).is_file()
    assert is_dataset_cached(registry["tiny_msd"], cache)
    fetch("tiny_msd", registry=registry, cache_dir=cache, **FAST)
    assert len(server.requests("/files/Task99_Tiny.tar")) == 1
    assert_clean(cache, registry)


def test_cache_dir_comes_from_the_environment(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "from-env"))
    path = fetch("tinymnist", registry=registry, **FAST)
    assert path.is_relative_to(tmp_path / "from-env")


def test_default_cache_is_the_course_data_dir(monkeypatch, tmp_path):
    from data_fetch.cache import cache_root

    monkeypatch.delenv("COURSE_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "ml-medical-course"
    try:
        from course_lib.core.paths import data_dir
    except ImportError:
        pass
    else:
        assert data_dir() == expected.resolve()
    assert cache_root() == expected.resolve() / "real"


def test_unknown_name_suggests_close_names(registry):
    with pytest.raises(UnknownDatasetError, match="Did you mean 'tinymnist'"):
        fetch("tinymnst", registry=registry)


def test_offline_never_touches_the_network(registry, cache, server, monkeypatch, assert_clean):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    _no_network(monkeypatch)
    with pytest.raises(OfflineError) as info:
        fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    message = str(info.value)
    assert "python -m data_fetch get tinymnist" in message and "COURSE_DATA_MIRROR" in message
    assert server.log == []
    assert_clean(cache, registry)


def test_offline_uses_the_cache(registry, cache, server, monkeypatch):
    fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    _no_network(monkeypatch)
    assert fetch("tinymnist", registry=registry, cache_dir=cache, **FAST).is_file()
    assert len(server.log) == 1


def test_mirror_folder_is_used_first_and_works_offline(
    registry, cache, tmp_path, server, monkeypatch, files
):
    mirror = tmp_path / "usb"
    (mirror / "tinymnist").mkdir(parents=True)
    (mirror / "tinymnist" / "tinymnist.npz").write_bytes(files.npz())
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    _no_network(monkeypatch)
    path = fetch("tinymnist", registry=registry, cache_dir=cache, mirror=mirror, **FAST)
    assert path.read_bytes() == files.npz() and server.log == []


def test_corrupt_mirror_file_is_not_trusted(
    registry, cache, tmp_path, server, monkeypatch, assert_clean
):
    mirror = tmp_path / "usb"
    (mirror / "tinymnist").mkdir(parents=True)
    (mirror / "tinymnist" / "tinymnist.npz").write_bytes(b"tampered")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    path = fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)  # falls back to URL
    assert len(server.requests("/files/tinymnist.npz")) == 1
    assert_clean(cache, registry)
    path.unlink()
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(OfflineError):
        fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    assert_clean(cache, registry)


def test_http_mirror_is_tried_before_the_public_url(registry, cache, server, files):
    server.add("/lan/tinymnist/tinymnist.npz", files.npz())
    fetch("tinymnist", registry=registry, cache_dir=cache, mirror=server.url("/lan/"), **FAST)
    assert len(server.requests("/lan/tinymnist/tinymnist.npz")) == 1
    assert server.requests("/files/tinymnist.npz") == []
    fetch("tiny_msd", registry=registry, cache_dir=cache, mirror=server.url("/lan"), **FAST)
    assert len(server.requests("/files/Task99_Tiny.tar")) == 1  # 404 on the mirror: fallback


def test_cache_under_a_file_is_reported_clearly(registry, tmp_path, server):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(CacheNotWritableError) as info:
        fetch("tinymnist", registry=registry, cache_dir=blocker / "cache", **FAST)
    assert "COURSE_DATA_DIR" in str(info.value) and server.log == []


def test_read_only_cache_is_reported_before_downloading(
    registry, cache, server, monkeypatch, assert_clean
):
    """Root ignores chmod, so the write probe is made to fail as on a read-only mount."""

    def read_only(directory):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(data_fetch.cache, "_probe_write", read_only)
    with pytest.raises(CacheNotWritableError, match="Read-only file system") as info:
        fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    assert "export COURSE_DATA_DIR=" in str(info.value)
    assert server.log == []
    assert_clean(cache, registry)


def test_read_only_cache_with_verified_files_still_works(registry, cache, server, monkeypatch):
    fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    monkeypatch.setattr(
        data_fetch.cache,
        "_probe_write",
        lambda d: (_ for _ in ()).throw(OSError(errno.EROFS, "read-only")),
    )
    assert fetch("tinymnist", registry=registry, cache_dir=cache, **FAST).is_file()


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores directory permissions"
)
def test_chmod_read_only_cache(registry, cache, server):
    cache.mkdir()
    cache.chmod(0o555)
    try:
        with pytest.raises(CacheNotWritableError):
            fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    finally:
        cache.chmod(0o755)


def _rot(path):
    """Flip one byte but keep size and mtime (silent corruption)."""
    info = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_verify_repairs_a_corrupted_cached_file(registry, cache, server, assert_clean, files):
    path = fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    _rot(path)
    reports = verify(registry=registry, cache_dir=cache, **FAST)
    assert [(r.name, r.status) for r in reports] == [("tinymnist", "repaired")]
    assert path.read_bytes() == files.npz()
    assert len(server.requests("/files/tinymnist.npz")) == 2
    assert [r.status for r in verify(registry=registry, cache_dir=cache, **FAST)] == ["ok"]
    assert_clean(cache, registry)


def test_verify_without_repair_deletes_the_bad_file(registry, cache, server, assert_clean):
    path = fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    _rot(path)
    (report,) = verify(["tinymnist"], registry=registry, cache_dir=cache, repair=False)
    assert report.status == "corrupted" and not report.ok and not path.exists()
    assert_clean(cache, registry)


def test_modified_file_is_refetched_by_fetch(registry, cache, server, files):
    path = fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    path.write_bytes(b"overwritten")  # mtime and size change: the stamp no longer applies
    assert (
        fetch("tinymnist", registry=registry, cache_dir=cache, **FAST).read_bytes() == files.npz()
    )


def test_verify_redoes_an_incomplete_extraction(registry, cache, server):
    folder = fetch("tiny_msd", registry=registry, cache_dir=cache, **FAST)
    (folder / MARKER_NAME).unlink()
    (report,) = verify(["tiny_msd"], registry=registry, cache_dir=cache, **FAST)
    assert report.status == "repaired" and (folder / MARKER_NAME).exists()
    assert len(server.requests("/files/Task99_Tiny.tar")) == 1


def test_export_then_use_as_offline_mirror(registry, cache, tmp_path, server, monkeypatch, files):
    fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    fetch("tiny_msd", registry=registry, cache_dir=cache, **FAST)
    stick = export(tmp_path / "stick", registry=registry, cache_dir=cache, **FAST)
    document = json.loads((stick / "registry.json").read_text())
    assert sorted(document["datasets"]) == ["tiny_msd", "tinymnist"]
    assert document["datasets"]["tinymnist"]["files"][0]["hash"] == files.md5(files.npz())
    names = sorted(str(p.relative_to(stick)) for p in stick.rglob("*") if p.is_file())
    assert names == ["registry.json", "tiny_msd/Task99_Tiny.tar", "tinymnist/tinymnist.npz"]
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(stick))
    _no_network(monkeypatch)
    student = tmp_path / "student-cache"
    assert fetch("tiny_msd", registry=registry, cache_dir=student, **FAST).is_dir()
    assert fetch("tinymnist", registry=registry, cache_dir=student, **FAST).is_file()


def test_export_fetches_named_entries_and_refuses_an_empty_cache(registry, cache, tmp_path, server):
    from data_fetch.errors import DataFetchError

    with pytest.raises(DataFetchError, match="Nothing to export"):
        export(tmp_path / "stick", registry=registry, cache_dir=cache, **FAST)
    export(tmp_path / "stick", ["tinymnist"], registry=registry, cache_dir=cache, **FAST)
    assert (tmp_path / "stick" / "tinymnist" / "tinymnist.npz").is_file()


# --------------------------------------------------------------------------- issue 20, problem 2
@pytest.mark.parametrize(
    "planted", [".part", "", ".verified", ".lock"], ids=["partial", "entry", "stamp", "lock"]
)
def test_mirror_copy_never_follows_planted_symlinks(registry, cache, tmp_path, files, planted):
    mirror = tmp_path / "usb"
    (mirror / "tinymnist").mkdir(parents=True)
    (mirror / "tinymnist" / "tinymnist.npz").write_bytes(files.npz())
    victim = tmp_path / "mine.txt"
    victim.write_bytes(b"my thesis")
    folder = cache / "real" / "tinymnist"
    folder.mkdir(parents=True)
    (folder / f"tinymnist.npz{planted}").symlink_to(victim)
    with pytest.raises(UnsafeCacheError, match="symbolic link"):
        fetch("tinymnist", registry=registry, cache_dir=cache, mirror=mirror, offline=True, **FAST)
    assert victim.read_bytes() == b"my thesis"
    entry = folder / "tinymnist.npz"
    assert not entry.exists() or entry.resolve() == victim  # only the planted link itself


def test_planted_extraction_folder_link_is_refused(registry, cache, tmp_path, server):
    victim = tmp_path / "my-folder"
    victim.mkdir()
    (victim / "notes.txt").write_text("mine")
    folder = cache / "real" / "tiny_msd"
    folder.mkdir(parents=True)
    (folder / "Task99_Tiny").symlink_to(victim, target_is_directory=True)
    with pytest.raises(UnsafeCacheError, match="Task99_Tiny"):
        fetch("tiny_msd", registry=registry, cache_dir=cache, **FAST)
    assert [p.name for p in victim.iterdir()] == ["notes.txt"]


def test_export_never_writes_through_a_planted_link(registry, cache, tmp_path, server):
    fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    victim = tmp_path / "mine.txt"
    victim.write_bytes(b"my thesis")
    stick = tmp_path / "stick" / "tinymnist"
    stick.mkdir(parents=True)
    (stick / "tinymnist.npz.part").symlink_to(victim)
    with pytest.raises(UnsafeCacheError):
        export(tmp_path / "stick", ["tinymnist"], registry=registry, cache_dir=cache, **FAST)
    assert victim.read_bytes() == b"my thesis"


# --------------------------------------------------------------------------- issue 20, problem 4
@pytest.fixture
def other_host():
    """A second loopback server standing for another machine (another origin)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def test_mirror_redirect_to_another_host_is_refused(
    registry, cache, server, other_host, caplog, assert_clean
):
    base, hits = other_host
    server.add("/lan/tinymnist/tinymnist.npz", redirect=f"{base}/tinymnist.npz")
    path = fetch("tinymnist", registry=registry, cache_dir=cache, mirror=server.url("/lan"), **FAST)
    assert hits == []  # the other host was never contacted
    assert len(server.requests("/files/tinymnist.npz")) == 1  # the public URL was used
    assert "redirect" in caplog.text and base in caplog.text
    assert path.is_file()
    assert_clean(cache, registry)


def test_mirror_redirect_on_the_same_host_is_followed(registry, cache, server, files):
    server.add("/lan/tinymnist/tinymnist.npz", redirect=server.url("/moved/tinymnist.npz"))
    server.add("/moved/tinymnist.npz", files.npz())
    fetch("tinymnist", registry=registry, cache_dir=cache, mirror=server.url("/lan"), **FAST)
    assert len(server.requests("/moved/tinymnist.npz")) == 1
    assert server.requests("/files/tinymnist.npz") == []


# --------------------------------------------------------------------------- issue 20, problem 5
def test_dataset_folder_must_resolve_inside_the_cache(registry, cache, tmp_path, server):
    victim = tmp_path / "my-folder"
    victim.mkdir()
    (cache / "real").mkdir(parents=True)
    (cache / "real" / "tinymnist").symlink_to(victim, target_is_directory=True)
    with pytest.raises(UnsafeCacheError, match="data set folder .* symbolic link"):
        fetch("tinymnist", registry=registry, cache_dir=cache, **FAST)
    assert list(victim.iterdir()) == [] and server.log == []


def test_dataset_dir_refuses_names_with_separators(cache):
    from data_fetch.cache import dataset_dir

    for name in ("../../escaped", "a/b", ".."):
        with pytest.raises(ValueError, match="plain folder name"):
            dataset_dir(name, cache)


def test_a_cache_root_behind_a_link_is_allowed(registry, tmp_path, server):
    """A user may point COURSE_DATA_DIR at a link to a bigger disk."""
    disk = tmp_path / "big-disk"
    disk.mkdir()
    (tmp_path / "link").symlink_to(disk, target_is_directory=True)
    path = fetch("tinymnist", registry=registry, cache_dir=tmp_path / "link", **FAST)
    assert path.is_file() and (disk / "real" / "tinymnist" / "tinymnist.npz").is_file()
