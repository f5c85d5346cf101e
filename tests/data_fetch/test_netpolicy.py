"""HTTPS-only policy: loopback and explicit mirrors are the only plain-HTTP exceptions."""

from __future__ import annotations

import pytest

from data_fetch.errors import InsecureURLError
from data_fetch.netpolicy import check_redirect_allowed, check_url_allowed, is_loopback_host


@pytest.mark.parametrize(
    "host, expected",
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("10.0.0.1", False),
        ("example.org", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback_host(host, expected):
    assert is_loopback_host(host) is expected


def test_url_policy():
    assert check_url_allowed("https://zenodo.org/x")
    assert check_url_allowed("http://127.0.0.1:8000/x")
    assert check_url_allowed("http://teacher-pc:8000/x", allow_http=True)
    for url in ("http://zenodo.org/x", "ftp://example.org/x", "file:///etc/passwd", "https://"):
        with pytest.raises(InsecureURLError):
            check_url_allowed(url)


def test_redirect_never_downgrades():
    with pytest.raises(InsecureURLError, match="downgrade"):
        check_redirect_allowed("https://a.org/x", "http://127.0.0.1/x", allow_http=True)
    assert check_redirect_allowed("https://a.org/x", "https://b.org/y")
    assert check_redirect_allowed("http://127.0.0.1/x", "http://localhost/y")
    with pytest.raises(InsecureURLError):
        check_redirect_allowed("http://127.0.0.1/x", "http://example.org/y")


def test_same_origin_redirects_only_when_asked():
    from data_fetch.netpolicy import check_redirect_allowed

    here, there = "http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a"
    assert check_redirect_allowed(here, there) == there
    assert check_redirect_allowed(here, "http://127.0.0.1:8000/b", same_origin=True)
    with pytest.raises(InsecureURLError, match="another host"):
        check_redirect_allowed(here, there, same_origin=True)
    with pytest.raises(InsecureURLError, match="another host"):
        check_redirect_allowed(
            "https://mirror.example/a", "https://evil.example/a", same_origin=True
        )
