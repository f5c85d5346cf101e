"""De-identify a DICOM dataset with the Basic Application Level Confidentiality Profile.

Taught in chapter 11a.

Rules come from DICOM PS3.15 Table E.1-1 (:mod:`course_lib.privacy.basic_profile`),
applied to every element at every nesting level. How the compound actions are
resolved, since we do not check each IOD's attribute types:

* ``X/Z``, ``X/D``, ``X/Z/D``: removed (``X``), the most private choice;
* ``Z/D``: emptied, except Patient ID which gets ``patient_id`` when one is given;
* ``X/Z/U*`` (Referenced/Source Image Sequence): kept, with the UIDs inside replaced
  through the shared :class:`UidMapper`, so references inside a study stay valid;
* ``D`` on a sequence (Content Sequence, ...): items kept; inside them the table
  applies as everywhere and free text (PN, LT, ST, UT, UC) becomes a dummy;
* private elements (odd groups) removed unless ``keep_private``; whole overlay groups
  (60xx) removed (the table removes their data and comments; the rest of the plane
  is useless without them and its description is free text);
* Pixel Data is never touched; a Burned In Annotation of YES (or missing, on an
  image) is reported because header rules cannot remove text drawn in the pixels.

Attributes that the table does not list are kept unchanged: review free text the
table does not cover (e.g. Text Value in SR content) before releasing data.

References
----------
DICOM PS3.15 2026d, Annex E (Table E.1-1, Section E.3.6 on longitudinal dates).
DICOM PS3.16, CID 7050 "De-identification Method" (code 113100, 113107).
"""

from __future__ import annotations

import copy
import datetime
import logging

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID

from course_lib.privacy.basic_profile import ProfileRule, rule_for_tag
from course_lib.privacy.deid_report import AppliedAction, DeidentificationReport
from course_lib.privacy.uid_mapper import UidMapper

__all__ = ["deidentify", "DEIDENTIFICATION_METHOD"]

_log = logging.getLogger(__name__)

DEIDENTIFICATION_METHOD = "DICOM PS3.15 2026d Basic Profile (course_lib)"  # LO: <= 64 chars
_TEXT_DUMMY = "ANONYMIZED"
_DUMMIES = {
    "AE": "ANONYMOUS",
    "AS": "000Y",
    "CS": _TEXT_DUMMY,
    "DA": "19000101",
    "DS": "0",
    "DT": "19000101000000",
    "IS": "0",
    "LO": _TEXT_DUMMY,
    "LT": _TEXT_DUMMY,
    "PN": _TEXT_DUMMY,
    "SH": _TEXT_DUMMY,
    "ST": _TEXT_DUMMY,
    "TM": "000000",
    "UC": _TEXT_DUMMY,
    "UR": "urn:anonymized",
    "UT": _TEXT_DUMMY,
}
_NUMERIC_VRS = {"AT", "FL", "FD", "SL", "SS", "SV", "UL", "US", "UV"}
_FREE_TEXT_VRS = {"PN", "LT", "ST", "UT", "UC"}
_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


class _Run:
    """State of one deidentify() call (what the recursive walk needs)."""

    def __init__(self, uid_map, shift_days, patient_id, keep_private):
        self.uid_map, self.shift_days = uid_map, shift_days
        self.patient_id, self.keep_private = patient_id, keep_private
        self.report = DeidentificationReport(date_shift_days=shift_days)

    def record(self, path, tag, rule: ProfileRule, applied):
        self.report.actions.append(
            AppliedAction(
                path, f"({tag.group:04X},{tag.element:04X})", rule.name, rule.action, applied
            )
        )


