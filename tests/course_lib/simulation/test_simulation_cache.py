"""The simulated-cohort cache: every file is checksummed; damage is found and repaired.

Issue 20, problem 7: a truncated ``.nii.gz``, a cut ``subject.json``/``cohort.json`` or a
same-size bit flip was never detected (bare EOFError/JSONDecodeError, or wrong arrays
returned silently). Each damage below must be found on load, logged in one line naming
the entry and the file, and the cohort simulated again.
"""

from __future__ import annotations

import logging
import os
import shutil

import numpy as np
import pytest

from course_lib.simulation import cohort as cohort_module
from course_lib.simulation import make_cohort, simulate_subject, subject_seed
from course_lib.simulation.cache import LIMIT_ENV, cache_entries, cache_root, prune_cache

MANIFEST = "SHA256SUMS"
ARGS = dict(n=1, center="01", seed=5, lesions=True, contrasts=("T1w",))


@pytest.fixture(scope="module")
def pristine():
    """The one subject of the cohort, simulated once for the whole module."""
    return simulate_subject(
        "siemens_verio_3t", subject_seed(5, "01", 0), 2, lesions=True, contrasts=("T1w",)
    )


@pytest.fixture
def entry(course_data_dir, pristine, monkeypatch):
    """A cached cohort written by make_cohort; ``calls`` counts simulations after it."""
    calls = []

    def simulate(*args, **kwargs):
        calls.append(args)
        return pristine

    monkeypatch.setattr(cohort_module, "simulate_subject", simulate)
    make_cohort(**ARGS)
    (root,) = [p for p in cache_root().iterdir() if not p.name.startswith(".")]
    calls.clear()
    return root, calls


def _flip_one_bit(path, offset):
    info = path.stat()
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # same size, same mtime


def _cut(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGES = {
    "truncated .nii.gz": ("subject_0000/labels.nii.gz", _cut),
    "truncated .nii": ("subject_0000/T1w.nii", _cut),
    "cut subject.json": ("subject_0000/subject.json", _cut),
    "cut cohort.json": ("cohort.json", _cut),
    "bit flip in .nii": ("subject_0000/T1w.nii", lambda p: _flip_one_bit(p, 100_000)),
    "bit flip in .nii.gz": ("subject_0000/regions.nii.gz", lambda p: _flip_one_bit(p, 2_000)),
    "bit flip in subject.json": (
        "subject_0000/subject.json",
        lambda p: _flip_one_bit(p, p.read_bytes().index(b'"seed"') + 9),
    ),
    "deleted file": ("subject_0000/deformation.nii", lambda p: p.unlink()),
    "unexpected file": ("subject_0000/extra.nii", lambda p: p.write_bytes(b"x")),
    "no checksum list (older cache)": (MANIFEST, lambda p: p.unlink()),
    "bit flip in the checksum list": (MANIFEST, lambda p: _flip_one_bit(p, 3)),
    "cut checksum list": (MANIFEST, _cut),
}


@pytest.mark.parametrize("relative, damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_damaged_entry_is_detected_logged_once_and_simulated_again(
    entry, pristine, caplog, relative, damage
):
    root, calls = entry
    damage(root / relative)
    with caplog.at_level(logging.WARNING, logger="course_lib.simulation"):
        (subject,) = make_cohort(**ARGS)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    message = warnings[0].getMessage()
    assert root.name in message and "\n" not in message
    named = (
        "checksum" if relative == MANIFEST else relative
    )  # a flip there: any file may look wrong
    assert named in message, message
    assert len(calls) == 1  # simulated again, once
    assert np.array_equal(subject.images["T1w"], pristine.images["T1w"])
    (again,) = make_cohort(**ARGS)  # the new entry is whole: loaded, not simulated
    assert len(calls) == 1 and np.array_equal(again.regions, pristine.regions)


def test_verify_entry_names_the_damaged_file(entry):
    from course_lib.simulation.cache import verify_entry

    root, _ = entry
    assert verify_entry(root) is None
    _flip_one_bit(root / "subject_0000" / "T1w.nii", 100_000)
    assert "subject_0000/T1w.nii" in verify_entry(root)


def test_intact_entry_loads_identical_arrays_without_simulating(entry, pristine):
    root, calls = entry
    (subject,) = make_cohort(**ARGS)
    assert calls == []
    for name in ("labels", "brain_mask", "regions", "lesion_mask", "tissue_probs"):
        assert np.array_equal(getattr(subject, name), getattr(pristine, name)), name
    assert np.array_equal(subject.images["T1w"], pristine.images["T1w"])


def test_checksum_list_is_standard_sha256sum_format(entry):
    root, _ = entry
    lines = (root / MANIFEST).read_text().splitlines()
    files = sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != MANIFEST
    )
    assert [line.split("  ", 1)[1] for line in lines] == files
    assert all(len(line.split("  ", 1)[0]) == 64 for line in lines)


