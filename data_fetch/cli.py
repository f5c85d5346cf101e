"""Command line of :mod:`data_fetch`.

``python -m data_fetch list | info NAME | get NAME... | verify [NAME...] | export DIR``.

Exit codes: 0 success; 1 a download, checksum or extraction failed; 2 usage
error (unknown data set name, bad arguments); 3 offline (``COURSE_OFFLINE=1``)
and the data is not cached; 4 the cache directory is not writable.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Sequence

from .cache import cache_root, dataset_dir
from .errors import CacheNotWritableError, DataFetchError, OfflineError, UnknownDatasetError
from .fetch import cached_names, fetch, is_dataset_cached
from .maintenance import export, verify
from .registry import load_registry

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_OFFLINE, EXIT_NOT_WRITABLE = 0, 1, 2, 3, 4


def _exit_code(error: BaseException) -> int:
    if isinstance(error, UnknownDatasetError):
        return EXIT_USAGE
    if isinstance(error, OfflineError):
        return EXIT_OFFLINE
    if isinstance(error, CacheNotWritableError):
        return EXIT_NOT_WRITABLE
    return EXIT_FAILED


def _size(path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _human(nbytes: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if nbytes < 1000 or unit == "GB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000
    return ""


def _cmd_list(args, registry) -> int:
    names = [n for n, s in registry.items() if not args.family or s.family == args.family]
    width = max((len(n) for n in names), default=4)
    print(f"{'name':<{width}}  cached  {'license':<13} title")
    for name in names:
        spec = registry[name]
        mark = "yes" if is_dataset_cached(spec, args.cache_dir) else "-"
        print(f"{name:<{width}}  {mark:<6}  {spec.license:<13} {spec.title}")
    print(
        f"\n{len(names)} data sets. Details: python -m data_fetch info NAME; "
        "download: python -m data_fetch get NAME"
    )
    return EXIT_OK


def _cmd_info(args, registry) -> int:
    spec = registry[args.name]
    raw = dict(spec.raw)
    print(f"{spec.name}: {spec.title}\n\n{spec.description}\n")
    print(f"modality : {spec.modality}\nlicense  : {spec.license}")
    shown = {
        "task": "task",
        "image_size": "pixels",
        "n_channels": "channels",
        "n_samples": "samples",
        "labels": "labels",
        "homepage": "homepage",
    }
    for key, label in shown.items():
        if raw.get(key) not in (None, "", {}):
            print(f"{label:<9}: {raw[key]}")
    size = raw.get("size") or {}
    if size.get("bytes") or size.get("approx"):
        print(f"size     : {size.get('approx') or _human(size['bytes'])}")
    print("citation :")
    for line in spec.citation:
        print(f"  - {line}")
    folder = dataset_dir(spec.name, args.cache_dir)
    for index, item in enumerate(spec.files):
        source = dict(registry.sources.get(item.source, {}))
        origin = (
            f"{source.get('package')} {source.get('version')}, {source.get('file')}"
            if source
            else item.source
        )
        local = folder / item.filename
        state = f"cached, {_human(local.stat().st_size)}" if local.is_file() else "not downloaded"
        print(
            f"file     : {item.filename} ({state})\n  url    : {', '.join(item.urls)}"
            f"\n  hash   : {item.hash}\n  source : {origin}"
        )
        note = dict(raw["files"][index]).get("url_note")
        if note:
            print(f"  note   : {note}")
    print(f"cache    : {folder}")
    return EXIT_OK


def _cmd_get(args, registry) -> int:
    code = EXIT_OK
    for name in args.names:
        try:
            path = fetch(
                name,
                registry=registry,
                cache_dir=args.cache_dir,
                offline=args.offline,
                mirror=args.mirror,
                progress=not args.quiet,
                keep_partial=args.keep_partial,
            )
        except (DataFetchError, OSError) as error:
            print(f"FAILED {name}: {error}", file=sys.stderr)
            code = code or _exit_code(error)
            continue
        print(f"ok     {registry[name].name} -> {path} ({_human(_size(path))})")
    return code


def _cmd_verify(args, registry) -> int:
    names = args.names or cached_names(registry, args.cache_dir)
    if not names:
        print(f"Nothing to verify: no data set in the cache {cache_root(args.cache_dir)}.")
        return EXIT_OK
    for name in names:
        registry[name]  # unknown names: usage error before any work
    reports = verify(
        names,
        registry=registry,
        cache_dir=args.cache_dir,
        repair=not args.no_repair,
        offline=args.offline,
        mirror=args.mirror,
        progress=not args.quiet,
    )
    bad = [r for r in reports if not r.ok and not (r.status == "missing" and not args.names)]
    for report in reports:
        print(f"{report.status:<9} {report.name}/{report.filename}: {report.message}")
    return EXIT_FAILED if bad else EXIT_OK


def _cmd_export(args, registry) -> int:
    directory = export(
        args.directory,
        args.names or None,
        registry=registry,
        cache_dir=args.cache_dir,
        offline=args.offline,
        mirror=args.mirror,
        progress=not args.quiet,
    )
    print(
        f"Exported to {directory}. Students can use it with COURSE_DATA_MIRROR={directory} "
        f"(or serve it: python -m http.server -d {directory})."
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m data_fetch``."""
    parser = argparse.ArgumentParser(
        prog="python -m data_fetch",
        description="Download, check and share the course's real data sets.",
        epilog="Environment: COURSE_DATA_DIR (cache), COURSE_OFFLINE=1 (no network), "
        "COURSE_DATA_MIRROR (classroom folder or URL).",
    )
    parser.add_argument("--registry", help="registry JSON file (default: the packaged one)")
    parser.add_argument("--cache-dir", help="course data directory (default: $COURSE_DATA_DIR)")
    parser.add_argument(
        "--mirror", help="classroom mirror folder or URL (default: $COURSE_DATA_MIRROR)"
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="never use the network (default: $COURSE_OFFLINE)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list", help="list the data sets")
    listing.add_argument("--family", help="only medmnist, msd or ixi")
    commands.add_parser("info", help="describe one data set").add_argument("name")
    get = commands.add_parser("get", help="download data sets into the cache")
    get.add_argument("names", nargs="+", metavar="NAME")
    get.add_argument(
        "--keep-partial",
        action="store_true",
        help="keep an interrupted download so the next `get` resumes it",
    )
    check = commands.add_parser("verify", help="re-check cached files, repair broken ones")
    check.add_argument("names", nargs="*", metavar="NAME")
    check.add_argument("--no-repair", action="store_true", help="only report")
    out = commands.add_parser(
        "export", help="write verified files + registry for a classroom mirror"
    )
    out.add_argument("directory", metavar="DIR")
    out.add_argument("names", nargs="*", metavar="NAME")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="data_fetch: %(message)s"
    )
    commands = {
        "list": _cmd_list,
        "info": _cmd_info,
        "get": _cmd_get,
        "verify": _cmd_verify,
        "export": _cmd_export,
    }
    try:
        registry = load_registry(args.registry)
        return commands[args.command](args, registry)
    except DataFetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return _exit_code(error)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `python -m data_fetch list | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # anything unforeseen: one line, the traceback with -v
        if args.verbose:
            raise
        print(
            f"error: {type(error).__name__}: {error} (run again with -v for details)",
            file=sys.stderr,
        )
        return EXIT_FAILED
