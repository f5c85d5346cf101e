"""Which URLs may be fetched: HTTPS only, never downgraded.

Plain ``http://`` is accepted only for a loopback host (``127.0.0.1``,
``::1``, ``localhost``: the test server, a local proxy) or when the caller
says the URL is an explicit classroom mirror (``COURSE_DATA_MIRROR``). A
redirect from ``https://`` to ``http://`` is always refused, and a classroom
mirror may redirect only within its own origin (scheme, host and port).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .errors import InsecureURLError

__all__ = ["is_loopback_host", "check_url_allowed", "check_redirect_allowed"]


def is_loopback_host(host: str | None) -> bool:
    """Return True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url_allowed(url: str, allow_http: bool = False) -> str:
    """Check that ``url`` may be downloaded; return it unchanged.

    Parameters
    ----------
    url : str
        The URL.
    allow_http : bool
        Accept plain HTTP to any host (only for an explicit mirror).

    Returns
    -------
    str
        ``url``.

    Raises
    ------
    InsecureURLError
        For a scheme other than https (http to a loopback host, or any http
        when ``allow_http``, excepted) or a URL without a host.
    """
    if not isinstance(url, str):
        raise InsecureURLError(f"url={url!r} must be a string.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not parts.hostname:
        raise InsecureURLError(f"url={url!r} has no host name.")
    if scheme == "https":
        return url
    if scheme == "http" and (allow_http or is_loopback_host(parts.hostname)):
        return url
    if scheme == "http":
        raise InsecureURLError(
            f"Refusing plain-HTTP URL {url}: data_fetch downloads over HTTPS only "
            "(plain HTTP is allowed for 127.0.0.1 or a classroom mirror set with "
            "COURSE_DATA_MIRROR). Use the https:// address."
        )
    raise InsecureURLError(
        f"Refusing URL {url}: scheme {parts.scheme!r} is not supported (use https://)."
    )


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def check_redirect_allowed(
    current: str, location: str, allow_http: bool = False, same_origin: bool = False
) -> str:
    """Check a redirect from ``current`` to ``location`` (already absolute).

    Parameters
    ----------
    same_origin : bool
        Refuse a redirect to another scheme, host or port (classroom mirrors:
        plain HTTP is allowed for the mirror itself, not for where it points).

    Raises
    ------
    InsecureURLError
        If the redirect leaves HTTPS, leaves the origin when ``same_origin``, or the
        target is not allowed by :func:`check_url_allowed`.
    """
    if same_origin and _origin(current) != _origin(location):
        raise InsecureURLError(
            f"Refusing redirect from the classroom mirror {current} to another host "
            f"({location}): a mirror must serve its files itself. Fix the mirror or unset "
            "COURSE_DATA_MIRROR."
        )
    if urlsplit(current).scheme.lower() == "https" and urlsplit(location).scheme.lower() != "https":
        raise InsecureURLError(
            f"Refusing redirect from {current} to {location}: it would downgrade "
            "HTTPS to an insecure connection."
        )
    return check_url_allowed(location, allow_http=allow_http)
