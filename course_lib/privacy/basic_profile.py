"""Look up the Basic Application Level Confidentiality Profile action of a DICOM tag.

Chapter 11a. The table itself is data, shipped beside this module as
``basic_profile_table.csv``: one row per attribute of DICOM PS3.15 (edition 2026d),
Annex E, Table E.1-1 "Application Level Confidentiality Profile Attributes", with the
columns

* ``group``, ``element`` -- the tag in upper-case hex; ``x`` marks the repeating
  groups (``50xx,xxxx`` curve data, ``60xx,3000``/``60xx,4000`` overlay data/comments);
* ``basic_profile`` -- the Basic Profile action (Table E.1-1a): ``D`` replace with a
  non-zero-length dummy, ``Z`` replace with a zero-length value, ``X`` remove, ``U``
  replace the UID with a consistent new UID, and the combinations ``Z/D``, ``X/Z``,
  ``X/D``, ``X/Z/D`` ("X unless Z or D is needed for IOD conformance") and ``X/Z/U*``
  (a sequence whose contained UIDs are replaced);
* ``modified_dates`` -- ``C`` when the "Retain Longitudinal Temporal Information with
  Modified Dates Option" (code 113107) gives the attribute the action ``C`` (its date
  may be shifted instead), empty otherwise;
* ``name`` -- the attribute name as the table spells it.

The row "Private Attributes (gggg,eeee) where gggg is odd: X" is not in the file: it is
applied by :func:`rule_for_tag`. This module parses the file once into immutable
:class:`ProfileRule` records, checking every row, and answers "what does the profile do
with tag (gggg,eeee)?".

Source of the data: DICOM Standards Committee, NEMA. *DICOM PS3.15 2026d - Security and
System Management Profiles*, Annex E, Table E.1-1
(https://dicom.nema.org/medical/dicom/current/output/html/part15.html#table_E.1-1).
Transcribed from the machine-readable extraction of that table pinned in the pymedphys
project (``lib/pymedphys/_dicom/deidentify/_standard/e1_1.json``, edition 2026d) and
cross-checked against an independent scrape of the 2025 edition (idiscore
``_public_dicom.py``, 2025-06-24) and an extraction of a 2019/2020 edition (innolitics
``confidentiality_profile_attributes.json``); the tests check every name against
pydicom's data dictionary.

References
----------
DICOM PS3.15 2026d, Annex E, Table E.1-1 and Table E.1-1a (action codes).
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Mapping

__all__ = [
    "ACTION_MEANINGS",
    "ProfileRule",
    "TABLE_EDITION",
    "TABLE_FILE",
    "basic_profile_rules",
    "parse_profile_table",
    "rule_for_tag",
]

#: Edition of the standard the data file transcribes.
TABLE_EDITION = "DICOM PS3.15 2026d, Table E.1-1"
#: Name of the data file, in this package.
TABLE_FILE = "basic_profile_table.csv"
_COLUMNS = ["group", "element", "basic_profile", "modified_dates", "name"]
_HEX4 = re.compile(r"[0-9A-Fx]{4}")

#: Table E.1-1a, in our words.
ACTION_MEANINGS: Mapping[str, str] = MappingProxyType(
    {
        "D": "replace with a non-zero-length dummy value",
        "Z": "replace with a zero-length value",
        "X": "remove",
        "K": "keep",
        "C": "clean (keep the meaning, remove identifying content)",
        "U": "replace the UID with a new one, consistently within the set of instances",
        "Z/D": "Z unless D is needed for IOD conformance",
        "X/Z": "X unless Z is needed for IOD conformance",
        "X/D": "X unless D is needed for IOD conformance",
        "X/Z/D": "X unless Z or D is needed for IOD conformance",
        "X/Z/U*": "X unless Z, or the replacement of the UIDs it contains, is needed",
    }
)


@dataclass(frozen=True)
class ProfileRule:
    """One row of Table E.1-1 (Basic Profile column).

    Attributes
    ----------
    tag : str
        ``"gggg,eeee"`` in upper-case hex; ``x`` marks a repeating-group digit.
    action : str
        Basic Profile action code, one of the keys of :data:`ACTION_MEANINGS`.
    name : str
        Attribute name as Table E.1-1 spells it.
    temporal : bool
        True when the Modified Dates option (113107) lists the attribute as ``C``,
        i.e. its date may be shifted instead of applying ``action``.
    """

    tag: str
    action: str
    name: str
    temporal: bool


def parse_profile_table(text: str) -> tuple[ProfileRule, ...]:
    """Parse and check the CSV text of Table E.1-1 (the format of :data:`TABLE_FILE`).

    Parameters
    ----------
    text : str
        CSV with the header ``group,element,basic_profile,modified_dates,name``.

    Returns
    -------
    tuple of ProfileRule
        In file order.

    Raises
    ------
    ValueError
        For a wrong header, a malformed row (tag digits, unknown action, a
        ``modified_dates`` value other than ``C`` or empty, an empty name) or a tag
        listed twice; the message gives the line number and the row.
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != _COLUMNS:
        raise ValueError(
            f"Table E.1-1 file must start with the header {','.join(_COLUMNS)}, got {header!r}"
        )
    rows, seen = [], set()
    for line_number, row in enumerate(reader, start=2):
        if not row:
            continue
        problem = _row_problem(row)
        if problem is None:
            tag = f"{row[0]},{row[1]}"
            problem = f"tag {tag} listed twice" if tag in seen else None
        if problem is not None:
            raise ValueError(
                f"malformed Table E.1-1 row at line {line_number} ({problem}): {','.join(row)!r}"
            )
        seen.add(f"{row[0]},{row[1]}")
        rows.append(
            ProfileRule(
                tag=f"{row[0]},{row[1]}", action=row[2], name=row[4], temporal=row[3] == "C"
            )
        )
    return tuple(rows)


