"""What pooch does with the hostile inputs of issue 20 (the README's "Why data_fetch does not use pooch").

Not run by ``make benchmarks`` (pooch is not a dependency): ``pip install pooch==1.9.0`` in a
scratch venv, then ``python benchmarks/why_not_pooch.py``. Loopback only (two servers on
127.0.0.1); everything is written to a temporary folder.
"""

import gzip
import hashlib
import inspect
import logging
import os
import sys
import tarfile
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pooch

logging.getLogger("pooch").setLevel(logging.ERROR)
BODY = os.urandom(200_000)
BOMB = gzip.compress(b"\0" * (16 << 20), compresslevel=9)
log = []


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *a):
        pass

    def do_GET(self):
        log.append(
            (
                self.server.server_address[1],
                self.path,
                self.headers.get("Range"),
                self.headers.get("Accept-Encoding"),
            )
        )
        if self.path == "/bomb":
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(BOMB)))
            self.end_headers()
            self.wfile.write(BOMB)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{other.server_address[1]}/elsewhere")
            self.end_headers()
        elif self.path == "/trunc":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[:50_000])
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
other = ThreadingHTTPServer(("127.0.0.1", 0), H)
for s in (srv, other):
    threading.Thread(target=s.serve_forever, daemon=True).start()
url = lambda p: f"http://127.0.0.1:{srv.server_address[1]}{p}"
tmp = Path(tempfile.mkdtemp())
print("pooch", pooch.__version__, "python", sys.version.split()[0])
# 1 content-encoding
try:
    pooch.retrieve(url("/bomb"), known_hash=None, path=tmp, fname="bomb.bin", progressbar=False)
except Exception as e:
    print("bomb error", e)
print(
    f"1. gzip-encoded {len(BOMB):,}-byte body written as {(tmp / 'bomb.bin').stat().st_size:,} bytes; Accept-Encoding sent: {log[-1][3]!r}"
)
# 2 redirect to other host
log.clear()
try:
    pooch.retrieve(url("/redirect"), known_hash=None, path=tmp, fname="r.bin", progressbar=False)
except Exception:
    pass
print("2. redirect to another port followed:", any(p == other.server_address[1] for p, *_ in log))
# 3 resume
log.clear()
try:
    pooch.retrieve(
        url("/trunc"),
        known_hash="md5:" + hashlib.md5(BODY).hexdigest(),
        path=tmp,
        fname="t.bin",
        progressbar=False,
    )
except Exception as e:
    print(
        "3. truncated body:",
        type(e).__name__,
        "| Range headers ever sent:",
        [r for *_, r, _ in log if r] or "none",
        "| partial kept:",
        [p.name for p in tmp.iterdir() if p.name.startswith("tmp")] or "no",
    )
# 4 untar chain on this python
arch = tmp / "chain.tar"
with tarfile.open(arch, "w") as t:
    for name, target in (("a", "."), ("x", "a/a/a/../.."), ("y", "x/victim")):
        i = tarfile.TarInfo(name)
        i.type, i.linkname = tarfile.SYMTYPE, target
        t.addfile(i)
dest = tmp / "cache" / "chain"
try:
    pooch.Untar(extract_dir=str(dest))(str(arch), "download", None)
    outside = [
        p
        for p in dest.iterdir()
        if p.is_symlink() and not os.path.realpath(p).startswith(str(dest))
    ]
    print(
        "4. Untar on this Python created links out of the folder:",
        [f"{p.name} -> {os.path.realpath(p)}" for p in outside],
    )
except Exception as e:
    print("4. Untar refused:", type(e).__name__, e)
src = inspect.getsource(pooch.processors.Untar._extract_file)
print(
    "   Untar passes filter='data' only when:",
    [l.strip() for l in src.splitlines() if "version_info" in l],
)
print("5. cross-process lock in pooch:", any("lock" in n.lower() for n in dir(pooch.core)))
