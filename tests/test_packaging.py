"""pyproject.toml and environment.yml describe the same runtime environment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda/pip names in environment.yml that stand for a pyproject requirement
ALIASES = {"tensorflow-cpu": "tensorflow", "pytorch": "torch"}


def _name(requirement: str) -> str:
    name = re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0]
    return name.lower().replace("_", "-")


def _pyproject_runtime() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    names |= {_name(r) for r in project["optional-dependencies"]["keras"]}
    return names


def _environment_yml() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            for pip_entry in entry.get("pip", []):
                if pip_entry.startswith("-"):
                    continue  # index options and the editable install of the course
                names.add(_name(pip_entry))
        else:
            names.add(_name(entry))
    names -= {"python", "pip"}
    return {ALIASES.get(name, name) for name in names}


def test_environment_yml_matches_pyproject():
    in_pyproject, in_env = _pyproject_runtime(), _environment_yml()
    assert in_pyproject - in_env == set(), f"missing from environment.yml: {in_pyproject - in_env}"
    assert in_env - in_pyproject == set(), f"missing from pyproject.toml: {in_env - in_pyproject}"


def test_no_forbidden_dependencies():
    """torchvision and medmnist pull a multi-GB CUDA torch here; the course avoids them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    everything = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        everything += extra
    names = {_name(r) for r in everything}
    assert not names & {"torchvision", "medmnist"}


def test_torch_range_admits_cpu_build():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch_req = next(r for r in project["dependencies"] if _name(r) == "torch")
    from packaging.specifiers import SpecifierSet

    assert "2.13.0" in SpecifierSet(torch_req[len("torch") :])


def test_readme_quick_start_is_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
