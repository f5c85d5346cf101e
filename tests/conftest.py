"""Shared test configuration: tests run offline, in a temporary data directory."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--run-network",
        action="store_true",
        default=False,
        help="run tests marked `network` (they reach the internet; never in CI)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-network") or os.environ.get("COURSE_RUN_NETWORK_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="needs the internet: use --run-network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def course_data_dir(tmp_path, monkeypatch):
    """A fresh, empty COURSE_DATA_DIR for one test."""
    path = tmp_path / "course-data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(path))
    return path
