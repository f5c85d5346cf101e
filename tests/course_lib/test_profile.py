import pytest

from course_lib.profile import PROFILES, get_profile


def test_default_on_cpu_is_cpu(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    profile = get_profile()
    assert profile.name == "cpu" and profile.resolution == 2 and not profile.is_3d
    assert profile.time_budget_s == 150


@pytest.mark.parametrize("name", PROFILES)
def test_env_override(monkeypatch, name):
    monkeypatch.setenv("COURSE_PROFILE", name.upper())
    assert get_profile().name == name


def test_gpu_and_full_use_1mm_3d():
    for name in ("gpu", "full"):
        profile = get_profile(name)
        assert profile.resolution == 1 and profile.is_3d


def test_nonsense_profile_names_allowed_values(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "nonsense")
    with pytest.raises(ValueError) as error:
        get_profile()
    assert "cpu, gpu, full" in str(error.value) and "\n" not in str(error.value)


def test_select_picks_knobs_and_requires_same_names():
    knobs = get_profile("cpu").select(cpu={"epochs": 3}, gpu={"epochs": 30})
    assert knobs.epochs == 3
    assert get_profile("full").select(cpu={"epochs": 3}, gpu={"epochs": 30}).epochs == 30
    with pytest.raises(ValueError, match="same names"):
        get_profile("cpu").select(cpu={"epochs": 3}, gpu={"epochs": 30, "batch": 8})
