"""Download one file safely: stream, verify, rename; retry, resume, lock.

What :func:`download_file` guarantees:

* the file is streamed in 1 MiB chunks to ``<target>.part`` beside the target
  (constant memory) and hashed on the fly, exactly as sent: ``Accept-Encoding:
  identity`` is asked for and a ``Content-Encoding`` is never decoded (no expansion
  on disk); at most ``max_bytes`` (and never more than the free disk space) are written;
* no symbolic link planted at the target, its ``.part``, ``.verified`` stamp or
  ``.lock`` is followed (:class:`~data_fetch.errors.UnsafeCacheError`);
* only a file whose checksum matches is renamed (atomically, ``os.replace``)
  to ``target``: the target name never holds a partial or unverified file;
* (connect, read) timeouts; transient failures (connection error, timeout,
  truncated body, HTTP 5xx/408/429) are retried a bounded number of times
  with exponential backoff; a retry resumes with an HTTP ``Range`` request
  when the server honours it, and restarts from zero otherwise;
* a per-target lock file (:mod:`filelock`) makes concurrent processes fetch
  the file once: the second waits, then finds the verified file;
* HTTPS only, never downgraded by a redirect; a classroom mirror's redirects stay on
  its own host (see :mod:`data_fetch.netpolicy`);
* a checksum mismatch deletes the bad download and raises
  :class:`~data_fetch.errors.HashMismatchError`; after any failure the partial
  file is deleted unless ``keep_partial=True`` (then a later call resumes it).

References
----------
The stream-to-temporary-file, verify, rename design and the algorithm-prefixed
hashes follow pooch (Uieda et al., JOSS 5(45):1943, 2020, doi:10.21105/joss.01943).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from urllib.parse import urljoin

import requests
import urllib3
from filelock import FileLock
from filelock import Timeout as LockTimeout
from tqdm.auto import tqdm

from .cache import ensure_writable, open_cache_file, refuse_symlink
from .errors import DataFetchError, DownloadError, HashMismatchError
from .hashing import (
    hash_matches,
    new_hasher,
    parse_hash,
    remove_with_stamp,
    stamp_is_valid,
    stamp_path,
    write_stamp,
)
from .netpolicy import check_redirect_allowed, check_url_allowed

__all__ = [
    "DEFAULT_TIMEOUT",
    "download_file",
    "is_cached",
    "partial_path",
    "lock_path",
    "refuse_planted_links",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (10.0, 60.0)  # seconds: (connect, read between bytes)
_CHUNK = 1 << 20
_MAX_REDIRECTS = 10
_MAX_BACKOFF = 30.0
_RETRY_STATUS = {408, 429, 500, 502, 503, 504}


class _Retryable(Exception):
    """A transient failure: the attempt may be repeated."""


def partial_path(target: Path) -> Path:
    """Return ``<target>.part``, where a download in progress is written."""
    return target.with_name(target.name + ".part")


def lock_path(target: Path) -> Path:
    """Return ``<target>.lock``, the lock file guarding ``target``."""
    return target.with_name(target.name + ".lock")


def refuse_planted_links(target: Path) -> None:
    """Refuse ``target`` if it, or its partial file, stamp or lock, is a symbolic link.

    Raises
    ------
    UnsafeCacheError
        Naming the link and how to remove it.
    """
    for path in (target, partial_path(target), stamp_path(target), lock_path(target)):
        refuse_symlink(path)


def is_cached(target: os.PathLike | str, known_hash: str, full_check: bool = False) -> bool:
    """Return True if ``target`` exists and has ``known_hash``.

    Without ``full_check`` a valid stamp (same size and mtime as when last
    verified) is trusted; otherwise every byte is hashed (and a stamp written).

    Raises
    ------
    UnsafeCacheError
        If the file, its stamp, partial file or lock is a symbolic link.
    """
    target = Path(target)
    refuse_planted_links(target)
    if not target.is_file():
        return False
    if not full_check and stamp_is_valid(target, known_hash):
        return True
    if hash_matches(target, known_hash):
        write_stamp(target, known_hash)
        return True
    return False


def _open_following_redirects(
    session: requests.Session, url: str, headers: dict, timeout, allow_http: bool
) -> requests.Response:
    """GET ``url``, following redirects by hand; with ``allow_http`` (a classroom
    mirror) only within the mirror's own origin."""
    current = url
    for _ in range(_MAX_REDIRECTS + 1):
        response = session.get(
            current, headers=headers, stream=True, timeout=timeout, allow_redirects=False
        )
        if not response.is_redirect:
            return response
        location = urljoin(current, response.headers["Location"])
        response.close()
        check_redirect_allowed(current, location, allow_http=allow_http, same_origin=allow_http)
        current = location
    raise DownloadError(url, f"more than {_MAX_REDIRECTS} redirects")


