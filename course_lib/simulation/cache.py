"""On-disk cache of simulated cohorts: NIfTI + JSON, keyed by a hash, written atomically.

A cohort lives in ``<data_dir>/simulated/<key>/`` where ``<data_dir>`` is
:func:`course_lib.core.paths.data_dir` (env ``COURSE_DATA_DIR``) and ``<key>`` is the
first 16 hex digits of the SHA-256 of the canonical JSON of the cohort's
arguments plus the simulation version. The entry is built in a temporary
sibling directory and renamed into place in one ``os.replace`` step, so readers
never see a partial entry; if two processes race, the first rename wins and the
other copy is discarded.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from course_lib.core.paths import DATA_DIR_ENV, data_dir, ensure_writable_dir

from .subject import SIMULATION_VERSION, Subject
from .subject_io import load_subject, save_subject

__all__ = ["cache_root", "cohort_key", "load_cohort", "store_cohort", "COHORT_JSON"]

COHORT_JSON = "cohort.json"


def cache_root() -> Path:
    """``<data_dir>/simulated`` (not created here)."""
    return data_dir() / "simulated"


def cohort_key(arguments: dict) -> str:
    """Hash of the JSON-canonical ``arguments`` and :data:`SIMULATION_VERSION` (16 hex)."""
    payload = json.dumps({"arguments": arguments, "version": SIMULATION_VERSION},
                         sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _subject_dir(root: Path, index: int) -> Path:
    return root / f"subject_{index:04d}"


def load_cohort(key: str) -> list[Subject] | None:
    """Subjects of a complete cache entry, or None when there is none."""
    root = cache_root() / key
    record_path = root / COHORT_JSON
    if not record_path.is_file():
        return None
    record = json.loads(record_path.read_text())
    if record.get("version") != SIMULATION_VERSION:
        return None
    return [load_subject(_subject_dir(root, i)) for i in range(int(record["n"]))]


def store_cohort(key: str, arguments: dict, subjects: Iterable[Subject],
                 on_saved: Callable[[int], None] | None = None) -> Path:
    """Write subjects as one cache entry, atomically; returns the entry's directory.

    ``subjects`` may be a generator: each subject is written as soon as it is
    produced, so the whole cohort never has to sit in memory twice.

    Raises
    ------
    PermissionError
        If the cache directory cannot be written; the message names ``COURSE_DATA_DIR``.
    """
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
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / COHORT_JSON).is_file():  # not a lost race: a real error
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
