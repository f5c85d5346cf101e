import pytest

from course_lib.core.gates import GateFailed, check_gate, negative_control


@pytest.fixture(autouse=True)
def _no_smoke(monkeypatch):
    monkeypatch.delenv("COURSE_SMOKE", raising=False)


def test_gate_passes_prints_margin(capsys):
    margin = check_gate("Dice", 0.91, 0.85, spread=0.02)
    assert margin == pytest.approx(0.06)
    assert capsys.readouterr().out.strip() == (
        "gate passed: Dice: 0.910 > 0.850, margin +0.060 > spread 0.020"
    )


def test_gate_fails_below_threshold_and_within_spread():
    with pytest.raises(GateFailed, match="margin -0.050"):
        check_gate("Dice", 0.80, 0.85)
    with pytest.raises(GateFailed, match="margin \\+0.010 <= spread 0.020"):
        check_gate("Dice", 0.86, 0.85, spread=0.02)
    with pytest.raises(GateFailed):
        check_gate("Dice", float("nan"), 0.85)


def test_gate_lower_is_better():
    assert check_gate("TRE (mm)", 0.7, 1.0, higher_is_better=False) == pytest.approx(0.3)
    with pytest.raises(GateFailed):
        check_gate("TRE (mm)", 1.2, 1.0, higher_is_better=False)


def test_negative_control_shows_the_failure(capsys):
    negative_control("learning rate 0", lambda: check_gate("Dice", 0.1, 0.85))
    out = capsys.readouterr().out
    assert out.startswith("negative control (learning rate 0): gate failed: Dice: 0.100")


def test_negative_control_that_passes_the_gate_is_an_error():
    with pytest.raises(AssertionError, match="cannot fail"):
        negative_control("baseline", lambda: check_gate("Dice", 0.9, 0.85))


def test_smoke_run_reports_without_raising(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    check_gate("Dice", 0.1, 0.85)
    negative_control("baseline", lambda: check_gate("Dice", 0.9, 0.85))
    out = capsys.readouterr().out
    assert "gate not enforced (smoke run)" in out and "negative control not enforced" in out


def test_bad_spread_is_refused():
    with pytest.raises(ValueError, match="spread"):
        check_gate("Dice", 0.9, 0.85, spread=-1)
