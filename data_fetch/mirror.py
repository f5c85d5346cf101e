"""The classroom mirror: copy verified files from a folder, and export them.

An instructor with internet access runs ``python -m data_fetch export DIR``:
``DIR`` receives ``<name>/<filename>`` for every exported data set (each file
checked against its published checksum) and a ``registry.json`` describing
them. ``DIR`` can then be handed out on a USB stick (``COURSE_DATA_MIRROR=
/media/usb/course-data``) or served on the LAN (``python -m http.server -d DIR``,
``COURSE_DATA_MIRROR=http://teacher-pc:8000``). Files from a mirror are checked
against the course's own registry, never the mirror's, so a mirror cannot
change what counts as a valid file.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from urllib.parse import quote

from filelock import FileLock
from tqdm.auto import tqdm

from .cache import ensure_writable, open_cache_file
from .download import is_cached, lock_path, partial_path, refuse_planted_links
from .errors import HashMismatchError
from .hashing import new_hasher, parse_hash, remove_with_stamp, write_stamp
from .registry import Registry

__all__ = ["mirror_url", "mirror_path", "copy_verified", "write_export_registry"]

logger = logging.getLogger(__name__)
_CHUNK = 1 << 20


def mirror_url(base: str, name: str, filename: str) -> str:
    """Return ``<base>/<name>/<filename>`` for an ``http(s)://`` mirror."""
    return f"{base.rstrip('/')}/{quote(name)}/{quote(filename)}"


def mirror_path(base: os.PathLike | str, name: str, filename: str) -> Path:
    """Return ``<base>/<name>/<filename>`` for a folder mirror."""
    return Path(base).expanduser() / name / filename


def copy_verified(
    source: os.PathLike | str, target: os.PathLike | str, known_hash: str, progress: bool = True
) -> Path:
    """Copy ``source`` to ``target`` if (and only if) it has ``known_hash``.

    The copy is streamed to ``<target>.part``, hashed on the way, and renamed
    into place when the hash matches; the same lock as downloads is held.

    Returns
    -------
    pathlib.Path
        ``target``.

    Raises
    ------
    FileNotFoundError
        If ``source`` does not exist.
    HashMismatchError
        If the copy's hash differs (nothing is left at ``target``).
    """
    source, target = Path(source), Path(target)
    algorithm, digest = parse_hash(known_hash)
    expected = f"{algorithm}:{digest}"
    if is_cached(target, expected):  # refuses planted links first
        return target
    if not source.is_file():
        raise FileNotFoundError(f"{source} is not in the mirror.")
    ensure_writable(target.parent)
    refuse_planted_links(target)
    part = partial_path(target)
    with FileLock(str(lock_path(target))):
        if is_cached(target, expected):
            return target
        remove_with_stamp(target)
        hasher = new_hasher(algorithm)
        try:
            with (
                open(source, "rb") as reader,
                open_cache_file(part, "wb") as writer,
                tqdm(
                    total=source.stat().st_size,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=target.name,
                    disable=not progress,
                    leave=False,
                ) as bar,
            ):
                for chunk in iter(lambda: reader.read(_CHUNK), b""):
                    writer.write(chunk)
                    hasher.update(chunk)
                    bar.update(len(chunk))
            actual = f"{algorithm}:{hasher.hexdigest()}"
            if actual != expected:
                raise HashMismatchError(str(source), expected, actual)
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        write_stamp(target, expected)
    return target


def write_export_registry(registry: Registry, names: list[str], directory: Path) -> Path:
    """Write ``directory/registry.json`` holding the exported entries only.

    The original entries (URLs, hashes, citations, sources) are kept verbatim,
    so the folder documents where every file came from.
    """
    document = {
        "schema_version": 1,
        "about": (
            "Classroom mirror written by `python -m data_fetch export`. Use it with "
            "COURSE_DATA_MIRROR=<this folder> or serve it with `python -m http.server`. "
            "Files are laid out as <name>/<filename>."
        ),
        "sources": dict(registry.sources),
        "datasets": {name: dict(registry[name].raw) for name in names},
    }
    used = {item.source for name in names for item in registry[name].files}
    document["sources"] = {key: value for key, value in document["sources"].items() if key in used}
    ensure_writable(directory)
    path = directory / "registry.json"
    temporary = directory / ".registry.json.part"
    temporary.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    os.replace(temporary, path)
    return path
