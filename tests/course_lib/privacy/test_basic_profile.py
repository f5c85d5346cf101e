"""Table E.1-1 data: well formed, agrees with pydicom's dictionary, known rows right."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from pydicom.datadict import dictionary_description

from course_lib.privacy import ACTION_MEANINGS, TABLE_EDITION, basic_profile_rules, rule_for_tag
from course_lib.privacy.basic_profile import TABLE_FILE, parse_profile_table

ROOT = Path(__file__).resolve().parents[3]
HEADER = "group,element,basic_profile,modified_dates,name\n"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def test_table_is_complete_and_well_formed():
    rules = basic_profile_rules()
    assert "2026d" in TABLE_EDITION
    assert len(rules) == 656  # every row of Table E.1-1 2026d except "Private Attributes"
    for tag, rule in rules.items():
        assert re.fullmatch(r"[0-9A-Fx]{4},[0-9A-Fx]{4}", tag), tag
        assert rule.action in ACTION_MEANINGS and rule.action not in ("K", "C")
    # the date/time attributes of the Modified Dates option (113107)
    assert sum(rule.temporal for rule in rules.values()) == 169


def test_names_agree_with_pydicoms_data_dictionary():
    """An independent check of the transcription: tag and name must belong together."""
    checked = 0
    for tag, rule in basic_profile_rules().items():
        if "x" in tag:
            continue
        try:
            description = dictionary_description(int(tag.replace(",", ""), 16))
        except KeyError:  # attributes newer than pydicom 3.0's dictionary
            continue
        assert _norm(description) == _norm(rule.name), (tag, rule.name, description)
        checked += 1
    assert checked > 600


# Rows checked by hand against two independent extractions of Table E.1-1 (the 2026d
# table pinned by pymedphys and idiscore's scrape of the 2025 edition).
@pytest.mark.parametrize(
    "tag, action, name",
    [
        (0x00100010, "Z", "Patient's Name"),
        (0x00100020, "Z/D", "Patient ID"),
        (0x00100030, "Z", "Patient's Birth Date"),
        (0x00101040, "X", "Patient's Address"),
        (0x00080050, "Z", "Accession Number"),
        (0x00080080, "X/Z/D", "Institution Name"),
        (0x00080081, "X", "Institution Address"),
        (0x00080090, "Z", "Referring Physician's Name"),
        (0x00081070, "X/Z/D", "Operators' Name"),
        (0x00081010, "X/Z/D", "Station Name"),
        (0x00181000, "X/Z/D", "Device Serial Number"),
        (0x00080020, "Z", "Study Date"),
        (0x00080021, "X/D", "Series Date"),
        (0x0020000D, "U", "Study Instance UID"),
        (0x00080018, "U", "SOP Instance UID"),
        (0x00081155, "U", "Referenced SOP Instance UID"),
        (0x00081140, "X/Z/U*", "Referenced Image Sequence"),
        (0x00400275, "X", "Request Attributes Sequence"),
        (0x0040A730, "D", "Content Sequence"),
    ],
)
def test_known_rows(tag, action, name):
    rule = rule_for_tag(tag)
    assert (rule.action, rule.name) == (action, name)


def test_repeating_groups_private_groups_and_unlisted_tags():
    assert rule_for_tag(0x60003000).name == "Overlay Data"
    assert rule_for_tag(0x601E4000).name == "Overlay Comments"
    assert rule_for_tag(0x60000010) is None  # Overlay Rows: not in the table
    assert rule_for_tag(0x50020005).name == "Curve Data"
    assert rule_for_tag(0x00291010).action == "X"  # private
    assert rule_for_tag(0x00090010).name == "Private Attributes"  # private creator
    assert rule_for_tag(0x00080060) is None  # Modality is kept
    assert rule_for_tag(0x7FE00010) is None  # Pixel Data is never touched by the table


def test_data_file_ships_as_package_data():
    """A wheel must carry the CSV: pyproject's package-data patterns have to match it."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["course_lib"]
    assert any(fnmatch.fnmatch(f"privacy/{TABLE_FILE}", pattern) for pattern in patterns)
    assert (ROOT / "course_lib" / "privacy" / TABLE_FILE).is_file()


def test_parser_reads_the_format():
    rules = parse_profile_table(
        HEADER + "0010,0010,Z,,Patient's Name\n"
        "0008,0020,Z,C,Study Date\n60xx,3000,X,,Overlay Data\n"
    )
    assert [(r.tag, r.action, r.temporal) for r in rules] == [
        ("0010,0010", "Z", False),
        ("0008,0020", "Z", True),
        ("60xx,3000", "X", False),
    ]


@pytest.mark.parametrize(
    "body, message",
    [
        ("0010,0010,Q,,Patient's Name\n", "unknown Basic Profile action"),
        ("0010,0010,K,,Patient's Name\n", "unknown Basic Profile action"),
        ("0010,001,Z,,Patient's Name\n", "4 upper-case hex digits"),
        ("0010,0010,Z,T,Patient's Name\n", "modified_dates must be 'C' or empty"),
        ("0010,0010,Z,,\n", "empty attribute name"),
        ("0010,0010,Z,Patient's Name\n", "4 fields, expected 5"),
        ("0010,0010,Z,,A\n0010,0010,X,,B\n", "listed twice"),
    ],
)
def test_parser_rejects_malformed_rows_with_the_line_number(body, message):
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        parse_profile_table(HEADER + body)
    assert "line " in str(error.value)


def test_parser_rejects_a_wrong_header():
    with pytest.raises(ValueError, match="header"):
        parse_profile_table("tag,action,name\n0010,0010,Z\n")
