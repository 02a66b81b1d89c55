"""The axe helper finds what axe-core documents, under the portal's own CSP (script-src 'self').

The oracle is axe-core's rule catalogue (https://dequeuniversity.com/rules/axe/4.14): an ``<img>``
without ``alt`` is ``image-alt`` (critical), a ``<button>`` without a name ``button-name`` (critical),
``<html>`` without ``lang`` ``html-has-lang`` (serious), #999 on #aaa text ``color-contrast`` (serious).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.loopback import static_site
from tests.web.axe_audit import assert_accessible, axe_violations

pytestmark = pytest.mark.browser

CSP = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "script-src 'self'"}
BAD = b"""<!doctype html><html><head><title>bad</title></head><body><main><h1>Bad</h1>
<img src="/x.png"><button></button><p style="color:#999;background:#aaa">faint text</p>
<script>document.title = "inline ran"</script></main></body></html>"""
GOOD = b"""<!doctype html><html lang="en"><head><title>good</title></head><body><main><h1>Good</h1>
<img src="/x.png" alt="a grey square"><button type="button">Save</button>
<p style="color:#111;background:#fff">clear text</p></main></body></html>"""
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with static_site() as site, sync_playwright() as p:
        site.files = {
            "/bad": (200, BAD, CSP),
            "/good": (200, GOOD, CSP),
            "/x.png": (200, PNG, {"Content-Type": "image/png"}),
        }
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            pg = browser.new_page()
            pg.base = site.url  # type: ignore[attr-defined]
            yield pg
        finally:
            browser.close()


def test_axe_reports_exactly_the_serious_and_critical_rules_under_a_strict_csp(page: Any) -> None:
    page.goto(page.base + "/bad")
    assert page.title() == "bad"  # the inline script was refused: the page's CSP is in force
    found = axe_violations(page)
    assert [(v["id"], v["impact"]) for v in found] == [
        ("button-name", "critical"),
        ("color-contrast", "serious"),
        ("html-has-lang", "serious"),
        ("image-alt", "critical"),
    ]
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)


def test_a_clean_page_passes(page: Any) -> None:
    page.goto(page.base + "/good")
    assert axe_violations(page) == []
    assert_accessible(page)
    page.goto(page.base + "/good")  # a new document: axe is injected again
    assert axe_violations(page) == []
