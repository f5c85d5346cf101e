"""The COURSE_DATA switch (every real-data chapter)."""

from __future__ import annotations

import pytest

from course_lib.real_data import data_source, use_real_data


def test_default_is_simulated(monkeypatch):
    monkeypatch.delenv("COURSE_DATA", raising=False)
    assert data_source() == "simulated" and use_real_data() is False


@pytest.mark.parametrize("value", ["real", "REAL", " real "])
def test_real_is_recognised(monkeypatch, value):
    monkeypatch.setenv("COURSE_DATA", value)
    assert use_real_data() is True


def test_anything_else_is_an_error_naming_the_choices(monkeypatch):
    monkeypatch.setenv("COURSE_DATA", "both")
    with pytest.raises(ValueError, match="COURSE_DATA must be one of"):
        use_real_data()


def test_the_switch_reaches_the_loader_through_the_real_registry_names(mirror, monkeypatch):
    """With the packaged registry and nothing cached the message names the real command."""
    from course_lib.real_data import RealDataNotCachedError, msd_subjects

    monkeypatch.setenv("COURSE_DATA", "real")
    with pytest.raises(RealDataNotCachedError) as info:
        msd_subjects("hippocampus")
    message = str(info.value)
    assert "python -m data_fetch get msd_hippocampus" in message and "27 MB" in message
    assert "\n" not in message
