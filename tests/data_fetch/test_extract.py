"""Safe extraction: traversal, link escapes, zip slip, completion marker."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile

import pytest

from data_fetch.errors import ArchiveError, UnsafeArchiveError
from data_fetch.extract import MARKER_NAME, is_extracted, safe_extract


def _tar(path, members):
    """members: list of (name, kind, payload) with kind in file/dir/sym/hard/fifo."""
    with tarfile.open(path, "w") as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = {
                "dir": tarfile.DIRTYPE,
                "sym": tarfile.SYMTYPE,
                "hard": tarfile.LNKTYPE,
                "fifo": tarfile.FIFOTYPE,
            }[kind]
            info.linkname = payload or ""
            tar.addfile(info)
    return path


def _zip(path, names):
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(zipfile.ZipInfo(name), b"payload")
    return path


def _assert_nothing_written(tmp_path, destination):
    assert not destination.exists()
    leftovers = [p.name for p in destination.parent.iterdir() if ".extract-" in p.name]
    assert leftovers == []
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "outside").exists()


def test_good_tar_is_extracted_with_marker_and_not_redone(tmp_path):
    archive = _tar(
        tmp_path / "ok.tar",
        [
            ("Task/dataset.json", "file", b"{}"),
            ("Task/imagesTr", "dir", None),
            ("Task/imagesTr/a.nii.gz", "file", b"abc"),
            ("Task/link.json", "sym", "dataset.json"),
        ],
    )
    destination = tmp_path / "cache" / "Task"
    safe_extract(archive, destination, archive_hash="md5:x")
    assert (destination / "Task" / "imagesTr" / "a.nii.gz").read_bytes() == b"abc"
    assert (destination / "Task" / "link.json").read_bytes() == b"{}"
    assert is_extracted(destination, "md5:x") and (destination / MARKER_NAME).exists()
    stamp = (destination / MARKER_NAME).stat().st_mtime_ns
    safe_extract(archive, destination, archive_hash="md5:x")  # already done: untouched
    assert (destination / MARKER_NAME).stat().st_mtime_ns == stamp
    assert not is_extracted(destination, "md5:other")


def test_folder_without_marker_is_not_taken_as_done(tmp_path):
    archive = _tar(tmp_path / "ok.tar", [("a.txt", "file", b"new")])
    destination = tmp_path / "cache" / "ok"
    destination.mkdir(parents=True)
    (destination / "half.txt").write_bytes(b"from a crashed run")
    assert not is_extracted(destination, "md5:x")
    safe_extract(archive, destination, archive_hash="md5:x")
    assert sorted(p.name for p in destination.iterdir()) == [MARKER_NAME, "a.txt"]


def test_crash_during_extraction_leaves_nothing(tmp_path, monkeypatch):
    archive = _tar(tmp_path / "ok.tar", [("a.txt", "file", b"x")])
    destination = tmp_path / "cache" / "ok"

    def crash(*args, **kwargs):
        raise OSError("disk removed")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk removed"):
        safe_extract(archive, destination, archive_hash="md5:x")
    _assert_nothing_written(tmp_path, destination)


@pytest.mark.parametrize(
    "members, message",
    [
        ([("ok.txt", "file", b"x"), ("../evil.txt", "file", b"x")], "path traversal"),
        ([("a/../../evil.txt", "file", b"x")], "path traversal"),
        ([("/tmp/evil.txt", "file", b"x")], "absolute path"),
        ([("link", "sym", "../outside")], "points outside"),
        ([("link", "sym", "/etc/passwd")], "absolute path"),
        ([("sub/link", "sym", "../../outside")], "points outside"),
        ([("here", "sym", "."), ("here/up", "sym", "..")], "points outside"),
        ([("d", "sym", ".."), ("d/evil.txt", "file", b"x")], "points outside"),
        ([("hard", "hard", "../../outside")], "does not name an earlier member"),
        ([("hard", "hard", "/etc/passwd")], "does not name an earlier member"),
        ([("pipe", "fifo", None)], "special file"),
    ],
    ids=[
        "dotdot",
        "nested-dotdot",
        "absolute",
        "symlink-up",
        "symlink-absolute",
        "symlink-deep",
        "symlink-chain",
        "write-through-symlink",
        "hardlink-up",
        "hardlink-absolute",
        "fifo",
    ],
)
def test_unsafe_tar_is_refused_and_nothing_is_left(tmp_path, members, message, tar_filter):
    archive = _tar(tmp_path / "bad.tar", members)
    destination = tmp_path / "cache" / "bad"
    destination.parent.mkdir()
    with pytest.raises(UnsafeArchiveError, match=message) as info:
        safe_extract(archive, destination)
    assert "bad.tar" in str(info.value)
    _assert_nothing_written(tmp_path, destination)


@pytest.mark.parametrize(
    "name", ["../evil.txt", "..\\evil.txt", "/evil.txt", "C:/evil.txt", "a/b/../../../evil.txt"]
)
def test_zip_slip_is_refused(tmp_path, name):
    archive = _zip(tmp_path / "bad.zip", ["fine.txt", name])
    destination = tmp_path / "cache" / "bad"
    destination.parent.mkdir()
    with pytest.raises(UnsafeArchiveError, match="bad.zip"):
        safe_extract(archive, destination)
    _assert_nothing_written(tmp_path, destination)


def test_good_zip_is_extracted(tmp_path):
    archive = _zip(tmp_path / "ok.zip", ["a/b.txt", "c.txt"])
    destination = safe_extract(archive, tmp_path / "cache" / "ok", archive_hash="md5:z")
    assert (destination / "a" / "b.txt").read_bytes() == b"payload"
    assert is_extracted(destination, "md5:z")


def test_not_an_archive_is_reported(tmp_path):
    path = tmp_path / "plain.bin"
    path.write_bytes(b"just bytes")
    with pytest.raises(ArchiveError, match="neither a tar nor a zip"):
        safe_extract(path, tmp_path / "cache" / "plain")
    assert not (tmp_path / "cache" / "plain").exists()


# --------------------------------------------------------------------------- issue 20, problem 1
@pytest.fixture(params=["with-data-filter", "without-data-filter"])
def tar_filter(request, monkeypatch):
    """Run a test twice: as on Python >= 3.11.4 / 3.12, and as on 3.10.0-3.10.11 /
    3.11.0-3.11.3, whose ``tarfile`` has no ``data_filter`` (PEP 706)."""
    if request.param == "without-data-filter":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    return request.param


def _links_leaving(root, boundary):
    """Symlinks under ``root`` whose real target is not inside ``boundary``."""
    inside = os.path.realpath(boundary)
    return [
        str(path)
        for path in root.rglob("*")
        if path.is_symlink() and not os.path.realpath(path).startswith(inside + os.sep)
    ]


CHAINS = {
    # the chain: each link looks inside as text, x resolves two levels above
    "issue-chain": [
        ("a", "sym", "."),
        ("x", "sym", "a/a/a/../.."),
        ("y", "sym", "x/victim"),
        ("y/file", "file", b"escaped"),
    ],
    "chain-link-only": [("a", "sym", "."), ("x", "sym", "a/a/a/../..")],
    "later-link-redirects-earlier": [("s", "sym", "p/q/../.."), ("p", "sym", ".")],
    "hardlink-to-missing-member": [("h", "hard", "x/../../victim/file")],
}


@pytest.mark.parametrize("members", CHAINS.values(), ids=CHAINS.keys())
def test_symlink_chains_are_resolved_not_compared_as_text(tmp_path, members, tar_filter):
    (tmp_path / "victim").mkdir()
    archive = _tar(tmp_path / "chain.tar", members)
    destination = tmp_path / "cache" / "chain"
    destination.parent.mkdir()
    with pytest.raises(UnsafeArchiveError, match="chain.tar") as info:
        safe_extract(archive, destination)
    assert "\n" not in str(info.value)
    assert list((tmp_path / "victim").iterdir()) == []
    assert _links_leaving(tmp_path / "cache", tmp_path / "cache") == []
    _assert_nothing_written(tmp_path, destination)


@pytest.mark.parametrize(
    "members, message",
    [
        ([("ok.txt", "file", b"x"), ("../evil.txt", "file", b"x")], "path traversal"),
        ([("link", "sym", "../outside")], "outside"),
        ([("d", "sym", "sub"), ("d/evil.txt", "file", b"x")], None),
        ([("pipe", "fifo", None)], "special file"),
    ],
    ids=["dotdot", "symlink-up", "write-through-inner-symlink", "fifo"],
)
def test_extraction_is_the_same_with_and_without_data_filter(
    tmp_path, members, message, tar_filter
):
    archive = _tar(tmp_path / "t.tar", members)
    destination = tmp_path / "cache" / "t"
    destination.parent.mkdir()
    if message is None:  # a link that stays inside is fine, whatever the Python version
        safe_extract(archive, destination)
        assert (destination / "sub" / "evil.txt").read_bytes() == b"x"
        return
    with pytest.raises(UnsafeArchiveError, match=message):
        safe_extract(archive, destination)
    _assert_nothing_written(tmp_path, destination)


# --------------------------------------------------------------------------- issue 20, problem 3
def _bomb_tar_gz(path, nbytes):
    with tarfile.open(path, "w:gz", compresslevel=9) as tar:
        info = tarfile.TarInfo("zeros.bin")
        info.size = nbytes
        tar.addfile(info, io.BytesIO(b"\0" * nbytes))
    return path


def _bomb_zip(path, nbytes):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as handle:
        handle.writestr("zeros.bin", b"\0" * nbytes)
    return path


@pytest.mark.parametrize("make", [_bomb_tar_gz, _bomb_zip], ids=["tar.gz", "zip"])
def test_archive_bombs_are_refused_by_ratio(tmp_path, make, tar_filter):
    archive = make(tmp_path / ("bomb.tar.gz" if make is _bomb_tar_gz else "bomb.zip"), 32 << 20)
    assert archive.stat().st_size < 100_000  # ratio > 300
    destination = tmp_path / "cache" / "bomb"
    destination.parent.mkdir()
    with pytest.raises(UnsafeArchiveError, match="unpacks to more than"):
        safe_extract(archive, destination)
    _assert_nothing_written(tmp_path, destination)


def test_declared_size_bounds_extraction(tmp_path):
    archive = _tar(tmp_path / "ok.tar", [("a.bin", "file", b"x" * 5000)])
    with pytest.raises(UnsafeArchiveError, match="more than 4,000 bytes"):
        safe_extract(archive, tmp_path / "cache" / "ok", max_bytes=4000)
    assert safe_extract(archive, tmp_path / "cache" / "ok", max_bytes=5000).is_dir()


def test_too_many_members_are_refused(tmp_path):
    archive = _tar(tmp_path / "many.tar", [(f"f{i}", "file", b"") for i in range(20)])
    with pytest.raises(UnsafeArchiveError, match="more than 10 members"):
        safe_extract(archive, tmp_path / "cache" / "many", max_members=10)
