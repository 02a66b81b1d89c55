"""report.html in a real browser: self-contained, charts drawn, the item table searchable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scan_fixtures import Registered

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.mark.browser
def test_report_page_renders_offline_and_filters(text_registry: Registered, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    rows = [
        {"id": f"noai-{i}", "text": f"text {i} " * 30, "headers": {"X-Robots-Tag": "noai"}} for i in range(5)
    ]
    rows += [
        {"id": "letter", "text": text_registry.texts["deny"]},
        {"id": "plain", "text": "nobody knows " * 30},
    ]
    rows += [{"id": "<script>alert(1)</script>", "text": "x " * 40, "headers": {"X-Robots-Tag": "noai"}}]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = ScanConfig(Purpose.GENAI_TRAIN, str(text_registry.snapshot), utcnow())
    scan(str(tmp_path / "d.jsonl"), tmp_path / "out", config, key_path=tmp_path / "k.pem")
    page_url = (tmp_path / "out" / "report.html").as_uri()
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(page_url)
        assert requests == [page_url], "the report must not load anything else"
        assert page.locator("svg rect").count() >= 4
        assert page.locator("svg rect").first.bounding_box()["width"] > 0  # type: ignore[index]
        assert page.locator("#shown").inner_text() == "8"
        page.fill("#q", "noai-3")
        assert page.locator("#shown").inner_text() == "1"
        page.fill("#q", "")
        page.select_option("#f", "drop")
        assert page.locator("#shown").inner_text() == "8"
        page.fill("#q", "Alice Author")
        assert page.locator("#items tbody tr:not([hidden])").first.inner_text().startswith("letter")
        assert not dialogs, "an item id was executed as script"
        browser.close()
