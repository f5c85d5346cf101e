"""De-identify every DICOM file shipped with pydicom and pydicom-data (offline).

Checks, file by file, with one UID map shared by all files (as for one export):
no attribute of the Basic Profile list keeps its original non-empty value, no
private element remains, Pixel Data is byte-identical, UIDs map one-to-one across
files and references point to the new UIDs of the instances they referred to.
"""

from __future__ import annotations

import copy
import logging
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.sequence import Sequence

from course_lib.privacy import (
    UidMapper,
    basic_profile_rules,
    deidentify,
    naive_deidentify,
    remaining_phi,
)

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
try:  # pydicom-data installs its files as the "data_store" package (no download)
    import data_store

    PYDICOM_DATA = Path(data_store.__file__).parent / "data"
except ImportError:  # pragma: no cover - pydicom-data is a project dependency
    PYDICOM_DATA = None
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # odd pydicom test files
NAMED = ["CT_small.dcm", "MR_small.dcm", "MR-SIEMENS-DICOM-WithOverlays.dcm"]
REMOVED = {"X", "X/Z", "X/D", "X/Z/D"}


def _listed(tag: int) -> str | None:
    """The Basic Profile action for a tag (the test's own reading of the table)."""
    group, element = tag >> 16, tag & 0xFFFF
    if group % 2:
        return "X"
    rules = basic_profile_rules()
    key = f"{group:04X},{element:04X}"
    if key in rules:
        return rules[key].action
    if 0x5000 <= group <= 0x501E:
        return "X"
    if 0x6000 <= group <= 0x601E and element in (0x3000, 0x4000):
        return "X"
    return None


def _read(path: Path):
    """(dataset, None) or (None, reason): plain read, else forced read of a data set."""
    try:
        return pydicom.dcmread(path), None
    except InvalidDicomError:
        try:
            dataset = pydicom.dcmread(path, force=True)
        except Exception as error:  # noqa: BLE001 - report any reader failure
            return None, f"unreadable even with force=True: {error}"
        if "SOPClassUID" in dataset:
            return dataset, None
        return None, "not a DICOM data set (no SOP Class UID even with force=True)"
    except Exception as error:  # noqa: BLE001
        return None, f"{type(error).__name__}: {error}"


def _leaves(dataset: Dataset, path: str = "") -> dict:
    out = {}
    for elem in dataset:
        key = (path, int(elem.tag))
        out[key] = elem
        if elem.VR == "SQ":
            for index, item in enumerate(elem.value or []):
                out.update(_leaves(item, f"{path}{int(elem.tag):08X}[{index}]."))
    return out


@pytest.fixture(scope="module")
def corpus():
    roots = [PYDICOM_FILES] + ([PYDICOM_DATA] if PYDICOM_DATA is not None else [])
    paths = sorted(p for root in roots for p in root.rglob("*") if p.is_file())
    mapper = UidMapper()
    done, skipped = [], {}
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom's warnings about odd test files
            for path in paths:
                original, reason = _read(path)
                if original is None:
                    skipped[path] = reason
                    continue
                clean, report = deidentify(original, uid_map=mapper)
                done.append((path, original, clean, report))
    finally:
        logging.disable(logging.NOTSET)
    return done, skipped, mapper


def test_every_readable_file_is_processed(corpus):
    done, skipped, _ = corpus
    names = {path.name for path, *_ in done}
    assert set(NAMED) <= names
    dicomdir_tree = [
        p
        for p in (PYDICOM_FILES / "dicomdirtests").rglob("*")
        if p.is_file() and "README" not in p.name
    ]
    assert {p for p in dicomdir_tree} <= {path for path, *_ in done}
    assert len(done) >= 220, f"only {len(done)} files read; skipped: {skipped}"
    for path, reason in skipped.items():  # what is skipped is not DICOM data
        assert "SOP Class UID" in reason or "unreadable" in reason, (path, reason)


