"""Exceptions raised by :mod:`data_fetch`.

Every error message is written for a student: it says what went wrong, which
file or URL was involved, and what to do next. All errors derive from
:class:`DataFetchError`, so ``except DataFetchError`` catches any of them.
"""

from __future__ import annotations

__all__ = [
    "DataFetchError",
    "UnknownDatasetError",
    "RegistryError",
    "InsecureURLError",
    "DownloadError",
    "HashMismatchError",
    "OfflineError",
    "CacheNotWritableError",
    "ArchiveError",
    "UnsafeArchiveError",
    "UnsafeCacheError",
]


class DataFetchError(Exception):
    """Base class of every error raised by :mod:`data_fetch`."""


class UnknownDatasetError(DataFetchError, KeyError):
    """A data set name is not in the registry.

    Parameters
    ----------
    name : str
        The name that was asked for.
    suggestions : list of str
        Close registry names (``difflib`` matches), possibly empty.
    """

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = (
            f" Did you mean {', '.join(repr(s) for s in self.suggestions)}?"
            if self.suggestions
            else ""
        )
        super().__init__(
            f"Unknown data set {name!r}.{hint} Run `python -m data_fetch list` to see every name."
        )

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0])


class RegistryError(DataFetchError, ValueError):
    """The registry file is malformed (missing field, bad hash format...)."""


class InsecureURLError(DataFetchError, ValueError):
    """A URL is not HTTPS (plain HTTP is allowed only for loopback or a mirror),
    or a redirect tried to downgrade HTTPS to HTTP."""


class DownloadError(DataFetchError, OSError):
    """A download failed after all retries (network error, timeout, HTTP error).

    Parameters
    ----------
    url : str
        The URL that failed.
    reason : str
        What happened on the last attempt.
    attempts : int
        How many attempts were made.
    partial : str or None
        Path of the partial file kept for a later resume, or None when the
        partial download was deleted.
    """

    def __init__(
        self, url: str, reason: str, attempts: int = 1, partial: str | None = None
    ) -> None:
        self.url = url
        self.reason = reason
        self.attempts = attempts
        self.partial = partial
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        kept = (
            f"the partial file {partial} was kept and the next attempt resumes it"
            if partial
            else "nothing partial was kept in the cache"
        )
        super().__init__(
            f"Could not download {url}{tries}: {reason}. Check the network "
            f"connection and try again; {kept}."
        )

    def __str__(self) -> str:
        return str(self.args[0])


class HashMismatchError(DataFetchError, ValueError):
    """A downloaded (or cached) file does not have the published checksum.

    The bad file has already been deleted when this is raised.

    Parameters
    ----------
    url : str
        Where the file came from (or the cached path for a corrupted file).
    expected : str
        The published hash, ``"<algorithm>:<hex>"``.
    actual : str
        The hash of the bytes received, same format.
    """

    def __init__(self, url: str, expected: str, actual: str) -> None:
        self.url = url
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"Checksum mismatch for {url}: expected {expected}, got {actual}. "
            "The download was corrupted or the file changed on the server; the "
            "bad file was deleted. Try again; if it persists, report it."
        )


class OfflineError(DataFetchError, RuntimeError):
    """``COURSE_OFFLINE=1`` (or ``offline=True``) and the file is not cached."""


class CacheNotWritableError(DataFetchError, PermissionError):
    """The data cache directory cannot be created or written."""


class ArchiveError(DataFetchError, ValueError):
    """An archive cannot be extracted (not a tar or zip file, unreadable, disk full)."""


class UnsafeArchiveError(ArchiveError):
    """An archive member would be written outside the extraction folder (``../`` path,
    absolute path, link resolving outside, device file) or the archive unpacks to more
    than its bound (archive bomb)."""


class UnsafeCacheError(DataFetchError):
    """A path of the cache is a symbolic link (or resolves outside the cache): someone
    else may have planted it, so it is never followed."""
