"""On-disk cache of simulated cohorts: NIfTI + JSON, checksummed, written atomically.

A cohort lives in ``<data_dir>/simulated/<key>/`` where ``<data_dir>`` is
:func:`course_lib.core.paths.data_dir` (env ``COURSE_DATA_DIR``) and ``<key>`` is the
first 16 hex digits of the SHA-256 of the canonical JSON of the cohort's
arguments, the simulation version and the numeric configuration (env ``COURSE_NUMERIC``,
set by the Makefile: ``portable`` for ``make execute``/``make test-notebooks``, ``native``
otherwise). NumPy's SIMD loops differ in the last bit between CPUs and configurations, so a
cohort simulated by ``make lab`` on an AVX-512 machine is not the one the pinned
configuration simulates, and trained results downstream differ; separate entries keep the
stored notebook outputs reproducible. The entry is built in a temporary
sibling directory and renamed into place in one ``os.replace`` step, so readers
never see a partial entry; if two processes race, the first rename wins and the
other copy is discarded.

Every file of an entry is listed with its SHA-256 in ``SHA256SUMS`` (the format of
``sha256sum``: ``cd <entry> && sha256sum -c SHA256SUMS`` checks it by hand). Loading
re-hashes every file first (about 25 ms per 2-mm subject, a few percent of simulating
it): a truncated file, a cut JSON sidecar, a flipped bit or a missing, unexpected or
unlisted file makes the entry count as damaged. A damaged entry is logged in one line,
removed, and the cohort is simulated again.

Size: a 2-mm subject takes about 22 MB, and a full run of every chapter caches about 12 GB.
Set ``COURSE_CACHE_LIMIT_GB`` to bound it: after each new entry, the least recently used
entries (by the time ``cohort.json`` was last written or loaded) are removed until the cache
fits; the entry just written is always kept. ``make clean-cache`` empties it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from course_lib.core.paths import DATA_DIR_ENV, data_dir, ensure_writable_dir

from .subject import SIMULATION_VERSION, Subject
from .subject_io import load_subject, save_subject

__all__ = [
    "NUMERIC_ENV",
    "LIMIT_ENV",
    "cache_entries",
    "prune_cache",
    "cache_root",
    "cohort_key",
    "load_cohort",
    "store_cohort",
    "verify_entry",
    "COHORT_JSON",
    "MANIFEST",
]

logger = logging.getLogger(__name__)

NUMERIC_ENV = "COURSE_NUMERIC"
LIMIT_ENV = "COURSE_CACHE_LIMIT_GB"
COHORT_JSON = "cohort.json"
MANIFEST = "SHA256SUMS"
_CHUNK = 1 << 20


def cache_root() -> Path:
    """``<data_dir>/simulated`` (not created here)."""
    return data_dir() / "simulated"


def cohort_key(arguments: dict) -> str:
    """Hash of the JSON-canonical ``arguments``, :data:`SIMULATION_VERSION` and the numeric
    configuration ``$COURSE_NUMERIC`` (16 hex)."""
    numeric = os.environ.get(NUMERIC_ENV, "native")
    payload = json.dumps(
        {"arguments": arguments, "version": SIMULATION_VERSION, "numeric": numeric},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _subject_dir(root: Path, index: int) -> Path:
    return root / f"subject_{index:04d}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _entry_files(root: Path) -> list[str]:
    """Every file below ``root`` but the checksum list, as sorted POSIX relative paths."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.name != MANIFEST
    )


def _write_manifest(root: Path) -> None:
    lines = [f"{_sha256(root / name)}  {name}\n" for name in _entry_files(root)]
    (root / MANIFEST).write_text("".join(lines))


def verify_entry(root: str | os.PathLike) -> str | None:
    """Check a cache entry against its ``SHA256SUMS``.

    Returns
    -------
    str or None
        None when every file is listed and matches; otherwise what is wrong, naming
        the file (e.g. ``"subject_0000/T1w.nii does not match its checksum"``).
    """
    root = Path(root)
    try:
        text = (root / MANIFEST).read_text()
    except FileNotFoundError:
        return f"it has no {MANIFEST} checksum list (written by an older course_lib?)"
    except (OSError, UnicodeDecodeError) as error:
        return f"its checksum list {MANIFEST} cannot be read ({error})"
    listed = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            return f"its checksum list {MANIFEST} is damaged (line {line[:40]!r})"
        listed[name] = digest
    present = _entry_files(root)
    if sorted(listed) != present:
        missing = sorted(set(listed) - set(present))
        extra = sorted(set(present) - set(listed))
        return (
            f"its files do not match the checksum list {MANIFEST} "
            f"(missing: {', '.join(missing) or 'none'}; not listed: {', '.join(extra) or 'none'})"
        )
    for name in present:
        if _sha256(root / name) != listed[name]:
            return f"{name} does not match its checksum"
    return None


