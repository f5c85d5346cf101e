"""Look up the Basic Application Level Confidentiality Profile action of a DICOM tag.

The data live in :mod:`course_lib.privacy.basic_profile_table`; this module parses
them once into immutable :class:`ProfileRule` records and answers "what does the
profile do with tag (gggg,eeee)?", including the repeating groups (50xx,xxxx) and
(60xx,3000)/(60xx,4000) and the odd (private) groups.

References
----------
DICOM PS3.15 2026d, Annex E, Table E.1-1 and Table E.1-1a (action codes).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from course_lib.privacy.basic_profile_table import BASIC_PROFILE_TEXT, TABLE_EDITION

__all__ = [
    "ACTION_MEANINGS", "ProfileRule", "TABLE_EDITION", "basic_profile_rules", "rule_for_tag",
]

#: Table E.1-1a, in our words.
ACTION_MEANINGS: Mapping[str, str] = MappingProxyType({
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
})


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


def _parse(text: str) -> tuple[ProfileRule, ...]:
    rows = []
    for line in text.strip().splitlines():
        tag, action, flag, name = line[:9], line[11:18].strip(), line[19], line[22:]
        if action not in ACTION_MEANINGS or flag not in ".T":
            raise ValueError(f"malformed Table E.1-1 row: {line!r}")
        rows.append(ProfileRule(tag=tag.upper().replace("X", "x"), action=action,
                                name=name, temporal=flag == "T"))
    return tuple(rows)


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
    return MappingProxyType({rule.tag: rule for rule in _parse(BASIC_PROFILE_TEXT)})


_PRIVATE_RULE = ProfileRule(tag="gggg,eeee", action="X", name="Private Attributes",
                            temporal=False)


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
