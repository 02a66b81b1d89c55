"""Bulk registration from a folder, a manifest and a sitemap served on loopback: idempotent, failures reported."""

from __future__ import annotations

import http.server
import json
import threading
from functools import partial
from pathlib import Path

import pytest
from tests.registry.conftest import make_text

from mediamanager.errors import InputError
from mediamanager.registry.bulk import LocalRegistrar, iter_source, run_bulk
from mediamanager.registry.service import Owner, RegistryService


def test_folder_is_idempotent_and_reports_failures(
    service: RegistryService, alice: Owner, tmp_path: Path
) -> None:
    folder = tmp_path / "works"
    folder.mkdir()
    for i in range(3):
        (folder / f"t{i}.txt").write_text(make_text(100 + i))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)  # corrupt image
    (folder / ".hidden").write_text("skip me")
    registrar = LocalRegistrar(service, alice)
    first = run_bulk(iter_source(str(folder), default_prefs="genai-train=deny"), registrar)
    assert first.created == 3 and first.existing == 0
    assert [name for name, _ in first.failures] == [str(folder / "broken.png")]
    second = run_bulk(iter_source(str(folder)), registrar, progress=True)
    assert second.created == 0 and second.existing == 3 and len(second.failures) == 1
    assert len(service.list_works(alice)) == 3


def test_manifests_csv_and_jsonl(service: RegistryService, alice: Owner, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(make_text(110))
    (tmp_path / "b.txt").write_text(make_text(111))
    (tmp_path / "m.csv").write_text(
        "path,title,creator,source_url,collection,preferences\n"
        "a.txt,A,Ann,https://ann.example/a|https://mirror.example/a,poems,genai-train=deny\n"
        "missing.txt,M,,,,\n"
        ",no path,,,,\n"
    )
    (tmp_path / "m.jsonl").write_text(
        json.dumps({"path": "b.txt", "title": "B", "source_urls": ["https://ann.example/b"]})
        + "\n{not json\n"
    )
    registrar = LocalRegistrar(service, alice)
    csv_report = run_bulk(iter_source(str(tmp_path / "m.csv")), registrar)
    assert csv_report.created == 1 and len(csv_report.failures) == 2
    jsonl_report = run_bulk(iter_source(str(tmp_path / "m.jsonl")), registrar)
    assert jsonl_report.created == 1 and len(jsonl_report.failures) == 1
    titles = {w.title: w for w in service.list_works(alice)}
    assert titles["A"].collection == "poems" and titles["A"].source_urls[1] == "https://mirror.example/a"


def test_sitemap_and_rss_fetched_from_loopback(
    service: RegistryService, alice: Owner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for i in range(2):
        (site / f"p{i}.txt").write_text(make_text(120 + i))
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        (site / "sitemap.xml").write_text(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{base}/p0.txt</loc></url><url><loc>{base}/p1.txt</loc></url>"
            f"<url><loc>{base}/gone.txt</loc></url></urlset>"
        )
        (site / "feed.rss").write_text(
            f'<rss version="2.0"><channel><item><title>Zero</title><link>{base}/p0.txt</link></item></channel></rss>'
        )
        registrar = LocalRegistrar(service, alice)
        guarded = run_bulk(iter_source(f"{base}/sitemap.xml"), registrar)  # the address guard, by default
        assert guarded.created == 0 and guarded.failures == [
            ("source", "'127.0.0.1' resolves to the non-public address 127.0.0.1; refused")
        ]
        monkeypatch.setenv("MEDIAMANAGER_BULK_FETCH_ALLOW_LOOPBACK", "1")
        report = run_bulk(iter_source(f"{base}/sitemap.xml"), registrar)
        assert report.created == 2 and [n for n, _ in report.failures] == [f"{base}/gone.txt"]
        rss = run_bulk(iter_source(str(site / "feed.rss")), registrar)
        assert rss.existing == 1 and rss.created == 0
        assert {w.source_urls for w in service.list_works(alice)} == {
            (f"{base}/p0.txt",),
            (f"{base}/p1.txt",),
        }
    finally:
        server.shutdown()


def test_redirects_are_guarded_at_every_hop(monkeypatch: pytest.MonkeyPatch) -> None:
    class Redirect(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

    monkeypatch.setenv("MEDIAMANAGER_BULK_FETCH_ALLOW_LOOPBACK", "1")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(InputError, match=r"non-public address 169\.254\.169\.254; refused"):
            list(iter_source(f"http://127.0.0.1:{server.server_address[1]}/sitemap.xml"))
    finally:
        server.shutdown()