def deidentify(
    dataset: Dataset,
    *,
    uid_map: UidMapper | None = None,
    date_shift_days: int | None = None,
    patient_id: str | None = None,
    keep_private: bool = False,
) -> tuple[Dataset, DeidentificationReport]:
    """Apply the DICOM Basic Application Level Confidentiality Profile.

    Parameters
    ----------
    dataset : pydicom.dataset.Dataset
        Original dataset (not modified; a deep copy is cleaned).
    uid_map : UidMapper, optional
        UID map shared by all files of a study or series so that the same input UID
        gets the same new UID and references stay valid. Default: a new mapper.
    date_shift_days : int, optional
        Move every date of the Modified Dates option (113107) by this many days
        (use the same offset for all files of a patient, so intervals survive).
        Times of day are kept. Default None: the table's Basic Profile action.
    patient_id : str, optional
        Pseudonym written to Patient ID (the ``D`` branch of its ``Z/D`` action);
        default: Patient ID is emptied.
    keep_private : bool
        Keep private elements (default False: removed, as the Basic Profile says).

    Returns
    -------
    dataset : pydicom.dataset.Dataset
        The de-identified copy; Pixel Data is byte-identical to the original.
        Patient Identity Removed = YES, De-identification Method and its Code
        Sequence (113100 DCM, plus 113107 with date shifting) are set.
    report : DeidentificationReport
        Actions, burned-in-annotation flag, overlay and other warnings.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> import pydicom
    >>> ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    >>> clean, report = deidentify(ds)
    >>> str(clean.PatientName), clean.PatientIdentityRemoved
    ('', 'YES')
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"dataset must be a pydicom Dataset, got {type(dataset).__name__}; "
            "read files with pydicom.dcmread or use deidentify_file"
        )
    if date_shift_days is not None and not isinstance(date_shift_days, int):
        raise TypeError(f"date_shift_days must be an int number of days, got {date_shift_days!r}")
    run = _Run(
        uid_map if uid_map is not None else UidMapper(), date_shift_days, patient_id, keep_private
    )
    _inspect_pixel_risks(dataset, run.report)
    out = copy.deepcopy(dataset)
    _walk(out, run, path="", in_dummy_sequence=False)
    if getattr(out, "file_meta", None) is not None and len(out.file_meta):
        _clean_file_meta(out, run)
    _mark_as_deidentified(out, run)
    for warning in run.report.warnings:
        _log.warning("%s", warning)
    return out, run.report


def _walk(ds: Dataset, run: _Run, path: str, in_dummy_sequence: bool) -> None:
    for tag in list(ds.keys()):
        elem = ds[tag]
        if tag.element == 0x0000:  # group lengths are stale once elements change
            del ds[tag]
            continue
        group = tag.group
        if 0x6000 <= group <= 0x601E and group % 2 == 0:
            del ds[tag]
            run.report.actions.append(
                AppliedAction(
                    path, f"({group:04X},{tag.element:04X})", "Overlay group", "X (60xx)", "X"
                )
            )
            continue
        rule = rule_for_tag(tag)
        if rule is None:
            if elem.VR == "SQ":
                _walk_items(elem, run, path, in_dummy_sequence)
            elif in_dummy_sequence and elem.VR in _FREE_TEXT_VRS and not _is_empty(elem):
                elem.value = _DUMMIES[elem.VR]
            continue
        if rule.tag == "gggg,eeee":
            if run.keep_private:
                run.record(path, tag, rule, "keep")
            else:
                del ds[tag]
                run.report.private_removed += 1
                run.record(path, tag, rule, "X")
            continue
        _apply(ds, elem, rule, run, path)


def _walk_items(elem, run: _Run, path: str, in_dummy_sequence: bool) -> None:
    name = elem.keyword or f"({elem.tag.group:04X},{elem.tag.element:04X})"
    for index, item in enumerate(elem.value or []):
        _walk(item, run, f"{path}{name}[{index}].", in_dummy_sequence)


def _apply(ds: Dataset, elem, rule: ProfileRule, run: _Run, path: str) -> None:
    if rule.temporal and run.shift_days is not None and elem.VR in ("DA", "DT", "TM"):
        if elem.VR != "TM" and not _is_empty(elem):
            elem.value = _shift_dates(elem.value, elem.VR, run.shift_days)
            run.record(path, elem.tag, rule, "shift")
        return
    applied = _resolve(rule.action, elem, run)
    if applied == "X":
        del ds[elem.tag]
    elif applied == "Z":
        elem.value = _empty(elem.VR)
    elif applied == "D":
        if elem.VR == "SQ":
            _walk_items(elem, run, path, in_dummy_sequence=True)
        elif elem.tag == 0x00100020:
            elem.value = run.patient_id
        else:
            elem.value = _dummy(elem, run)
    elif applied == "U*":
        if elem.VR == "SQ":
            _walk_items(elem, run, path, in_dummy_sequence=False)
        else:
            elem.value = _map_uids(elem.value, run)
    else:  # "U"
        elem.value = _map_uids(elem.value, run)
    run.record(path, elem.tag, rule, applied)


def _resolve(action: str, elem, run: _Run) -> str:
    if action in ("X", "X/Z", "X/D", "X/Z/D"):
        return "X"
    if action == "Z/D":
        return "D" if elem.tag == 0x00100020 and run.patient_id else "Z"
    if action == "X/Z/U*":
        return "U*"
    return action  # "Z", "D", "U"


def _is_empty(elem) -> bool:
    value = elem.value
    return (
        value is None
        or value == ""
        or value == b""
        or (hasattr(value, "__len__") and len(value) == 0)
    )


def _empty(vr: str):
    if vr == "SQ":
        return Sequence()
    if vr in _DUMMIES or vr == "UI":  # string VRs: an empty string
        return ""
    return None  # numeric and binary VRs: zero-length value


def _dummy(elem, run: _Run):
    vr = elem.VR
    if vr == "UI":
        return _map_uids(elem.value, run) if not _is_empty(elem) else run.uid_map("0.0")
    if vr in _DUMMIES:
        return _DUMMIES[vr]
    if vr in _NUMERIC_VRS:
        return 0
    return b"\x00" * 8  # OB, OD, OF, OL, OV, OW, UN and ambiguous binary VRs


def _map_uids(value, run: _Run):
    if isinstance(value, (bytes, bytearray)):  # a UID read with VR UN
        text = bytes(value).decode("ascii", "ignore").strip("\x00 ")
        new = "\\".join(_map_uids(part, run) for part in text.split("\\")).encode("ascii")
        return new + b"\x00" * (len(new) % 2)
    if isinstance(value, str) or value is None:
        if not value:
            return value
        run.report.uids_replaced += 1
        return run.uid_map(value)
    return [_map_uids(str(uid), run) for uid in value]


def _shift_one(text: str, vr: str, days: int) -> str:
    text = str(text).strip()
    if len(text) < 8 or not text[:8].isdigit():
        return _DUMMIES[vr]  # partial or invalid date: no calendar to shift it on
    try:
        date = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return _DUMMIES[vr]
    return (date + datetime.timedelta(days=days)).strftime("%Y%m%d") + text[8:]


def _shift_dates(value, vr: str, days: int):
    if isinstance(value, str):
        return _shift_one(value, vr, days)
    return [_shift_one(str(v), vr, days) for v in value]


def _inspect_pixel_risks(ds: Dataset, report: DeidentificationReport) -> None:
    value = str(ds.get("BurnedInAnnotation", "")).strip().upper()
    report.burned_in_annotation = value if value in ("YES", "NO") else "missing"
    has_pixels = any(keyword in ds for keyword in _PIXEL_KEYWORDS)
    report.burned_in_risk = value == "YES" or (value not in ("YES", "NO") and has_pixels)
    if value == "YES":
        report.warnings.append(
            "Burned In Annotation is YES: the pixels show text (names, "
            "dates?) that header de-identification cannot remove"
        )
    elif report.burned_in_risk:
        report.warnings.append(
            "Burned In Annotation is missing: check the pixels for text "
            "before release (Clean Pixel Data option not applied)"
        )
    groups = sorted(
        {
            int(tag) >> 16
            for tag in ds.keys()
            if 0x6000 <= (int(tag) >> 16) <= 0x601E and (int(tag) >> 16) % 2 == 0
        }
    )
    report.overlay_groups = groups
    if groups:
        report.warnings.append(
            "overlay planes in groups " + ", ".join(f"{g:04X}" for g in groups) + " may hold "
            "text or graphics; they were removed, but bits embedded in Pixel Data (retired "
            "usage) would remain"
        )


def _clean_file_meta(ds: Dataset, run: _Run) -> None:
    meta = ds.file_meta
    kept = {
        "FileMetaInformationVersion",
        "MediaStorageSOPClassUID",
        "MediaStorageSOPInstanceUID",
        "TransferSyntaxUID",
    }
    for tag in list(meta.keys()):
        elem = meta[tag]
        if elem.keyword not in kept:  # source/sending AE titles, old implementation, lengths
            del meta[tag]
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID  # Type 1: who wrote the file
    meta.ImplementationVersionName = f"PYDICOM {pydicom.__version__}"[:16]
    if "MediaStorageSOPInstanceUID" in meta:
        rule = rule_for_tag(0x00020003)
        meta.MediaStorageSOPInstanceUID = _map_uids(meta.MediaStorageSOPInstanceUID, run)
        run.record("file_meta.", meta["MediaStorageSOPInstanceUID"].tag, rule, "U")


def _mark_as_deidentified(ds: Dataset, run: _Run) -> None:
    ds.PatientIdentityRemoved = "YES"
    methods = [DEIDENTIFICATION_METHOD]
    if run.shift_days is not None:
        methods.append("dates shifted by a per-patient offset")
    ds.DeidentificationMethod = methods if len(methods) > 1 else methods[0]
    codes = [("113100", "Basic Application Confidentiality Profile")]
    if run.shift_days is not None:
        codes.append(("113107", "Retain Longitudinal Temporal Information Modified Dates Option"))
    items = []
    for value, meaning in codes:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    ds.LongitudinalTemporalInformationModified = (
        "MODIFIED" if run.shift_days is not None else "REMOVED"
    )
