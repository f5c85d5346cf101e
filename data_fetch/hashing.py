"""Checksums: algorithm-prefixed hashes and a small "verified" stamp.

Hashes are written ``"<algorithm>:<hex digest>"`` (``"md5:0744…"``,
``"sha256:…"``), as in pooch's registries. Hashing a multi-gigabyte archive
takes seconds, so after a file has been verified a *stamp* (a tiny JSON file
beside it recording hash, size and modification time) lets later calls trust
it while size and mtime are unchanged. ``python -m data_fetch verify`` ignores
stamps and re-hashes every byte, which is how silent corruption is found.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .cache import open_cache_file
from .errors import RegistryError

__all__ = [
    "SUPPORTED_ALGORITHMS",
    "parse_hash",
    "new_hasher",
    "file_hash",
    "hash_matches",
    "stamp_path",
    "write_stamp",
    "stamp_is_valid",
    "remove_with_stamp",
]

SUPPORTED_ALGORITHMS = ("md5", "sha1", "sha256", "sha512")
_DIGEST_LENGTH = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
_CHUNK = 1 << 20  # 1 MiB


def parse_hash(known_hash: str) -> tuple[str, str]:
    """Split ``"<algorithm>:<hex>"`` into ``(algorithm, hex_digest)``.

    Parameters
    ----------
    known_hash : str
        Algorithm-prefixed hash, e.g. ``"md5:0744692d530f8e62ec473284d019b0c7"``.

    Returns
    -------
    tuple of str
        Lower-case algorithm name and lower-case hex digest.

    Raises
    ------
    RegistryError
        If the prefix is missing, the algorithm unsupported or the digest has
        the wrong length or characters.
    """
    if not isinstance(known_hash, str) or ":" not in known_hash:
        raise RegistryError(
            f"known_hash={known_hash!r} must look like 'md5:<32 hex digits>' or "
            "'sha256:<64 hex digits>' (algorithm prefix required)."
        )
    algorithm, digest = known_hash.split(":", 1)
    algorithm, digest = algorithm.strip().lower(), digest.strip().lower()
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise RegistryError(
            f"known_hash algorithm {algorithm!r} is not supported; use one of "
            f"{', '.join(SUPPORTED_ALGORITHMS)}."
        )
    if len(digest) != _DIGEST_LENGTH[algorithm] or any(c not in "0123456789abcdef" for c in digest):
        raise RegistryError(
            f"known_hash={known_hash!r}: a {algorithm} digest has "
            f"{_DIGEST_LENGTH[algorithm]} hex digits."
        )
    return algorithm, digest


def new_hasher(algorithm: str) -> "hashlib._Hash":
    """Return a fresh ``hashlib`` object for ``algorithm`` (see :data:`SUPPORTED_ALGORITHMS`)."""
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise RegistryError(
            f"algorithm={algorithm!r} is not supported; use one of "
            f"{', '.join(SUPPORTED_ALGORITHMS)}."
        )
    # MD5 is used to compare against published checksums, not for security.
    if algorithm == "md5":
        return hashlib.md5(usedforsecurity=False)
    return hashlib.new(algorithm)


def file_hash(path: os.PathLike | str, algorithm: str = "sha256") -> str:
    """Hash a file in 1 MiB chunks (constant memory).

    Parameters
    ----------
    path : path-like
        File to hash.
    algorithm : str
        One of :data:`SUPPORTED_ALGORITHMS`.

    Returns
    -------
    str
        ``"<algorithm>:<hex digest>"``.
    """
    hasher = new_hasher(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            hasher.update(chunk)
    return f"{algorithm}:{hasher.hexdigest()}"


def hash_matches(path: os.PathLike | str, known_hash: str) -> bool:
    """Return True when the file at ``path`` has the hash ``known_hash``."""
    algorithm, digest = parse_hash(known_hash)
    return file_hash(path, algorithm) == f"{algorithm}:{digest}"


def stamp_path(path: os.PathLike | str) -> Path:
    """Return the stamp file that records a successful verification of ``path``."""
    path = Path(path)
    return path.with_name(path.name + ".verified")


def write_stamp(path: os.PathLike | str, known_hash: str) -> bool:
    """Record that ``path`` was just verified against ``known_hash``.

    Returns
    -------
    bool
        False when the stamp could not be written (read-only cache); this is
        harmless: the file is simply re-hashed next time.
    """
    path = Path(path)
    info = path.stat()
    record = {"hash": known_hash, "size": info.st_size, "mtime_ns": info.st_mtime_ns}
    try:
        with open_cache_file(stamp_path(path), "wb") as handle:
            handle.write(json.dumps(record).encode())
    except OSError:
        return False
    return True


def stamp_is_valid(path: os.PathLike | str, known_hash: str) -> bool:
    """Return True if a stamp says ``path`` (same size and mtime) has ``known_hash``."""
    path = Path(path)
    try:
        record = json.loads(stamp_path(path).read_text())
        info = path.stat()
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("hash") == known_hash
        and record.get("size") == info.st_size
        and record.get("mtime_ns") == info.st_mtime_ns
    )


def remove_with_stamp(path: os.PathLike | str) -> None:
    """Delete ``path`` and its stamp if they exist."""
    for candidate in (Path(path), stamp_path(path)):
        try:
            candidate.unlink()
        except FileNotFoundError:
            pass
