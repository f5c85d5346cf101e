"""Miniature real-format data sets served from 127.0.0.1 as a classroom mirror.

Each test builds files in the layout and header conventions of the real data sets
(a flat IXI tar of ``IXI<nnn>-<site>-<nnnn>-<contrast>.nii.gz``; a decathlon task tar with
``dataset.json``, ``imagesTr/``, ``labelsTr/``, ``imagesTs/`` and macOS ``._*`` companions;
a MedMNIST ``.npz``), writes a registry for them under the *real* registry names, and
serves them with ``http.server`` on the loopback interface as ``COURSE_DATA_MIRROR``. The
loaders then go through the real download path: mirror URL, checksum, safe extraction.
The registry's own URLs point at ``.invalid`` hosts: any attempt to leave 127.0.0.1 fails.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import ipaddress
import json
import socket
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import nibabel as nib
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Refuse every connection or name lookup that is not loopback."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

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


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """``publish(entries) -> registry path``: files served at ``http://127.0.0.1:<port>/``.

    ``entries`` maps a registry name to ``(filename, bytes, extract, extra fields)``; the
    files are laid out as ``<name>/<filename>`` (the classroom-mirror layout) and the
    returned registry holds their md5. ``COURSE_DATA_MIRROR`` and ``COURSE_DATA_DIR`` are set.
    """
    root = tmp_path / "mirror"
    root.mkdir()
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    monkeypatch.setenv("COURSE_DATA_MIRROR", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "course-data"))
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.delenv("COURSE_DATA", raising=False)
    from data_fetch.registry import default_registry_path

    packaged = json.loads(default_registry_path().read_text())

    def publish(entries: dict) -> str:
        datasets = {}
        for name, (filename, body, extract, extra) in entries.items():
            (root / name).mkdir(exist_ok=True)
            (root / name / filename).write_bytes(body)
            entry = dict(packaged["datasets"][name])  # the real entry, with its metadata...
            entry.update(extra)
            entry["files"] = [
                {
                    "filename": filename,  # ...but the miniature's file
                    "urls": [f"https://{name}.invalid/{filename}"],
                    "hash": "md5:" + hashlib.md5(body).hexdigest(),
                    "source": entry["files"][0]["source"],
                    "extract": extract,
                }
            ]
            datasets[name] = entry
        path = tmp_path / "registry.json"
        path.write_text(json.dumps({"sources": packaged["sources"], "datasets": datasets}))
        return str(path)

    yield publish
    httpd.shutdown()
    httpd.server_close()


# --------------------------------------------------------------------------- builders
def nifti_gz(array: np.ndarray, affine: np.ndarray, slope: float | None = None) -> bytes:
    image = nib.Nifti1Image(array, affine)
    image.header.set_xyzt_units("mm")
    if slope is not None:
        image.header.set_slope_inter(slope, 0.0)
    return gzip.compress(image.to_bytes(), mtime=0)


def tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as handle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            handle.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def build():
    """The builders above, for the test modules."""
    from types import SimpleNamespace

    return SimpleNamespace(nifti_gz=nifti_gz, tar=tar)
