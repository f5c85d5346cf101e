import json

from course_lib.core.run_record import RunRecord, peak_rss_bytes


def test_record_fields_and_printout(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_PROFILE", "cpu")
    monkeypatch.setenv("COURSE_RUN_RECORD_DIR", str(tmp_path))
    record = RunRecord.start("99_test", seed=5)
    record.log(dice=0.91)
    info = record.finish()
    assert info["profile"] == "cpu" and info["device"] == "cpu" and info["seed"] == 5
    assert info["wall_time_s"] >= 0 and info["peak_rss_bytes"] > 10_000_000
    assert {"python", "torch", "numpy"} <= set(info["versions"])
    assert info["results"] == {"dice": 0.91}
    printed = capsys.readouterr().out
    for line in ("Run record: 99_test", "wall time  :", "peak RSS   :", "device     : cpu"):
        assert line in printed
    saved = json.loads((tmp_path / "99_test.json").read_text())
    assert saved["chapter"] == "99_test" and not list(tmp_path.glob("*.tmp"))


def test_peak_rss_grows_with_allocation():
    before = peak_rss_bytes()
    block = bytearray(200 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])
    assert peak_rss_bytes() >= before
    assert peak_rss_bytes() > 200 * 1024 * 1024


def test_summarize_lists_chapters_and_flags_over_budget(tmp_path):
    from course_lib.core.run_record import summarize

    for chapter, seconds in (("01_fast", 20.0), ("02_slow", 200.0)):
        (tmp_path / f"{chapter}.json").write_text(
            json.dumps(
                {
                    "chapter": chapter,
                    "profile": "cpu",
                    "wall_time_s": seconds,
                    "peak_rss_bytes": 1.5e9,
                    "time_budget_s": 150.0,
                }
            )
        )
    table = summarize(tmp_path)
    assert "01_fast" in table and "OVER BUDGET" in table.splitlines()[2]
    assert "ok" in table.splitlines()[1]
