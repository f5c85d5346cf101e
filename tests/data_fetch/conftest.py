"""Fixtures for the data_fetch tests: a misbehaving HTTP server on 127.0.0.1,
miniature data files in the real formats, registries pointing at the server.

Nothing here (nor in the tests) contacts any address but the loopback one: the
autouse ``_loopback_only`` fixture makes any other connection or DNS lookup fail.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import ipaddress
import json
import socket
import tarfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

FAST = dict(timeout=(2.0, 0.5), retries=2, backoff=0.01, progress=False)


# --------------------------------------------------------------------------- network guard
@pytest.fixture(autouse=True)
def _loopback_only(request, monkeypatch):
    """Refuse every connection or name lookup that is not loopback."""
    if request.node.get_closest_marker("network"):
        return
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock, address):
        if isinstance(address, tuple) and not ipaddress.ip_address(address[0]).is_loopback:
            raise AssertionError(f"test tried to reach {address!r}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1", None):
            raise AssertionError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """No inherited switches; the default cache is a temporary folder."""
    for name in ("COURSE_OFFLINE", "COURSE_DATA_MIRROR", "COURSE_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "default-cache"))


# --------------------------------------------------------------------------- the server
@dataclass
class Route:
    """How the server answers one path (counters count GET requests)."""

    body: bytes = b""
    ranges: bool = True  # honour "Range: bytes=N-" with 206
    fail_first: int = 0  # answer HTTP 500 to the first n GETs
    status: int = 200  # status of a normal answer (404 to test errors)
    truncate_first: int = 0  # first n GETs: announce the full length, send part, close
    truncate_at: int = 0
    stall_first: int = 0  # first n GETs: say nothing for stall_s seconds
    stall_body_first: int = 0  # first n GETs: send headers and half the body, then stall
    stall_s: float = 5.0
    chunk_delay: float = 0.0  # pause between 16 kB chunks
    hold_first: bool = False  # first GET: wait for server.release before the body
    redirect: str | None = None
    headers: dict = field(default_factory=dict)  # extra response headers
    gets: int = 0


@dataclass
class Server:
    """Handle on the running server (see the ``server`` fixture)."""

    port: int
    routes: dict = field(default_factory=dict)
    log: list = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes = b"", **behaviour) -> str:
        self.routes[path] = Route(body=body, **behaviour)
        return self.url(path)

    def requests(self, path: str, method: str = "GET") -> list[dict]:
        return [r for r in self.log if r["path"] == path and r["method"] == method]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one response per connection: closing = end of body

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_HEAD(self):
        self._answer(head=True)

    def do_GET(self):
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        server: Server = self.server.state
        path = self.path.split("?")[0]
        route = server.routes.get(path)
        record = {
            "method": self.command,
            "path": path,
            "range": self.headers.get("Range"),
            "sent": 0,
        }
        with server.lock:
            server.log.append(record)
            if route is not None and not head:
                route.gets += 1
            n = route.gets if route is not None else 0
        try:
            if route is None:
                return self._simple(404, b"not found")
            if route.redirect:
                self.send_response(302)
                self.send_header("Location", route.redirect)
                self.end_headers()
                return
            if not head and n <= route.stall_first:
                server.release.wait(route.stall_s)
                return
            if not head and n <= route.fail_first:
                return self._simple(500, b"temporary failure")
            if route.status != 200:
                return self._simple(route.status, b"error")
            body, start = route.body, 0
            wanted = self.headers.get("Range")
            if wanted and route.ranges and wanted.startswith("bytes=") and wanted.endswith("-"):
                start = int(wanted[6:-1])
                if start >= len(body):
                    return self._simple(416, b"")
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
                self.send_header("Accept-Ranges", "bytes" if route.ranges else "none")
            self.send_header("Content-Length", str(len(body) - start))
            for key, value in route.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if head:
                return
            payload = body[start:]
            if n <= route.truncate_first:
                payload = payload[: route.truncate_at]
            if n <= route.stall_body_first:
                self._write(payload[: len(payload) // 2], route, record)
                self.wfile.flush()
                server.release.wait(route.stall_s)
                return
            if n == 1 and route.hold_first:
                server.release.wait(30)
            self._write(payload, route, record)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _write(self, payload: bytes, route: Route, record: dict) -> None:
        step = 16384
        for offset in range(0, len(payload), step):
            self.wfile.write(payload[offset : offset + step])
            record["sent"] += len(payload[offset : offset + step])
            if route.chunk_delay:
                self.wfile.flush()
                threading.Event().wait(route.chunk_delay)

    def _simple(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture
def server():
    """A threaded HTTP server on 127.0.0.1 whose routes the test defines."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    state = Server(port=httpd.server_address[1])
    httpd.state = state
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield state
    state.release.set()
    httpd.shutdown()
    httpd.server_close()


