import os

import pytest

from course_lib.core.paths import data_dir, ensure_writable_dir


def test_env_var_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    assert data_dir() == (tmp_path / "d").resolve()


def test_default_under_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data_dir() == (tmp_path / "ml-medical-course").resolve()


def test_unwritable_dir_names_env_var(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(PermissionError, match="COURSE_DATA_DIR"):
        ensure_writable_dir(blocker / "sub")
    assert ensure_writable_dir(tmp_path / "ok").is_dir()
    assert not [p for p in os.listdir(tmp_path / "ok")]