def _content_range_start(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Range", "")  # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _stream_once(session, url, part, algorithm, timeout, allow_http, progress, desc, max_bytes):
    """One attempt. Returns ``(resumed_from, "<alg>:<hex>", content_encoding)``.

    The body is written exactly as received (``decode_content=False``): a
    ``Content-Encoding`` the client did not ask for is never expanded on disk.
    Raises _Retryable for transient failures.
    """
    offset = part.lstat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = _open_following_redirects(session, url, headers, timeout, allow_http)
        with response:
            status = response.status_code
            hasher = new_hasher(algorithm)
            if status == 206 and offset and _content_range_start(response) == offset:
                mode = "ab"
                with open_cache_file(part, "rb") as done:
                    for chunk in iter(lambda: done.read(_CHUNK), b""):
                        hasher.update(chunk)
                logger.info("Resuming %s at byte %d", url, offset)
            elif status == 200:
                mode, offset = "wb", 0
            elif status in (206, 416):
                part.unlink(missing_ok=True)
                raise _Retryable(f"the server did not honour the resume request (HTTP {status})")
            elif status in _RETRY_STATUS:
                raise _Retryable(f"the server answered HTTP {status} {response.reason}")
            else:
                raise DownloadError(url, f"the server answered HTTP {status} {response.reason}")
            encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
            length = response.headers.get("Content-Length", "")
            total = offset + int(length) if length.isdigit() else None
            limit = shutil.disk_usage(part.parent).free + offset
            if max_bytes is not None:
                limit = min(limit, max_bytes)
            if total is not None and total > limit:
                _too_big(url, total, limit, max_bytes)
            # Keep every byte of a truncated body (so a retry can resume after it);
            # the length is checked below instead.
            response.raw.enforce_content_length = False
            size = offset
            with (
                open_cache_file(part, mode) as sink,
                tqdm(
                    total=total,
                    initial=offset,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=desc,
                    disable=not progress,
                    leave=False,
                ) as bar,
            ):
                for chunk in response.raw.stream(_CHUNK, decode_content=False):
                    size += len(chunk)
                    if size > limit:
                        _too_big(url, size, limit, max_bytes)
                    sink.write(chunk)
                    hasher.update(chunk)
                    bar.update(len(chunk))
            if total is not None and size != total:
                raise _Retryable(
                    "the connection closed before the whole file arrived "
                    f"({size:,} of {total:,} bytes)"
                )
    except requests.exceptions.SSLError as error:  # not transient: do not retry
        raise DownloadError(
            url,
            "the secure (TLS) connection failed, e.g. the certificate could not be "
            "verified (a wrong system clock or a proxy that intercepts HTTPS can cause "
            f"this): {error}",
        ) from error
    except (requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError) as error:
        raise _Retryable(_describe_network_error(error, timeout)) from error
    return offset, f"{algorithm}:{hasher.hexdigest()}", encoding


def _too_big(url: str, size: int, limit: int, max_bytes: int | None) -> None:
    what = (
        "its declared size"
        if max_bytes is not None and limit == max_bytes
        else "the free disk space"
    )
    raise DownloadError(
        url, f"the server sent more than {limit:,} bytes ({what}); the partial file was deleted"
    )


def _describe_network_error(error: Exception, timeout) -> str:
    text = str(error).lower()
    if isinstance(error, requests.ConnectTimeout):
        return f"no connection within {timeout[0]} s (connect timeout)"
    if isinstance(error, requests.Timeout) or "timed out" in text:
        return f"the server sent nothing for {timeout[1]} s (read timeout)"
    if "incompleteread" in text or "connection broken" in text or "protocol" in text:
        return "the connection closed before the whole file arrived"
    return f"the connection failed ({type(error).__name__})"


def _acquire(lock: FileLock, target: Path, lock_timeout: float) -> None:
    try:
        lock.acquire(timeout=0.05)
        return
    except LockTimeout:
        logger.info("Waiting for another process that is fetching %s", target.name)
    try:
        lock.acquire(timeout=lock_timeout)
    except LockTimeout as error:
        raise DataFetchError(
            f"Gave up after {lock_timeout} s waiting for another process fetching "
            f"{target}. If no other download is running, delete {lock.lock_file}."
        ) from error


def download_file(
    url: str,
    target: os.PathLike | str,
    known_hash: str,
    *,
    timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
    retries: int = 3,
    backoff: float = 1.0,
    progress: bool = True,
    allow_http: bool = False,
    keep_partial: bool = False,
    session: requests.Session | None = None,
    lock_timeout: float = -1,
    max_bytes: int | None = None,
) -> Path:
    """Download ``url`` to ``target`` and check its published checksum.

    Parameters
    ----------
    url : str
        HTTPS URL (HTTP only for loopback, or with ``allow_http``).
    target : path-like
        Final file path; its folder is created.
    known_hash : str
        ``"<algorithm>:<hex>"``, e.g. ``"md5:0744…"``.
    timeout : (float, float) or float
        Connect and read timeouts in seconds (read = longest silence allowed).
    retries : int
        Extra attempts after the first for transient failures.
    backoff : float
        Wait ``backoff * 2**k`` seconds (at most 30 s) before retry ``k+1``.
    progress : bool
        Show a ``tqdm.auto`` progress bar.
    allow_http : bool
        The URL is an explicit classroom mirror: accept plain HTTP to it, and
        follow redirects only within its origin (scheme, host, port).
    keep_partial : bool
        Keep ``<target>.part`` after a network failure so that a later call
        resumes it (default: delete it).
    session : requests.Session, optional
        Session to use (a new one is made and closed otherwise).
    lock_timeout : float
        Seconds to wait for another process fetching the same file (-1: forever).
    max_bytes : int, optional
        Stop (and delete the partial file) once more bytes than this arrive, e.g.
        the size a registry declares. The free disk space always bounds a download.

    Returns
    -------
    pathlib.Path
        ``target``, which now holds the verified file.

    Raises
    ------
    InsecureURLError, DownloadError, HashMismatchError, CacheNotWritableError
    """
    target = Path(target)
    if isinstance(timeout, (int, float)):
        timeout = (float(timeout), float(timeout))
    check_url_allowed(url, allow_http=allow_http)
    algorithm, digest = parse_hash(known_hash)
    expected = f"{algorithm}:{digest}"
    if retries < 0:
        raise ValueError(f"retries={retries} must be >= 0.")
    if is_cached(target, expected):
        return target
    ensure_writable(target.parent)
    lock = FileLock(str(lock_path(target)))
    _acquire(lock, target, lock_timeout)
    try:
        if is_cached(target, expected):  # fetched by another process meanwhile
            return target
        remove_with_stamp(target)  # corrupted copy, if any
        own = session is None
        session = requests.Session() if own else session
        try:
            _download_locked(
                session,
                url,
                target,
                expected,
                algorithm,
                timeout,
                retries,
                backoff,
                progress,
                allow_http,
                keep_partial,
                max_bytes,
            )
        finally:
            if own:
                session.close()
    finally:
        lock.release()
    return target


def _download_locked(
    session,
    url,
    target,
    expected,
    algorithm,
    timeout,
    retries,
    backoff,
    progress,
    allow_http,
    keep_partial,
    max_bytes,
) -> None:
    part = partial_path(target)
    attempt, restarted = 0, False
    try:
        while True:
            attempt += 1
            try:
                resumed_from, actual, encoding = _stream_once(
                    session,
                    url,
                    part,
                    algorithm,
                    timeout,
                    allow_http,
                    progress,
                    target.name,
                    max_bytes,
                )
            except _Retryable as error:
                if attempt > retries:
                    kept = str(part) if keep_partial and part.exists() else None
                    raise DownloadError(url, str(error), attempt, partial=kept) from error
                delay = min(backoff * 2 ** (attempt - 1), _MAX_BACKOFF)
                logger.warning("Download of %s failed: %s; retrying in %.1f s", url, error, delay)
                time.sleep(delay)
                continue
            if actual == expected:
                os.replace(part, target)
                write_stamp(target, expected)
                return
            part.unlink(missing_ok=True)
            if resumed_from and not restarted:  # the kept prefix may be the culprit
                restarted = True
                logger.warning("Resumed download of %s failed its checksum; restarting", url)
                continue
            if encoding != "identity":
                raise DownloadError(
                    url,
                    (
                        f"the server sent the file with Content-Encoding: {encoding} although "
                        "identity was asked for; these bytes do not have the published checksum "
                        f"({expected}) and are not decoded (decoding can expand without bound). "
                        "Try another mirror or report it"
                    ),
                )
            raise HashMismatchError(url, expected, actual)
    except BaseException as error:
        resumable = isinstance(error, KeyboardInterrupt) or (
            isinstance(error, DownloadError) and error.partial
        )
        if not (keep_partial and resumable):
            part.unlink(missing_ok=True)
        raise
