"""report.html in a real browser: self-contained, no script, statuses, media types, matched works, thumbnails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scan_fixtures import Registered, build_mixed_dataset, photo, write_tar

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip


class Opened:
    """A report page opened in chromium, with what it requested, logged and tried to pop up."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []


@pytest.fixture
def open_report() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)

        def opener(report_html: Path) -> Opened:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            o = Opened(page)
            page.on("request", lambda r: o.requests.append(r.url))
            page.on("console", lambda m: o.console.append(m.text))
            page.on("dialog", lambda d: (o.dialogs.append(d.message), d.dismiss()))
            page.goto(report_html.as_uri())
            return o

        yield opener
        browser.close()


def _cells(page: Any, selector: str) -> dict[str, list[str]]:
    """Rows of a table as {first cell: [other cells]}."""
    rows = page.eval_on_selector_all(
        f"{selector} tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    return {r[0]: r[1:] for r in rows}


@pytest.mark.browser
def test_report_of_a_mixed_dataset_in_chromium(
    registered: Registered, test_data: Path, tmp_path: Path, open_report: Any
) -> None:
    """16 real items (SpamAssassin/SOTU texts, real photos, C2PA/IPTC files, header/robots/TDMRep signals)."""
    build_mixed_dataset(tmp_path / "data", registered, test_data)
    config = ScanConfig(Purpose.GENAI_TRAIN, str(registered.snapshot), utcnow())
    scan(str(tmp_path / "data"), tmp_path / "out", config, key_path=tmp_path / "k.pem")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    # Literal counts from the fixture's table (scan_fixtures.build_mixed_dataset): 9 denials by 6 sources,
    # 1 item nobody spoke for, 3 unreadable, 1 licence, 2 allowed.
    assert report["statuses"] == {
        "items": 16,
        "allowed": 2,
        "licence": 1,
        "refused": 9,
        "unknown": 1,
        "error": 3,
    }
    assert report["refused_by_source"] == {
        "registry": 4, "X-Robots-Tag": 1, "tdmrep.json": 1, "robots.txt": 1, "c2pa": 1, "iptc-xmp": 1,
    }  # fmt: skip
    assert report["by_media"] == {
        "text": {"allowed": 2, "licence": 1, "refused": 5, "error": 2},
        "image": {"refused": 4, "unknown": 1, "error": 1},
    }
    assert report["headline"].startswith(
        "12 of 16 items carry a stated preference: 2 allowed, 1 need a licence"
    )
    matched = {m["item_id"]: m for m in report["matched"]}
    assert sorted(matched) == [
        "altered-image", "altered-licensed", "disputed", "exact-image", "exact-text", "registered-allowed",
    ]  # fmt: skip
    assert [(w["title"], w["owner_name"], w["kind"]) for w in matched["altered-image"]["works"]] == [
        ("Carol's photo", "Carol Camera", "pdq")
    ]
    assert matched["exact-image"]["works"][0]["kind"] == "sha256"
    assert matched["exact-image"]["works"][0]["score"] == 1.0
    assert [m for m in matched if matched[m]["thumbnail"]] == ["exact-image", "altered-image"]
    card = (tmp_path / "out" / "datacard.md").read_text()
    assert "- registry: 4\n" in card and "| image | 6 | 0 | 0 | 4 | 1 | 1 |" in card

    o = open_report(tmp_path / "out" / "report.html")
    page = o.page
    assert o.requests == [(tmp_path / "out" / "report.html").as_uri()], "the page must load nothing else"
    assert not [c for c in o.console if "Content Security Policy" in c], o.console
    assert page.locator("script").count() == 0
    # The stylesheet is allowed by its CSP hash: tiles get their colour bar.
    assert (
        page.eval_on_selector("#tile-refused", "e => getComputedStyle(e).borderTopColor")
        == "rgb(198, 40, 40)"
    )
    assert page.locator("#headline").inner_text().startswith("12 of 16 items carry a stated preference")
    tiles = {k: page.locator(f"#tile-{k} b").inner_text() for k in ("items", "refused", "unknown", "error")}
    assert tiles == {"items": "16", "refused": "9", "unknown": "1", "error": "3"}
    assert _cells(page, "#refused")["registry"] == ["4"]
    assert _cells(page, "#media") == {
        "text": ["10", "2", "1", "5", "0", "2"],
        "image": ["6", "0", "0", "4", "1", "1"],
    }
    for status, n in (("refused", "9"), ("licence", "1"), ("unknown", "1"), ("error", "3")):
        assert page.locator(f"#items-{status} .count").inner_text() == n
        assert page.locator(f"#items-{status} tbody tr").count() == int(n)
    assert page.locator("#items-unknown tbody tr td").first.inner_text() == "clean-unknown"
    matched_rows = page.locator("#matched tbody tr")
    assert matched_rows.count() == 6
    altered = page.locator("#matched tbody tr", has_text="altered-image")
    assert altered.locator(".work").inner_text() == "Carol's photo"
    assert altered.locator(".owner").inner_text() == "Carol Camera"
    assert altered.locator(".kind").inner_text() == "pdq"
    widths = page.eval_on_selector_all("img.thumb", "is => is.map(i => [i.complete, i.naturalWidth])")
    assert len(widths) == 2 and all(done and w > 0 for done, w in widths), widths
    shot = tmp_path / "report.png"  # the test artefact: pytest keeps the last runs' tmp_path folders
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.browser
def test_hostile_titles_owners_ids_and_urls_render_as_text(
    test_data: Path, tmp_path: Path, open_report: Any
) -> None:
    from mediamanager.model import parse_preference_spec
    from mediamanager.registry.accounts import AccountService
    from mediamanager.registry.snapshot import export_snapshot
    from mediamanager.registry.store.engine import make_engine, upgrade_schema
    from mediamanager.registry.uow import UnitOfWork
    from mediamanager.registry.works import WorkService

    title, owner = '<img src=x onerror="alert(1)">', "<script>alert(2)</script>"
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade_schema(engine)
    uow = UnitOfWork(engine)
    who, _ = AccountService(uow).create_owner(owner)
    image = photo(test_data, 12)
    WorkService(uow).register_content(
        who, image, filename="p.jpg", title=title, preferences=parse_preference_spec("genai-train=deny")
    )
    export_snapshot(uow, tmp_path / "snap")
    engine.dispose()
    url = 'https://x.example/"><script>alert(3)</script>'
    samples = [
        {"__key__": b"hostile", "jpg": image, "json": json.dumps({"url": url}).encode()},
        {"__key__": b"<svg onload=alert(4)>", "txt": b"plain words " * 30, "json": b"{}"},
    ]
    write_tar(tmp_path / "d.tar", samples)
    config = ScanConfig(Purpose.GENAI_TRAIN, str(tmp_path / "snap"), utcnow())
    scan(str(tmp_path / "d.tar"), tmp_path / "out", config, key_path=tmp_path / "k.pem")
    o = open_report(tmp_path / "out" / "report.html")
    assert not o.dialogs, "a title, owner, id or URL was executed"
    row = o.page.locator("#matched tbody tr", has_text="hostile")
    assert row.locator(".work").inner_text() == title
    assert row.locator(".owner").inner_text() == owner
    assert url in row.inner_text()
    assert o.page.locator("img[src=x]").count() == 0 and o.page.locator("script").count() == 0
    assert o.page.locator("#items-unknown tbody tr td").first.inner_text() == "<svg onload=alert(4)>"
