"""The packaged registry: complete, well-formed, every checksum traced to its source."""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

import pytest

from data_fetch.errors import InsecureURLError, RegistryError, UnknownDatasetError
from data_fetch.hashing import parse_hash
from data_fetch.registry import default_registry_path, load_registry

# Only what a chapter reads with COURSE_DATA=real (course_lib.real_data; README "Real data").
REQUIRED = [
    "organamnist",
    "dermamnist",
    "msd_braintumour",
    "msd_hippocampus",
    "ixi_t1",
    "ixi_t2",
    "ixi_pd",
]


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_the_registry_holds_exactly_what_chapters_use(registry):
    assert sorted(registry) == sorted(REQUIRED)
    for spec in registry.values():
        assert spec.raw.get("chapters"), f"{spec.name} names no chapter"


def test_every_file_cites_a_versioned_published_source(registry):
    for spec in registry.values():
        assert spec.license and spec.citation and spec.modality and spec.description
        for item in spec.files:
            source = registry.sources[item.source]
            assert {"package", "version", "file"} <= set(source), item.source
            assert all(url.startswith("https://") for url in item.urls), item.urls
            algorithm, digest = parse_hash(item.hash)
            assert algorithm == "md5" and len(digest) == 32


def test_lookup_is_case_insensitive_and_suggests(registry):
    assert registry["OrganAMNIST"].name == "organamnist"
    with pytest.raises(UnknownDatasetError) as info:
        registry["hipocampus"]
    assert "msd_hippocampus" in str(info.value)


def _write(tmp_path, datasets, sources=None) -> Path:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"sources": sources or {"s": {}}, "datasets": datasets}))
    return path


def _entry(**file_fields):
    item = {
        "filename": "a.npz",
        "urls": ["https://example.org/a.npz"],
        "hash": "md5:" + "a" * 32,
        "source": "s",
        **file_fields,
    }
    return {
        "title": "t",
        "description": "d",
        "modality": "m",
        "license": "l",
        "citation": "c",
        "files": [item],
    }


@pytest.mark.parametrize(
    "fields, error, message",
    [
        ({"hash": None}, RegistryError, "no 'hash'"),
        ({"hash": "a" * 32}, RegistryError, "algorithm prefix"),
        ({"hash": "md5:abc"}, RegistryError, "32 hex digits"),
        ({"hash": "crc32:" + "a" * 8}, RegistryError, "not supported"),
        ({"urls": ["http://example.org/a.npz"]}, InsecureURLError, "HTTPS only"),
        ({"source": "elsewhere"}, RegistryError, "not in the registry's 'sources'"),
        ({"filename": "../a.npz"}, RegistryError, "must not contain a directory"),
    ],
)
def test_malformed_registries_are_rejected(tmp_path, fields, error, message):
    with pytest.raises(error, match=re.escape(message)):
        load_registry(_write(tmp_path, {"x": _entry(**fields)}))


def test_duplicate_file_names_are_rejected(tmp_path):
    with pytest.raises(RegistryError, match="unique"):
        load_registry(_write(tmp_path, {"x": _entry(), "y": _entry()}))


def _literal(path: Path, owner: str | None, name: str):
    tree = ast.parse(path.read_text())
    nodes = tree.body
    if owner:
        nodes = next(
            n.body for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == owner
        )
    for node in nodes:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise LookupError(name)


@pytest.mark.skipif(
    not os.environ.get("DATA_FETCH_SOURCES_DIR"),
    reason="set DATA_FETCH_SOURCES_DIR to the unzipped medmnist/monai/torchio wheels",
)
def test_checksums_match_the_published_sources(registry):
    """Re-read every URL and md5 from the packages named in the registry.

    Prepare with ``pip download --no-deps medmnist==3.0.2 monai==1.6.1
    torchio==1.2.1`` and unzip each wheel into ``$DATA_FETCH_SOURCES_DIR``.
    """
    root = Path(os.environ["DATA_FETCH_SOURCES_DIR"])
    found = {}
    for key, source in registry.sources.items():
        matches = list(root.glob(f"*/{source['file']}"))
        assert matches, f"{source['file']} not under {root}"
        found[key] = matches[0]
    info = _literal(found["medmnist-3.0.2"], None, "INFO")
    msd_urls = _literal(found["monai-1.6.1"], "DecathlonDataset", "resource")
    msd_md5 = _literal(found["monai-1.6.1"], "DecathlonDataset", "md5")
    ixi_url = _literal(found["torchio-1.2.1"], "IXI", "base_url")
    ixi_md5 = _literal(found["torchio-1.2.1"], "IXI", "md5_dict")
    checked = 0
    for spec in registry.values():
        (item,) = spec.files
        if item.source == "medmnist-3.0.2":
            key, _, size = spec.name.partition("_")
            flag = f"_{size}" if size else ""
            expected = (info[key][f"url{flag}"], info[key][f"MD5{flag}"])
        elif item.source == "monai-1.6.1":
            task = item.filename.removesuffix(".tar")
            expected = (msd_urls[task], msd_md5[task])
        else:
            contrast = item.filename.removeprefix("IXI-").removesuffix(".tar")
            published = ixi_url.format(modality=contrast)
            assert spec.raw["files"][0]["published_url"] == published
            expected = (published.replace("http://", "https://", 1), ixi_md5[contrast])
        assert (item.urls[0], item.hash) == (expected[0], "md5:" + expected[1]), spec.name
        checked += 1
    assert checked == len(registry)


def test_packaged_registry_is_package_data():
    assert default_registry_path().name == "registry.json" and default_registry_path().is_file()


@pytest.mark.network
def test_every_registry_url_answers(registry):
    """HEAD every URL (run with --run-network; never in CI)."""
    import requests

    failures = []
    for spec in registry.values():
        for item in spec.files:
            for url in item.urls:
                try:
                    response = requests.head(url, allow_redirects=True, timeout=(10, 30))
                    if response.status_code >= 400:
                        failures.append(f"{url}: HTTP {response.status_code}")
                except requests.RequestException as error:
                    failures.append(f"{url}: {error}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- issue 20, problem 5
@pytest.mark.parametrize(
    "name", ["../../../escaped", "a/b", "a\\b", "..", ".", "", ".hidden", "x\0y", "C:evil", "~user"]
)
def test_dataset_names_that_are_not_plain_folder_names_are_rejected(tmp_path, name):
    with pytest.raises(RegistryError, match="name"):
        load_registry(_write(tmp_path, {name: _entry()}))


@pytest.mark.parametrize("filename", ["..", ".", "a\0b", ".part", "-rf"])
def test_file_names_that_are_not_plain_are_rejected(tmp_path, filename):
    with pytest.raises(RegistryError):
        load_registry(_write(tmp_path, {"x": _entry(filename=filename)}))


def test_every_packaged_name_is_a_plain_folder_name(registry):
    for spec in registry.values():
        assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", spec.name), spec.name