def _discard(root: Path) -> None:
    """Remove an entry: renamed aside first, so that it disappears in one step."""
    aside = Path(tempfile.mkdtemp(prefix=f".damaged-{root.name}-", dir=root.parent))
    os.replace(root, aside / root.name)
    shutil.rmtree(aside, ignore_errors=True)


def load_cohort(key: str) -> list[Subject] | None:
    """Subjects of a complete, intact cache entry, or None when there is none.

    A damaged entry (see :func:`verify_entry`) is logged in one line and removed, and
    None is returned so that the caller simulates the cohort again.
    """
    root = cache_root() / key
    if not root.is_dir():
        return None
    problem = verify_entry(root)
    if problem is None:
        record = json.loads((root / COHORT_JSON).read_text())
        if record.get("version") == SIMULATION_VERSION:
            os.utime(root / COHORT_JSON)  # last use, for COURSE_CACHE_LIMIT_GB
            return [load_subject(_subject_dir(root, i)) for i in range(int(record["n"]))]
        problem = f"it was written by simulator version {record.get('version')!r}"
    logger.warning("Cached cohort %s is damaged: %s; simulating it again.", root.name, problem)
    _discard(root)
    return None


def store_cohort(
    key: str,
    arguments: dict,
    subjects: Iterable[Subject],
    on_saved: Callable[[int], None] | None = None,
) -> Path:
    """Write subjects as one cache entry, atomically; returns the entry's directory.

    ``subjects`` may be a generator: each subject is written as soon as it is
    produced, so the whole cohort never has to sit in memory twice. The files are
    then listed with their SHA-256 in ``SHA256SUMS``.

    Raises
    ------
    PermissionError
        If the cache directory cannot be written; the message names ``COURSE_DATA_DIR``.
    """
    limit = _limit_bytes()  # a bad value is reported before anything is written
    root = cache_root()
    try:
        ensure_writable_dir(root)
    except PermissionError as error:
        raise PermissionError(
            f"Cannot write the simulated-cohort cache in {root}. Set the environment "
            f"variable {DATA_DIR_ENV} to a writable folder, or call make_cohort(..., "
            f"cache=False). ({error})"
        ) from error
    final = root / key
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=root))
    try:
        n = 0
        for index, subject in enumerate(subjects):
            save_subject(subject, _subject_dir(tmp, index))
            n += 1
            if on_saved is not None:
                on_saved(index)
        record = {"version": SIMULATION_VERSION, "n": n, "arguments": arguments}
        (tmp / COHORT_JSON).write_text(json.dumps(record, indent=1, sort_keys=True))
        _write_manifest(tmp)
        try:
            os.replace(tmp, final)
        except OSError:
            if verify_entry(final) is not None:  # not a lost race: a real error
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if error.errno == errno.ENOSPC:
            raise OSError(
                errno.ENOSPC,
                f"The disk holding the simulated-cohort cache ({root}) is full; nothing was "
                f"cached. Free space, point {DATA_DIR_ENV} at a larger disk, or bound the "
                f"cache with {LIMIT_ENV} (e.g. {LIMIT_ENV}=4).",
            ) from error
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if limit is not None:
        prune_cache(limit, keep=final.name)
    return final


def _limit_bytes() -> int | None:
    text = os.environ.get(LIMIT_ENV, "").strip()
    if not text:
        return None
    try:
        gigabytes = float(text)
    except ValueError:
        gigabytes = -1.0
    if not gigabytes > 0:
        raise ValueError(
            f"{LIMIT_ENV}={text!r} is not a positive number of gigabytes: set it to e.g. "
            f"{LIMIT_ENV}=4, or unset it for an unbounded cache."
        )
    return int(gigabytes * 1e9)


def cache_entries() -> list[tuple[str, int, float]]:
    """``(key, bytes, last use)`` of every complete entry, least recently used first."""
    root = cache_root()
    if not root.is_dir():
        return []
    entries = []
    for entry in root.iterdir():
        record = entry / COHORT_JSON
        if entry.name.startswith(".") or not record.is_file():
            continue
        size = sum(path.stat().st_size for path in entry.rglob("*") if path.is_file())
        entries.append((entry.name, size, record.stat().st_mtime))
    return sorted(entries, key=lambda item: item[2])


def prune_cache(limit_bytes: int, keep: str | None = None) -> list[str]:
    """Remove least recently used entries until the cache holds at most ``limit_bytes``.

    The entry ``keep`` (normally the one just written) is never removed, even when it alone
    is larger than the limit. Returns the keys removed, oldest first.
    """
    entries = cache_entries()
    total = sum(size for _, size, _ in entries)
    removed = []
    for key, size, _ in entries:
        if total <= limit_bytes:
            break
        if key == keep:
            continue
        _discard(cache_root() / key)
        total -= size
        removed.append(key)
    if removed:
        logger.info("Cohort cache over %s: removed %d old entries.", LIMIT_ENV, len(removed))
    return removed