def test_no_listed_attribute_keeps_its_original_value(corpus):
    done, _, _ = corpus
    checked = 0
    for path, original, clean, _ in done:
        after = _leaves(clean)
        for (where, tag), elem in _leaves(original).items():
            action = _listed(tag)
            if action is None:
                continue
            kept = after.get((where, tag))
            if elem.VR == "SQ":
                if action in REMOVED:
                    assert kept is None, (path.name, where, hex(tag))
                continue
            if elem.value in (None, "", b"") or kept is None or kept.value in (None, "", b""):
                continue
            assert kept.value != elem.value, (path.name, where, hex(tag), elem.value)
            checked += 1
    assert checked > 1000  # replaced values (UIDs, dummies) were really compared


def test_no_private_elements_and_no_overlay_groups_remain(corpus):
    done, _, _ = corpus
    had_private = 0
    for path, original, clean, report in done:
        had_private += any(e.tag.is_private for e in original.iterall())
        assert not any(e.tag.is_private for e in clean.iterall()), path.name
        assert not any(0x6000 <= e.tag.group <= 0x601E for e in clean), path.name
        assert report.private_removed == sum(
            1 for e in original.iterall() if e.tag.is_private
        ) or any(e.VR == "SQ" and e.tag.is_private for e in original.iterall())
    assert had_private >= 30


def test_pixel_data_is_byte_identical(corpus):
    done, _, _ = corpus
    compared = 0
    for path, original, clean, _ in done:
        for keyword in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
            if keyword in original:
                assert clean[keyword].value == original[keyword].value, path.name
                compared += 1
        if (
            getattr(original, "file_meta", None) is not None
            and "TransferSyntaxUID" in original.file_meta
        ):
            assert clean.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    assert compared >= 150


def test_uids_map_one_to_one_across_files(corpus):
    done, _, mapper = corpus
    pairs = {}
    for path, original, clean, _ in done:
        after = _leaves(clean)
        for key, elem in _leaves(original).items():
            if _listed(key[1]) != "U" or elem.VR != "UI" or not elem.value or key not in after:
                continue
            new_value = after[key].value
            olds = [elem.value] if isinstance(elem.value, str) else list(elem.value)
            news = [new_value] if isinstance(new_value, str) else list(new_value)
            for old, new in zip(olds, news):
                assert new.startswith("2.25.") and len(new) <= 64
                assert pairs.setdefault(old, new) == new, (path.name, old)
        if "SOPInstanceUID" in original and "MediaStorageSOPInstanceUID" in getattr(
            original, "file_meta", {}
        ):
            if original.SOPInstanceUID == original.file_meta.MediaStorageSOPInstanceUID:
                assert clean.SOPInstanceUID == clean.file_meta.MediaStorageSOPInstanceUID
    assert len(pairs) > 250
    assert len(set(pairs.values())) == len(pairs)  # distinct inputs, distinct outputs
    assert all(mapper(old) == new for old, new in pairs.items())


def test_references_point_to_the_new_uids_of_the_referenced_instances(corpus):
    done, _, _ = corpus
    new_sop = {
        str(o.SOPInstanceUID): str(c.SOPInstanceUID) for _, o, c, _ in done if "SOPInstanceUID" in o
    }
    followed = 0
    for path, original, clean, _ in done:
        after = _leaves(clean)
        for key, elem in _leaves(original).items():
            if key[1] in (0x00081155, 0x00041511) and str(elem.value) in new_sop:
                assert str(after[key].value) == new_sop[str(elem.value)], (path.name, key)
                followed += 1
    assert followed >= 30  # the DICOMDIR records of dicomdirtests point to its files
    studies = {}
    for _path, original, clean, _ in done:  # same study before -> same study after
        if "StudyInstanceUID" in original:
            assert studies.setdefault(
                str(original.StudyInstanceUID), str(clean.StudyInstanceUID)
            ) == str(clean.StudyInstanceUID)


def test_identity_markers_and_audit(corpus):
    done, _, _ = corpus
    for path, original, clean, _ in done:
        assert clean.PatientIdentityRemoved == "YES"
        codes = {
            (i.CodeValue, i.CodingSchemeDesignator)
            for i in clean.DeidentificationMethodCodeSequence
        }
        assert codes == {("113100", "DCM")}
        assert clean.LongitudinalTemporalInformationModified == "REMOVED"
        assert remaining_phi(original, clean) == [], path.name


def _named(corpus, name):
    return next(item for item in corpus[0] if item[0].name == name)