# --------------------------------------------------------------------------- fixture files
def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


def npz_bytes(n=(6, 3, 4), size=8, channels=1, n_labels=1, n_classes=3, seed=0) -> bytes:
    """A miniature MedMNIST .npz (same keys, dtypes and layouts as the real files)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, count in zip(("train", "val", "test"), n):
        shape = (count, size, size) if channels == 1 else (count, size, size, channels)
        arrays[f"{split}_images"] = rng.integers(0, 256, shape, dtype=np.uint8)
        high = 2 if n_labels > 1 else n_classes
        arrays[f"{split}_labels"] = rng.integers(0, high, (count, n_labels)).astype(np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def nifti_bytes(array: np.ndarray, spacing=(1.0, 1.0, 1.0)) -> bytes:
    import nibabel as nib

    image = nib.Nifti1Image(array, np.diag([*spacing, 1.0]))
    return gzip.compress(image.to_bytes(), mtime=0)


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def msd_tar_bytes(task="Task99_Tiny", channels=1, shape=(6, 5, 4), n_train=2, seed=0) -> bytes:
    """A miniature Medical Segmentation Decathlon task archive with dataset.json."""
    rng = np.random.default_rng(seed)
    members, training = {}, []
    full = shape + ((channels,) if channels > 1 else ())
    for index in range(1, n_train + 2):
        case = f"tiny_{index:03d}.nii.gz"
        members[f"{task}/imagesTr/{case}" if index <= n_train else f"{task}/imagesTs/{case}"] = (
            nifti_bytes(rng.normal(100, 20, full).astype(np.float32), (1.0, 1.5, 2.0))
        )
        if index <= n_train:
            members[f"{task}/labelsTr/{case}"] = nifti_bytes(
                rng.integers(0, 3, shape).astype(np.uint8)
            )
            training.append({"image": f"./imagesTr/{case}", "label": f"./labelsTr/{case}"})
    description = {
        "name": "Tiny",
        "modality": {str(c): f"MR{c}" for c in range(channels)},
        "labels": {"0": "background", "1": "anterior", "2": "posterior"},
        "numTraining": n_train,
        "numTest": 1,
        "training": training,
        "test": [f"./imagesTs/tiny_{n_train + 1:03d}.nii.gz"],
    }
    members[f"{task}/dataset.json"] = json.dumps(description).encode()
    return tar_bytes(members)


@pytest.fixture
def files():
    """Builders of miniature files in the real formats."""
    from types import SimpleNamespace

    return SimpleNamespace(
        md5=md5, npz=npz_bytes, nifti=nifti_bytes, tar=tar_bytes, msd_tar=msd_tar_bytes
    )


# --------------------------------------------------------------------------- registries
@pytest.fixture
def make_registry(server, tmp_path):
    """``make_registry({name: dict(filename=..., body=..., **extra)})`` -> Registry.

    Each file is served at ``/files/<filename>`` (route options in ``route``)
    with its md5 in the registry, unless ``hash`` is given.
    """
    from data_fetch.registry import load_registry

    def build(entries: dict, **route_options):
        datasets = {}
        for name, entry in entries.items():
            entry = dict(entry)
            body = entry.pop("body")
            filename = entry.pop("filename")
            route = {**route_options, **entry.pop("route", {})}
            url = server.add(f"/files/{filename}", body, **route)
            datasets[name] = {
                "title": f"Test {name}",
                "description": "fixture",
                "modality": "test",
                "license": "CC0",
                "citation": ["fixture"],
                "files": [
                    {
                        "filename": filename,
                        "urls": [url],
                        "hash": entry.pop("hash", md5(body)),
                        "source": "fixture",
                        "extract": entry.pop("extract", False),
                    }
                ],
                **entry,
            }
        path = tmp_path / "registry.json"
        path.write_text(
            json.dumps({"sources": {"fixture": {"package": "tests"}}, "datasets": datasets})
        )
        return load_registry(path)

    return build


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def assert_clean():
    """Check a cache holds no partial, temporary or unverified file."""

    def check(root: Path, registry=None) -> None:
        if not root.exists():
            return
        hashes = {}
        if registry is not None:
            hashes = {item.filename: item.hash for spec in registry.values() for item in spec.files}
        for path in root.rglob("*"):
            name = path.name
            assert not name.endswith(".part"), f"partial file left: {path}"
            assert not name.startswith(".write-test-"), f"probe file left: {path}"
            assert ".extract-" not in name, f"temporary extraction left: {path}"
            if path.is_file() and name in hashes:
                algorithm, digest = hashes[name].split(":")
                actual = hashlib.new(algorithm, path.read_bytes()).hexdigest()
                assert actual == digest, f"unverified file in the cache: {path}"

    return check
