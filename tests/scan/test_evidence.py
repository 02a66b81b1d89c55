"""``mediamanager evidence fetch`` against a real HTTP server on loopback, then an offline scan that uses the cache."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from scan_fixtures import Registered
from tests.loopback import static_site

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.evidence import EvidenceCache, html_head_of
from mediamanager.scan.run import scan

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")

SITE: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/robots.txt": (200, {"content-type": "text/plain"}, b"User-agent: GPTBot\nDisallow: /private/\n"),
    "/ai.txt": (404, {}, b"not here"),
    "/.well-known/tdmrep.json": (
        200,
        {"content-type": "application/json"},
        json.dumps([{"location": "/articles/*", "tdm-reservation": 1}]).encode(),
    ),
    "/articles/1.html": (
        200,
        {"content-type": "text/html"},
        b"<html><head><title>A</title></head><body>x</body>",
    ),
    "/private/notes.txt": (200, {"content-type": "text/plain"}, b"private notes"),
    "/open/page.html": (
        200,
        {"content-type": "text/html", "X-Robots-Tag": "noai"},
        b"<html><head><meta name='x' content='y'></head><body>hi</body></html>",
    ),
    "/plain/ok.html": (200, {"content-type": "text/html"}, b"<html><head></head><body>fine</body></html>"),
}


@pytest.fixture
def site() -> Iterator[str]:
    with static_site() as s:
        s.files.update({path: (status, body, headers) for path, (status, headers, body) in SITE.items()})
        yield s.url


def test_fetch_then_scan_offline(site: str, text_registry: Registered, tmp_path: Path) -> None:
    paths = ["/articles/1.html", "/private/notes.txt", "/open/page.html", "/plain/ok.html"]
    urls = [site + p for p in paths] + ["http://127.0.0.1:9/unreachable"]
    (tmp_path / "urls.txt").write_text("\n".join(urls))
    cache = tmp_path / "evidence.sqlite"
    res = subprocess.run(
        [MEDIAMANAGER, "evidence", "fetch", "--from", str(tmp_path / "urls.txt"), "--cache", str(cache),
         "--timeout", "5", "--allow-private"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "4 pages, 2 sites, 1 failed" in res.stdout and "unreachable" in res.stderr

    c = EvidenceCache(cache, readonly=True)
    hit = c.get(site + "/open/page.html")
    assert hit is not None and ("x-robots-tag", "noai") in hit.headers
    assert hit.html_head is not None and hit.html_head.endswith("</head>")
    assert hit.robots_txt and "GPTBot" in hit.robots_txt and hit.tdmrep_json and hit.ai_txt is None
    assert c.get("http://127.0.0.1:9/unreachable").error  # type: ignore[union-attr]
    c.close()

    data = tmp_path / "urls.jsonl"
    data.write_text("".join(json.dumps({"id": p, "url": u, "text": f"text for {p} " * 20}) + "\n"
                            for p, u in zip([*paths, "dead"], urls, strict=True)))  # fmt: skip
    config = ScanConfig(Purpose.GENAI_TRAIN, str(text_registry.snapshot), utcnow(), evidence_cache=str(cache))
    scan(str(data), tmp_path / "out", config, key_path=tmp_path / "k.pem")
    rows = {r["item_id"]: r for r in pq.read_table(tmp_path / "out" / "decisions.parquet").to_pylist()}
    assert (rows["/articles/1.html"]["outcome"], rows["/articles/1.html"]["reason"]) == (
        "drop",
        "deny:tdmrep.json",
    )
    assert rows["/private/notes.txt"]["reason"] == "deny:robots.txt"
    assert rows["/open/page.html"]["reason"] == "deny:X-Robots-Tag"
    # A clean site is not permission; an unreachable page is an error, never "the site said nothing".
    assert rows["/plain/ok.html"]["reason"] == "unknown"
    assert (rows["dead"]["outcome"], rows["dead"]["reason"]) == ("error", "error")


def test_html_head_is_cut_at_the_end_of_head() -> None:
    assert (
        html_head_of(b"<html><HEAD><meta a='b'></HEAD ><body>secret</body>")
        == "<html><HEAD><meta a='b'></HEAD >"
    )
    assert html_head_of(b"no head here") is None
