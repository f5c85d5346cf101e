"""A deliberately naive de-identifier, and an audit that finds what it leaves behind (chapter 11a).

Chapter 11a's exercise: "clear the patient's name and ID, done?" -- no. The Basic
Profile lists hundreds of attributes that can identify a person (birth date,
address, institution, physicians, accession number, device serial numbers, UIDs
that a hospital can look up, private vendor tags...). :func:`remaining_phi` lists
every such attribute that still holds its original, non-empty value.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from pydicom.dataset import Dataset

from course_lib.privacy.basic_profile import rule_for_tag

__all__ = ["LeftoverPHI", "naive_deidentify", "remaining_phi"]


def naive_deidentify(dataset: Dataset) -> Dataset:
    """Clear only Patient's Name and Patient ID -- a common but unsafe shortcut.

    Parameters
    ----------
    dataset : pydicom.Dataset
        Original (not modified).

    Returns
    -------
    pydicom.Dataset
        Copy with PatientName ``"ANONYMOUS"`` and PatientID ``"ANON"``; everything
        else, private tags included, is left as it was.
    """
    out = copy.deepcopy(dataset)
    out.PatientName = "ANONYMOUS"
    out.PatientID = "ANON"
    return out


@dataclass(frozen=True)
class LeftoverPHI:
    """An attribute of the Basic Profile's list still holding its original value."""

    path: str
    tag: str
    name: str
    action: str
    value: str


def _flat(dataset: Dataset, path: str = "") -> dict[tuple[str, int], object]:
    """Leaf elements by (path, tag); sequence items are numbered."""
    leaves: dict[tuple[str, int], object] = {}
    for elem in dataset:
        if elem.VR == "SQ":
            for index, item in enumerate(elem.value or []):
                leaves.update(_flat(item, f"{path}{elem.keyword or elem.tag}[{index}]."))
        else:
            leaves[(path, int(elem.tag))] = elem
    return leaves


def _text(value) -> str:
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    return str(value)


def remaining_phi(original: Dataset, deidentified: Dataset) -> list[LeftoverPHI]:
    """Basic-Profile attributes whose non-empty original value survived de-identification.

    An attribute counts when Table E.1-1 gives it any action (or it is private),
    its original value is non-empty, and the same element at the same place in
    ``deidentified`` holds the identical value. Elements inside sequences are
    compared item by item.

    Parameters
    ----------
    original, deidentified : pydicom.Dataset
        The dataset before and after de-identification.

    Returns
    -------
    list of LeftoverPHI
        Empty when nothing listed by the profile survived.
    """
    before, after = _flat(original), _flat(deidentified)
    leftovers = []
    for (path, tag), elem in before.items():
        rule = rule_for_tag(tag)
        value = elem.value
        if rule is None or value is None or value == "" or value == b"":
            continue
        kept = after.get((path, tag))
        if kept is not None and kept.value == value:
            leftovers.append(
                LeftoverPHI(
                    path,
                    f"({tag >> 16:04X},{tag & 0xFFFF:04X})",
                    rule.name if rule.tag != "gggg,eeee" else f"Private: {elem.name}",
                    rule.action,
                    _text(value)[:60],
                )
            )
    return leftovers
