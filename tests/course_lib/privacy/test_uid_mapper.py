"""UidMapper: consistent, unique, valid 2.25 UIDs, reproducible with the namespace."""

from __future__ import annotations

import uuid

import pytest
from pydicom.uid import UID

from course_lib.privacy import UidMapper


def test_same_input_same_output_different_inputs_differ():
    mapper = UidMapper()
    originals = [f"1.2.840.10008.999.{i}" for i in range(500)]
    first = [mapper(uid) for uid in originals]
    assert [mapper(uid) for uid in originals] == first
    assert len(set(first)) == len(originals) == len(mapper)
    for new in first:
        assert new.startswith("2.25.") and len(new) <= 64 and UID(new).is_valid
        assert int(new[5:]) < 2**128
    assert mapper(first[0]) == first[0]  # mapping a new UID again is a no-op
    assert mapper(" 1.2.840.10008.999.7\x00") == first[7]  # padding ignored
    assert mapper("") == ""


def test_namespace_makes_the_map_reproducible_and_secret():
    namespace = uuid.UUID("12345678-1234-5678-1234-567812345678")
    a, b, c = UidMapper(namespace), UidMapper(namespace), UidMapper()
    assert a("1.2.3.4") == b("1.2.3.4") != c("1.2.3.4")
    assert a.as_dict() == {"1.2.3.4": a("1.2.3.4")}
    assert "1.2.3.4" in a and "9.9" not in a
    with pytest.raises(TypeError, match="uuid.UUID"):
        UidMapper("not-a-uuid")
