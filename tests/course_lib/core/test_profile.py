import pytest

from course_lib.core.profile import PROFILES, get_profile


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


def test_smoke_run_takes_smoke_knobs_over_the_profile(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    profile = get_profile("gpu")
    assert profile.smoke and profile.is_3d and profile.resolution == 2
    knobs = profile.select(
        cpu={"epochs": 3, "n": 4}, gpu={"epochs": 30, "n": 40}, smoke={"epochs": 1}
    )
    assert (knobs.epochs, knobs.n) == (1, 40)
    with pytest.raises(ValueError, match="no smoke knobs"):
        profile.select(cpu={"epochs": 3}, gpu={"epochs": 30})
    assert "SMOKE RUN" in str(profile)


def test_smoke_knobs_must_be_known_and_are_ignored_outside_smoke(monkeypatch):
    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    profile = get_profile("cpu")
    assert profile.select(cpu={"epochs": 3}, gpu={"epochs": 30}, smoke={"epochs": 1}).epochs == 3
    with pytest.raises(ValueError, match="not cpu/gpu knobs"):
        profile.select(cpu={"epochs": 3}, gpu={"epochs": 30}, smoke={"steps": 1})
    monkeypatch.setenv("COURSE_SMOKE", "maybe")
    with pytest.raises(ValueError, match="COURSE_SMOKE"):
        get_profile("cpu")