def _row_problem(row: list[str]) -> str | None:
    if len(row) != len(_COLUMNS):
        return f"{len(row)} fields, expected {len(_COLUMNS)}"
    group, element, action, modified, name = row
    if not (_HEX4.fullmatch(group) and _HEX4.fullmatch(element)):
        return "group and element must be 4 upper-case hex digits (x for repeating groups)"
    if action not in ACTION_MEANINGS or action in ("K", "C"):
        return f"unknown Basic Profile action {action!r}"
    if modified not in ("", "C"):
        return f"modified_dates must be 'C' or empty, got {modified!r}"
    if not name.strip():
        return "empty attribute name"
    return None


@functools.lru_cache(maxsize=1)
def basic_profile_rules() -> Mapping[str, ProfileRule]:
    """All rows of Table E.1-1 (Basic Profile), keyed by ``"gggg,eeee"``.

    Returns
    -------
    Mapping[str, ProfileRule]
        Read-only mapping; repeating groups keep their ``x`` digits
        (``"50xx,xxxx"``, ``"60xx,3000"``, ``"60xx,4000"``). The private-attribute
        row is not included (see :func:`rule_for_tag`).
    """
    text = resources.files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8")
    return MappingProxyType({rule.tag: rule for rule in parse_profile_table(text)})


_PRIVATE_RULE = ProfileRule(tag="gggg,eeee", action="X", name="Private Attributes", temporal=False)


def rule_for_tag(tag: int) -> ProfileRule | None:
    """The Basic Profile rule that applies to a data element tag.

    Parameters
    ----------
    tag : int
        Tag as a 32-bit integer ``0xGGGGEEEE`` (a ``pydicom.tag.BaseTag`` works).

    Returns
    -------
    ProfileRule or None
        The matching row; for odd groups (private, or reserved by PS3.5 Section
        7.8.1) the "Private Attributes" row (action ``X``); for curve groups
        (50xx,xxxx) and overlay data/comments (60xx,3000)/(60xx,4000) the
        repeating-group rows; None when the table does
        not list the attribute (the profile then keeps it).

    Examples
    --------
    >>> rule_for_tag(0x00100010).action
    'Z'
    >>> rule_for_tag(0x60023000).name
    'Overlay Data'
    """
    group, element = int(tag) >> 16, int(tag) & 0xFFFF
    rules = basic_profile_rules()
    exact = rules.get(f"{group:04X},{element:04X}")
    if exact is not None:
        return exact
    if group % 2 == 1:  # private groups, and the odd groups PS3.5 7.8.1 reserves
        return _PRIVATE_RULE
    if 0x5000 <= group <= 0x501E and group % 2 == 0:
        return rules["50xx,xxxx"]
    if 0x6000 <= group <= 0x601E and group % 2 == 0 and element in (0x3000, 0x4000):
        return rules[f"60xx,{element:04X}"]
    return None
