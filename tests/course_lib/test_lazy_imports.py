"""The package imports lazily: the structure is declared, modules load on first use."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import course_lib
from course_lib._checks import did_you_mean
from course_lib._lazy import attach


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )


def test_import_course_lib_loads_neither_torch_nor_matplotlib():
    result = _run("""
        import sys, course_lib, course_lib.core, course_lib.simulation, course_lib.metrics
        print(sorted(m for m in ("torch", "matplotlib", "tensorflow") if m in sys.modules))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_simulation_works_without_torch_installed(tmp_path):
    # A meta-path finder that refuses torch stands in for an environment without it.
    result = _run(f"""
        import os, sys
        class NoTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError("No module named 'torch' (blocked by the test)")
        sys.meta_path.insert(0, NoTorch())
        os.environ["COURSE_DATA_DIR"] = {str(tmp_path)!r}
        import course_lib.simulation
        from course_lib.simulation import CENTERS, load_icbm152, tissue_signals
        from course_lib.metrics import dice
        anatomy = load_icbm152(resolution=2)
        print(len(CENTERS), dice(anatomy.mask > 0, anatomy.mask > 0))
        try:
            import course_lib.simulation.datasets
        except ModuleNotFoundError as error:
            print("datasets need torch:", "torch" in str(error))
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1.0" in result.stdout and "datasets need torch: True" in result.stdout


def test_every_declared_name_resolves():
    import importlib

    packages = ["course_lib"] + [
        f"course_lib.{name}"
        for name in course_lib.__all__
        if importlib.util.find_spec(f"course_lib.{name}") is not None
    ]
    for package in packages:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", []):
            assert getattr(module, name) is not None, f"{package}.{name}"


def test_top_level_names_are_the_library_objects():
    from course_lib.core.training import fit

    assert course_lib.fit is fit
    assert "fit" in dir(course_lib) and "models" in dir(course_lib)


def test_unknown_name_suggests_the_close_one():
    with pytest.raises(AttributeError, match="Did you mean 'seed_everything'"):
        course_lib.seed_everyting  # noqa: B018


def test_attach_and_did_you_mean_on_a_toy_package():
    getattr_, dir_, all_ = attach(
        "json", submodules=["decoder"], names={"decoder": ["JSONDecoder"]}
    )
    import json.decoder

    assert getattr_("JSONDecoder") is json.decoder.JSONDecoder
    assert getattr_("decoder") is json.decoder
    assert all_ == dir_() == ["JSONDecoder", "decoder"]
    assert did_you_mean("zzz", ["fit"]) == ""


def test_no_exported_name_shadows_a_submodule():
    """In a lazy package ``pkg.name`` must mean one thing: importing a submodule sets the
    package attribute of its name, which would hide an exported function of that name."""
    import importlib
    import pkgutil

    packages = ["course_lib"] + [
        f"course_lib.{info.name}"
        for info in pkgutil.iter_modules(course_lib.__path__)
        if info.ispkg
    ]
    for package in packages:
        module = importlib.import_module(package)
        if not hasattr(module, "__getattr__"):
            continue  # imports eagerly (course_lib.harmonization)
        submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
        for name in getattr(module, "__all__", []):
            if name in submodules:
                assert importlib.import_module(f"{package}.{name}") is getattr(module, name), (
                    f"{package}.{name} is both a submodule and an exported object"
                )
