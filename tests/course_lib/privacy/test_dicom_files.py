"""File and tree de-identification: atomic writes, per-patient pseudonyms and date offsets."""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import pydicom
import pytest

from course_lib.privacy import deidentify_file, deidentify_tree, write_atomically

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
TREE = TEST_FILES / "dicomdirtests"


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def _date(text: str) -> datetime.date:
    return datetime.datetime.strptime(text, "%Y%m%d").date()


def test_deidentify_file_round_trip(tmp_path):
    src = TEST_FILES / "CT_small.dcm"
    dst = tmp_path / "out" / "ct.dcm"
    report = deidentify_file(src, dst, patient_id="P9")
    original, clean = pydicom.dcmread(src), pydicom.dcmread(dst)
    assert clean.PixelData == original.PixelData
    assert clean.PatientID == "P9" and clean.PatientIdentityRemoved == "YES"
    assert not any(e.tag.is_private for e in clean.iterall())
    assert clean.SOPInstanceUID.startswith("2.25.")
    assert clean.file_meta.MediaStorageSOPInstanceUID == clean.SOPInstanceUID
    assert report.burned_in_risk  # CT_small has no Burned In Annotation
    assert list(dst.parent.iterdir()) == [dst]  # no temporary file left behind
    with pytest.raises(ValueError, match="never overwrite"):
        deidentify_file(src, src)


def test_write_is_atomic_when_saving_fails(tmp_path, monkeypatch):
    dataset = pydicom.dcmread(TEST_FILES / "CT_small.dcm")
    target = tmp_path / "x.dcm"
    target.write_bytes(b"previous version")

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pydicom.Dataset, "save_as", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(dataset, target)
    assert target.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["x.dcm"]


def test_tree_pseudonyms_date_offsets_and_references(tmp_path):
    result = deidentify_tree(TREE, tmp_path / "out", max_shift_days=200, seed=3)
    written = result.written
    skipped = [o for o in result.files if o.dst is None]
    images = {
        p
        for p in TREE.rglob("*")
        if p.is_file() and "README" not in p.name and "DICOMDIR" not in p.name
    }
    assert {o.src for o in written} == images and len(images) > 80
    assert {o.src.name.split("-")[0].split(".")[0] for o in skipped} <= {"README", "DICOMDIR"}
    assert any("DICOMDIR" in o.reason for o in skipped)
    assert sorted(result.pseudonyms.values()) == [
        f"ANON{i:04d}" for i in range(1, len(result.pseudonyms) + 1)
    ]
    studies, shifts, with_pixels = {}, {}, 0
    for outcome in written:
        src, dst = pydicom.dcmread(outcome.src), pydicom.dcmread(outcome.dst)
        pseudonym = result.pseudonyms[str(src.PatientID)]
        # output names never reuse input paths (which embed Patient IDs)
        assert dst.PatientID == pseudonym == outcome.dst.parent.name
        assert str(src.PatientID) not in str(outcome.dst.relative_to(tmp_path))
        assert dst.get("PixelData") == src.get("PixelData")
        with_pixels += "PixelData" in src
        assert not any(e.tag.is_private for e in dst.iterall())
        if src.get("StudyDate"):
            shift = (_date(dst.StudyDate) - _date(src.StudyDate)).days
            assert shifts.setdefault(pseudonym, shift) == shift  # one offset per patient
        assert (
            studies.setdefault(src.StudyInstanceUID, dst.StudyInstanceUID) == dst.StudyInstanceUID
        )  # one study stays one study
    for pseudonym, shift in shifts.items():
        assert shift == result.date_shifts[pseudonym] != 0 and abs(shift) <= 200
    assert len(studies) == len(set(studies.values())) >= 3
    assert with_pixels >= 20 and len(shifts) >= 2
    assert not list((tmp_path / "out").rglob("*.part"))


def test_tree_argument_errors(tmp_path):
    with pytest.raises(NotADirectoryError):
        deidentify_tree(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(ValueError, match="outside"):
        deidentify_tree(tmp_path, tmp_path / "inside")


# --------------------------------------------------------------------------- issue 20, problem 6
DICOMDIRS = sorted(p for p in TREE.rglob("*DICOMDIR*") if p.is_file())


@pytest.mark.parametrize("src", DICOMDIRS, ids=[str(p.relative_to(TREE)) for p in DICOMDIRS])
def test_deidentify_file_refuses_a_dicomdir(tmp_path, src):
    """A DICOMDIR keeps Patient IDs in ReferencedFileID paths and byte offsets into the
    old records: cleaning it tag by tag would leak, so it is refused by name."""
    from course_lib.exceptions import CourseLibError
    from course_lib.privacy import DicomDirError

    dst = tmp_path / "out" / "x.dcm"
    with pytest.raises(DicomDirError) as info:
        deidentify_file(src, dst)
    message = str(info.value)
    assert isinstance(info.value, CourseLibError) and isinstance(info.value, ValueError)
    assert str(src) in message and "pydicom.fileset" in message and "\n" not in message
    assert not dst.exists() and not (tmp_path / "out").exists()


def test_tree_reports_every_dicomdir_and_leaks_none_of_their_ids(tmp_path):
    result = deidentify_tree(TREE, tmp_path / "out")
    reported = {o.src for o in result.files if o.dst is None and "DICOMDIR" in o.reason}
    assert reported == set(DICOMDIRS)
    ids = {
        str(ds.PatientID)
        for p in DICOMDIRS
        for ds in pydicom.dcmread(p).get("DirectoryRecordSequence", [])
        if "PatientID" in ds
    }
    assert ids  # the DICOMDIRs do name patients
    written = b"".join(o.dst.read_bytes() for o in result.written)
    assert not any(pid.encode() in written for pid in ids if len(pid) > 3)