def test_siemens_file_flags_overlay_and_burned_in_risk(corpus, caplog):
    _, original, clean, report = _named(corpus, "MR-SIEMENS-DICOM-WithOverlays.dcm")
    assert report.overlay_groups == [0x6000]
    assert any("overlay" in warning for warning in report.warnings)
    assert report.burned_in_annotation == "missing" and report.burned_in_risk
    for keyword in (
        "InstitutionName",
        "InstitutionAddress",
        "PatientAddress",
        "StationName",
        "DeviceSerialNumber",
        "OperatorsName",
        "RequestAttributesSequence",
    ):
        assert keyword in original and keyword not in clean
    assert str(clean.PatientName) == "" and clean.AccessionNumber == ""
    with caplog.at_level(logging.WARNING, logger="course_lib.privacy.dicom_deid"):
        deidentify(original)
    assert any("overlay" in record.getMessage() for record in caplog.records)
    _, _, _, report_no = _named(corpus, "JPGLosslessP14SV1_1s_1f_8b.dcm")
    assert report_no.burned_in_annotation == "NO" and not report_no.burned_in_risk


def test_burned_in_yes_and_images_without_pixels():
    ds = Dataset()
    ds.BurnedInAnnotation, ds.PixelData = "YES", b"\x00\x01"
    _, report = deidentify(ds)
    assert report.burned_in_risk and "YES" in report.warnings[0]
    _, report = deidentify(Dataset())  # no pixels: nothing burned in
    assert report.burned_in_annotation == "missing" and not report.burned_in_risk


def test_nested_sequences_dates_pseudonym_and_input_untouched():
    ds = Dataset()
    ds.PatientName, ds.PatientID = "Doe^Jane", "123"
    ds.StudyDate, ds.StudyTime = "20200131", "101500"
    ds.PatientBirthDate = "19700101"
    item = Dataset()  # an unlisted sequence: its items are de-identified too
    item.InstitutionName, item.ReferencedSOPInstanceUID = "General Hospital", "1.2.3.4"
    item.add_new(0x00091001, "LO", "private secret")
    ds.AnatomicRegionSequence = Sequence([item])
    content, concept = Dataset(), Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator = "121071", "DCM"
    concept.CodeMeaning = "Finding"
    content.ConceptNameCodeSequence = Sequence([concept])
    content.TextValue = "Jane Doe, seen by Dr. House"
    ds.ContentSequence = Sequence([content])  # action D: kept, free text replaced
    frozen = copy.deepcopy(ds)
    clean, report = deidentify(ds, date_shift_days=-31, patient_id="P001")
    assert ds == frozen  # the input is not modified
    inner = clean.AnatomicRegionSequence[0]
    assert "InstitutionName" not in inner and 0x00091001 not in inner
    assert inner.ReferencedSOPInstanceUID.startswith("2.25.")
    assert clean.ContentSequence[0].TextValue == "ANONYMIZED"
    assert clean.ContentSequence[0].ConceptNameCodeSequence[0].CodeMeaning == "Finding"
    assert clean.PatientID == "P001" and str(clean.PatientName) == ""
    assert clean.StudyDate == "20191231" and clean.StudyTime == "101500"  # date moved, time kept
    assert clean.PatientBirthDate in (None, "")  # Z, not a longitudinal date
    assert clean.LongitudinalTemporalInformationModified == "MODIFIED"
    assert {i.CodeValue for i in clean.DeidentificationMethodCodeSequence} == {"113100", "113107"}
    assert report.count("shift") == 1 and report.date_shift_days == -31
    assert "dates shifted by -31 days" in report.summary()
    with pytest.raises(TypeError, match="pydicom Dataset"):
        deidentify({"PatientName": "x"})


def test_naive_deidentifier_leaves_phi(corpus):
    _, original, _, _ = _named(corpus, "MR-SIEMENS-DICOM-WithOverlays.dcm")
    leftovers = remaining_phi(original, naive_deidentify(original))
    names = {leftover.name for leftover in leftovers}
    assert {
        "Institution Name",
        "Patient's Birth Date",
        "Patient's Address",
        "Study Instance UID",
        "Accession Number",
    } <= names
    assert any(name.startswith("Private") for name in names)
    assert "Patient's Name" not in names and "Patient ID" not in names
