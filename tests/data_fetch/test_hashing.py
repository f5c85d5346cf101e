"""Algorithm-prefixed hashes and verification stamps."""

from __future__ import annotations

import hashlib
import os

import pytest

from data_fetch.errors import RegistryError
from data_fetch.hashing import (
    file_hash,
    hash_matches,
    parse_hash,
    remove_with_stamp,
    stamp_is_valid,
    stamp_path,
    write_stamp,
)


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "sha512"])
def test_file_hash_matches_hashlib(tmp_path, algorithm):
    data = os.urandom(3 * (1 << 20) + 17)  # several chunks plus a remainder
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    expected = f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
    assert file_hash(path, algorithm) == expected
    assert hash_matches(path, expected)
    assert not hash_matches(path, f"{algorithm}:" + "0" * len(expected.split(":")[1]))


def test_parse_hash_normalises_case():
    assert parse_hash("MD5:" + "AB" * 16) == ("md5", "ab" * 16)
    with pytest.raises(RegistryError, match="hex digits"):
        parse_hash("md5:" + "z" * 32)


def test_stamp_is_invalidated_by_any_change(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    known = "md5:" + hashlib.md5(b"abc").hexdigest()
    assert not stamp_is_valid(path, known)
    assert write_stamp(path, known) and stamp_is_valid(path, known)
    assert not stamp_is_valid(path, "md5:" + "0" * 32)
    path.write_bytes(b"abcd")
    assert not stamp_is_valid(path, known)
    stamp_path(path).write_text("not json")
    assert not stamp_is_valid(path, known)
    remove_with_stamp(path)
    assert not path.exists() and not stamp_path(path).exists()
