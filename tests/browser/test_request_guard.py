"""The request log used by the browser tests really sees, and blocks, outside requests."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_outside_request_is_recorded_and_aborted(context, tmp_path):
    page_file = tmp_path / "page.html"
    (tmp_path / "local.css").write_text("body { color: black; }")
    page_file.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="local.css">'
        '</head><body><img src="https://example.invalid/x.png">'
        '<img src="http://127.0.0.1:9/y.png"></body></html>'
    )
    page = context.new_page()
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    assert context.log.outside() == ["https://example.invalid/x.png"]
    assert context.log.external == ["https://example.invalid/x.png"]  # aborted, never sent
    assert (tmp_path / "local.css").as_uri() in context.log.urls
    assert any("127.0.0.1:9" in failure for failure in context.log.failed)
