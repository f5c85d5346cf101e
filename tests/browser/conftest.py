"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright, a JupyterLab
server on a loopback port, and a request log that fails a test on any request leaving the
machine.

The tests skip (with the reason) when ``/usr/bin/chromium`` or the ``playwright`` package is
missing, so ``make test`` still passes on a laptop without them; CI installs Chromium
(``.ci/run``). Playwright's own browser download (``playwright install``) is never used.
Screenshots go to ``build/browser-screenshots/``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "build" / "browser-screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome-error"}
# The environment `make test-notebooks` runs chapters in (see the Makefile's NB_ENV).
KERNEL_ENV = {
    "COURSE_PROFILE": "cpu",
    "COURSE_DEVICE": "cpu",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONHASHSEED": "0",
}


def is_local(url: str) -> bool:
    """True for file:/data:/blob:/about: URLs and http(s)/ws(s) to 127.0.0.1 or localhost."""
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS


class RequestLog:
    """Every request a browser context makes; requests leaving the machine are aborted."""

    def __init__(self, context):
        self.urls: list[str] = []
        self.failed: list[str] = []
        self.external: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))
        context.on(
            "requestfailed",
            lambda request: self.failed.append(f"{request.url} ({request.failure})"),
        )
        context.on(
            "response",
            lambda response: (
                response.status >= 400
                and self.failed.append(f"{response.url} (HTTP {response.status})")
            ),
        )
        context.route("**/*", self._route)

    def _route(self, route):
        if is_local(route.request.url):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def outside(self) -> list[str]:
        """Requests to anything but the loopback interface or local files."""
        return sorted({url for url in self.urls + self.external if not is_local(url)})


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (Debian's), shared by the session."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} "
            "(apt-get install chromium); CI installs it"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser context (1280 x 800) whose requests are logged in ``context.log``."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.log = RequestLog(ctx)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lab_settings(directory: Path) -> None:
    """Render every notebook cell (no windowing) and never fetch news or update checks."""
    settings = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for name, values in settings.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _stop(process: subprocess.Popen) -> None:
    """Stop the JupyterLab server by its PID, then any kernel it left behind (by PID)."""
    try:
        import psutil

        children = psutil.Process(process.pid).children(recursive=True)
    except Exception:  # psutil missing or the process already gone
        children = []
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for child in children:
        try:
            child.wait(timeout=5)
        except Exception:
            try:
                child.kill()
            except Exception:
                pass


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory, browser):
    """A JupyterLab server on a free loopback port with a random token.

    It serves a temporary copy of ``notebooks/`` (the committed notebooks are never modified)
    and is stopped by the PID of the real ``jupyter-lab`` process, even when a test fails.
    Yields ``SimpleNamespace(url, token, notebooks, log)``.
    """
    from types import SimpleNamespace

    executable = ROOT / ".venv" / "bin" / "jupyter-lab"
    if not executable.exists():
        pytest.skip(f"{executable} not found: run `make venv` first")
    base = tmp_path_factory.mktemp("jupyterlab")
    notebooks = base / "notebooks"
    shutil.copytree(
        ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    _lab_settings(base / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        **KERNEL_ENV,
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        COURSE_RUN_RECORD_DIR=str(base / "run_records"),
    )
    log_path = base / "jupyterlab.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                str(executable),
                "--no-browser",
                f"--port={port}",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.token={token}",
                "--allow-root",
                f"--notebook-dir={notebooks}",
                f"--LabApp.user_settings_dir={base / 'settings'}",
                f"--LabApp.workspaces_dir={base / 'workspaces'}",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            cwd=notebooks,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.5)
        yield SimpleNamespace(url=url, token=token, notebooks=notebooks, log=log_path)
    finally:
        _stop(process)
