"""The registry: which data sets exist, where their files live, their checksums.

The registry is a data file, ``data_fetch/registry.json``, never code. Each
data set entry has a title, description, modality, license, citation(s) and a
list of files; each file has a file name, one or more URLs and a checksum
``"<algorithm>:<hex>"`` copied from a published source named in the file's
``source`` field (the ``sources`` table says which package, version and file).

Tests and instructors can load another registry file with
:func:`load_registry` (``python -m data_fetch --registry FILE ...``).
"""

from __future__ import annotations

import difflib
import json
import os
import types
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Mapping

from .cache import check_plain_name
from .errors import RegistryError, UnknownDatasetError
from .hashing import parse_hash
from .netpolicy import check_url_allowed

__all__ = ["FileSpec", "DatasetSpec", "Registry", "load_registry", "default_registry_path"]

_REQUIRED_DATASET_FIELDS = ("title", "description", "modality", "license", "citation", "files")


@dataclass(frozen=True)
class FileSpec:
    """One downloadable file of a data set.

    Attributes
    ----------
    filename : str
        Name of the file in the cache (no directories).
    urls : tuple of str
        Download locations, tried in order (HTTPS, or loopback HTTP in tests).
    hash : str
        Published checksum, ``"<algorithm>:<hex>"``.
    source : str
        Key of the ``sources`` table entry the URL and hash were copied from.
    extract : bool
        True for a tar/zip archive that is unpacked after download.
    """

    filename: str
    urls: tuple[str, ...]
    hash: str
    source: str
    extract: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """One registry entry (see the module docstring for the fields)."""

    name: str
    title: str
    description: str
    modality: str
    license: str
    citation: tuple[str, ...]
    files: tuple[FileSpec, ...]
    family: str = ""
    homepage: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


class Registry(Mapping[str, DatasetSpec]):
    """A read-only mapping ``name -> DatasetSpec`` loaded from a JSON file.

    Parameters
    ----------
    datasets : dict of str to DatasetSpec
        The entries.
    sources : dict
        The ``sources`` table (where checksums were copied from).
    path : pathlib.Path or None
        File the registry was read from.
    """

    def __init__(
        self,
        datasets: dict[str, DatasetSpec],
        sources: Mapping[str, Any],
        path: Path | None = None,
    ) -> None:
        self._datasets = dict(datasets)
        self.sources = types.MappingProxyType(dict(sources))
        self.path = path

    def __getitem__(self, name: str) -> DatasetSpec:
        try:
            return self._datasets[name]
        except KeyError:
            pass
        lowered = {key.lower(): key for key in self._datasets}
        if isinstance(name, str) and name.lower() in lowered:
            return self._datasets[lowered[name.lower()]]
        suggestions = difflib.get_close_matches(
            str(name).lower(), list(self._datasets), n=3, cutoff=0.6
        )
        raise UnknownDatasetError(str(name), suggestions)

    def __iter__(self) -> Iterator[str]:
        return iter(self._datasets)

    def __len__(self) -> int:
        return len(self._datasets)


def default_registry_path() -> Path:
    """Return the path of the registry shipped with the package."""
    return Path(str(resources.files("data_fetch").joinpath("registry.json")))


def _parse_file(name: str, raw: Mapping[str, Any], sources: Mapping[str, Any]) -> FileSpec:
    where = f"registry entry {name!r}"
    filename = raw.get("filename")
    if not isinstance(filename, str) or not filename:
        raise RegistryError(f"{where}: every file needs a 'filename'.")
    if "/" in filename or "\\" in filename:
        raise RegistryError(f"{where}: filename {filename!r} must not contain a directory.")
    check_plain_name(filename, f"file name in {where}")
    urls = raw.get("urls")
    if isinstance(urls, str) or not urls:
        raise RegistryError(f"{where}: file {filename!r} needs a non-empty list 'urls'.")
    for url in urls:
        check_url_allowed(url, allow_http=False)
    known_hash = raw.get("hash")
    if not known_hash:
        raise RegistryError(
            f"{where}: file {filename!r} has no 'hash'. Entries without a published "
            "checksum are not allowed."
        )
    parse_hash(known_hash)
    source = raw.get("source")
    if not isinstance(source, str) or not source:
        raise RegistryError(f"{where}: file {filename!r} must name its checksum 'source'.")
    if sources and source not in sources:
        raise RegistryError(
            f"{where}: file {filename!r} cites source {source!r}, which is not in "
            f"the registry's 'sources' table ({', '.join(sources)})."
        )
    return FileSpec(
        filename=filename,
        urls=tuple(urls),
        hash=known_hash.lower(),
        source=source,
        extract=bool(raw.get("extract", False)),
    )


def _parse_dataset(name: str, raw: Mapping[str, Any], sources: Mapping[str, Any]) -> DatasetSpec:
    check_plain_name(name, "registry data set name")
    missing = [key for key in _REQUIRED_DATASET_FIELDS if key not in raw]
    if missing:
        raise RegistryError(f"registry entry {name!r} lacks {', '.join(missing)}.")
    citation = raw["citation"]
    citation = (citation,) if isinstance(citation, str) else tuple(citation)
    files = tuple(_parse_file(name, item, sources) for item in raw["files"])
    if not files:
        raise RegistryError(f"registry entry {name!r} has an empty 'files' list.")
    return DatasetSpec(
        name=name,
        title=str(raw["title"]),
        description=str(raw["description"]),
        modality=str(raw["modality"]),
        license=str(raw["license"]),
        citation=citation,
        files=files,
        family=str(raw.get("family", "")),
        homepage=str(raw.get("homepage", "")),
        raw=types.MappingProxyType(dict(raw)),
    )


def load_registry(path: os.PathLike | str | None = None) -> Registry:
    """Read and validate a registry file.

    Parameters
    ----------
    path : path-like, optional
        A registry JSON file. Default: the one shipped in the package.

    Returns
    -------
    Registry
        Mapping of data set name to :class:`DatasetSpec`.

    Raises
    ------
    RegistryError
        If the file is not valid JSON, a field is missing, a hash is malformed,
        a URL is not HTTPS (loopback HTTP excepted), or two entries share a
        file name (the classroom mirror is keyed by name/filename).
    """
    path = Path(path) if path is not None else default_registry_path()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise RegistryError(f"Registry file {path} does not exist.") from error
    except ValueError as error:
        raise RegistryError(f"Registry file {path} is not valid JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("datasets"), dict):
        raise RegistryError(f"Registry file {path} must hold an object with a 'datasets' table.")
    sources = document.get("sources") or {}
    datasets = {
        name: _parse_dataset(name, raw, sources) for name, raw in document["datasets"].items()
    }
    seen: dict[str, str] = {}
    for spec in datasets.values():
        for item in spec.files:
            if item.filename in seen:
                raise RegistryError(
                    f"File name {item.filename!r} is used by both {seen[item.filename]!r} "
                    f"and {spec.name!r}; file names must be unique."
                )
            seen[item.filename] = spec.name
    return Registry(datasets, sources, path)
