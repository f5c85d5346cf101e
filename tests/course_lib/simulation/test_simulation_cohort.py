"""make_cohort: determinism, seeds, on-disk cache (speed, atomicity, errors)."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.simulation import cohort as cohort_module
from course_lib.simulation import make_cohort, simulate_subject, subject_seed

OPTIONS = dict(lesions=True, n_raters=3)


def test_cohort_seeds_are_derived_and_distinct(course_data_dir):
    seeds = [subject_seed(0, "03", i) for i in range(5)]
    assert len(set(seeds)) == 5
    assert seeds == [subject_seed(0, "ge_discovery_3t", i) for i in range(5)]
    assert subject_seed(0, "01", 0) != seeds[0] and subject_seed(1, "03", 0) != seeds[0]
    subjects = make_cohort(2, center="03", seed=0, cache=False, contrasts=("T1w",))
    direct = simulate_subject("ge_discovery_3t", seed=seeds[1], contrasts=("T1w",))
    assert np.array_equal(subjects[1].images["T1w"], direct.images["T1w"])
    assert not course_data_dir.exists()  # cache=False writes nothing


def test_cache_hit_loads_without_simulating_and_is_identical(course_data_dir, anatomy, monkeypatch):
    # (how much faster a cache hit is, is measured by benchmarks/bench_simulator.py, not here)
    generated = make_cohort(2, center="01", seed=4, cache=False, **OPTIONS)
    first = make_cohort(2, center="01", seed=4, **OPTIONS)  # simulates and stores
    entries = list((course_data_dir / "simulated").iterdir())
    assert len(entries) == 1 and not entries[0].name.startswith(".tmp")

    def must_not_simulate(*args, **kwargs):
        raise AssertionError("a cache hit must not simulate again")

    monkeypatch.setattr(cohort_module, "simulate_subject", must_not_simulate)
    loaded = make_cohort(2, center="01", seed=4, **OPTIONS)
    monkeypatch.undo()
    for a, b, c in zip(generated, first, loaded):
        assert np.array_equal(a.images["FLAIR"], c.images["FLAIR"])
        assert np.array_equal(b.rater_masks, c.rater_masks)
        assert np.array_equal(a.template_coords, c.template_coords)
    # default-valued options share the cache entry; other arguments do not
    make_cohort(2, center="siemens_verio_3t", seed=4, lesions=True, n_raters=3, atrophy=0.0)
    assert len(list((course_data_dir / "simulated").iterdir())) == 1


def test_failure_leaves_no_partial_entry(course_data_dir, monkeypatch, anatomy):
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("simulated crash")
        return simulate_subject(*args, **kwargs)

    monkeypatch.setattr(cohort_module, "simulate_subject", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        make_cohort(3, seed=9, contrasts=("T1w",))
    assert list((course_data_dir / "simulated").iterdir()) == []


def test_unwritable_cache_dir_names_env_var(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("COURSE_DATA_DIR", str(blocker / "data"))
    with pytest.raises(PermissionError, match="COURSE_DATA_DIR"):
        make_cohort(1, contrasts=("T1w",))
    assert blocker.read_text() == "not a directory" and list(tmp_path.iterdir()) == [blocker]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n=-1), ValueError, "non-negative"),
        (dict(n=2, seed=-3), ValueError, "seed"),
        (dict(n=1, center="center 5"), ValueError, "ge_discovery_3t"),
        (dict(n=1, resolution=3), ValueError, r"\(1, 2\)"),
        (dict(n=1, lesion=True), TypeError, "lesions"),
    ],
)
def test_bad_arguments(kwargs, error, match, course_data_dir):
    with pytest.raises(error, match=match):
        make_cohort(**kwargs)
    assert not course_data_dir.exists()


def test_zero_subjects(course_data_dir):
    assert make_cohort(0) == []


def test_each_numeric_configuration_has_its_own_cache_entry(monkeypatch):
    from course_lib.simulation.cache import NUMERIC_ENV, cohort_key

    arguments = {"n": 2, "center": "ge_discovery_3t", "seed": 0}
    monkeypatch.delenv(NUMERIC_ENV, raising=False)
    native = cohort_key(arguments)
    monkeypatch.setenv(NUMERIC_ENV, "native")
    assert cohort_key(arguments) == native
    monkeypatch.setenv(NUMERIC_ENV, "portable")
    assert cohort_key(arguments) != native