def test_a_leftover_entry_without_cohort_json_does_not_block_storing(
    course_data_dir, pristine, monkeypatch
):
    monkeypatch.setattr(cohort_module, "simulate_subject", lambda *a, **k: pristine)
    make_cohort(**ARGS)
    (root,) = list(cache_root().iterdir())
    (root / "cohort.json").unlink()
    (root / MANIFEST).unlink()
    (subject,) = make_cohort(**ARGS)
    assert (root / MANIFEST).is_file() and (root / "cohort.json").is_file()
    shutil.rmtree(root)


def _cohorts(seeds, monkeypatch, pristine):
    """Cache one cohort per seed, each made 'used' one second after the previous one."""
    monkeypatch.setattr(cohort_module, "simulate_subject", lambda *a, **k: pristine)
    keys = []
    for order, seed in enumerate(seeds):
        make_cohort(**dict(ARGS, seed=seed))
        newest = max(cache_entries(), key=lambda entry: entry[2])[0]
        os.utime(cache_root() / newest / "cohort.json", (1_000 + order, 1_000 + order))
        keys.append(newest)
    return keys


def test_the_limit_removes_the_least_recently_used_entries(course_data_dir, pristine, monkeypatch):
    first, second = _cohorts([1, 2], monkeypatch, pristine)
    one_entry = max(size for _, size, _ in cache_entries())
    make_cohort(**dict(ARGS, seed=1))  # loading the first one makes it the most recent
    monkeypatch.setenv(LIMIT_ENV, str(2.5 * one_entry / 1e9))
    make_cohort(**dict(ARGS, seed=3))  # a third entry: the cache holds room for two
    keys = {key for key, _, _ in cache_entries()}
    assert first in keys and second not in keys and len(keys) == 2


def test_the_entry_just_written_is_kept_even_over_the_limit(course_data_dir, pristine, monkeypatch):
    monkeypatch.setenv(LIMIT_ENV, "0.000001")
    (key,) = _cohorts([1], monkeypatch, pristine)
    assert [entry[0] for entry in cache_entries()] == [key]
    assert prune_cache(0) == [key]  # without keep=, everything may go
    assert cache_entries() == []


@pytest.mark.parametrize("text", ["-1", "0", "four", "nan"])
def test_a_bad_limit_says_what_to_write(course_data_dir, pristine, monkeypatch, text):
    monkeypatch.setattr(cohort_module, "simulate_subject", lambda *a, **k: pristine)
    monkeypatch.setenv(LIMIT_ENV, text)
    with pytest.raises(ValueError, match=f"{LIMIT_ENV}=4"):
        make_cohort(**ARGS)
    assert cache_entries() == []  # reported before anything was written


def test_a_full_disk_leaves_nothing_behind_and_names_the_fixes(
    course_data_dir, pristine, monkeypatch
):
    import errno

    from course_lib.simulation import cache as cache_module

    def full(subject, directory):
        directory.mkdir(parents=True)
        (directory / "T1w.nii").write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cohort_module, "simulate_subject", lambda *a, **k: pristine)
    monkeypatch.setattr(cache_module, "save_subject", full)
    with pytest.raises(OSError, match="COURSE_DATA_DIR") as raised:
        make_cohort(**ARGS)
    assert raised.value.errno == errno.ENOSPC and LIMIT_ENV in str(raised.value)
    assert list(cache_root().iterdir()) == []
