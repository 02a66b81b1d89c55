"""The evidence cache fails closed: real loopback sites, ``mediamanager evidence fetch``, then ``scan run``.

The rows are the red-team report's D2 table plus the ai.txt / tdmrep.json and 4xx cases.
Expected outcomes are written from the rules, not from the code: RFC 9309 §2.3.1.3
(4xx robots.txt = no robots.txt) and §2.3.1.4 (unreachable = complete disallow),
"unknown is never permission", and a failed or missing fetch is an ``error``.
Site B serves the real ai-robots-txt robots.txt (it disallows GPTBot); site E serves
the W3C TDMRep spec's first tdmrep.json example (``location: /``, reservation 1).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from scan_fixtures import Registered, scan_with_evidence

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")
TIMEOUT_S = 1.0
ALLOW = (("Content-Usage", "train-ai=y"),)
NOCLOSE = b'<!doctype html><html><meta name="robots" content="noai, noimageai"><title>t</title><p>body text'
CLOSED = (
    b'<!doctype html><html><head><meta name="robots" content="noai"><title>t</title></head><body>b</body>'
)
PLAIN = b"<!doctype html><html><head><title>t</title></head><body>body</body></html>"
BIGHEAD = (
    b"<!doctype html><html><head>" + b"<!-- pad -->" * 60000 + b'<meta name="robots" content="noai"></head>'
)

Reply = tuple[int, bytes, str]
Site = dict[str, Callable[[], Reply]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _slow(reply: Reply) -> Callable[[], Reply]:
    def answer() -> Reply:
        time.sleep(TIMEOUT_S * 2.5)
        return reply

    return answer


def _serve(site: Site, redirect_to: dict[str, str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path in redirect_to:
                self.send_response(302)
                self.send_header("Location", redirect_to[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, body, ctype = site.get(self.path, lambda: (404, b"not found", "text/plain"))()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if ctype == "text/html":
                for k, v in ALLOW:
                    self.send_header(k, v)
            self.end_headers()
            with contextlib.suppress(OSError):  # the fetcher may have given up waiting
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _html(body: bytes) -> Callable[[], Reply]:
    return lambda: (200, body, "text/html")


@pytest.fixture(scope="module")
def sites(test_data: Path) -> Iterator[dict[str, str]]:
    ai_robots = (test_data / "ai-robots-txt" / "robots.txt").read_bytes()
    examples = json.loads((test_data / "tdmrep-w3c-examples" / "examples.json").read_text())["examples"]
    tdmrep_root = examples[0]["text"].encode()
    assert json.loads(tdmrep_root) == [{"location": "/", "tdm-reservation": 1}]
    b = _serve({"/robots.txt": lambda: (200, ai_robots, "text/plain"), "/plain.html": _html(PLAIN)}, {})
    b_url = f"http://127.0.0.1:{b.server_address[1]}"
    a = _serve(
        {
            "/robots.txt": lambda: (503, b"maintenance", "text/plain"),
            "/noclose.html": _html(NOCLOSE),
            "/closed.html": _html(CLOSED),
            "/plain.html": _html(PLAIN),
            "/bighead.html": _html(BIGHEAD),
        },
        {"/redirect.html": b_url + "/plain.html"},
    )
    c = _serve(
        {
            "/robots.txt": _slow((200, b"User-agent: *\nDisallow: /\n", "text/plain")),
            "/plain.html": _html(PLAIN),
        },
        {},
    )
    d = _serve(  # robots.txt 404 (no robots.txt), ai.txt 503, tdmrep.json times out
        {
            "/ai.txt": lambda: (503, b"busy", "text/plain"),
            "/.well-known/tdmrep.json": _slow((200, tdmrep_root, "application/json")),
            "/plain.html": _html(PLAIN),
        },
        {},
    )
    e = _serve(  # robots.txt 404, tdmrep.json from the W3C spec
        {
            "/.well-known/tdmrep.json": lambda: (200, tdmrep_root, "application/json"),
            "/plain.html": _html(PLAIN),
        },
        {},
    )
    f = _serve({"/noclose.html": _html(NOCLOSE), "/plain.html": _html(PLAIN)}, {})  # robots.txt 404 only
    servers = [a, b, c, d, e, f]
    urls = {
        name: f"http://127.0.0.1:{s.server_address[1]}" for name, s in zip("abcdef", servers, strict=True)
    }
    urls["refused"] = f"http://127.0.0.1:{_free_port()}"
    yield urls
    for s in servers:
        s.shutdown()
        s.server_close()


# page -> (default policy, --unknown keep): (outcome, reason). GPTBot asks, for genai-train.
EXPECTED: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    # The report's nine rows.
    # Two denies (meta robots and the unreachable robots.txt): either may be named as the reason.
    "a/noclose.html": (("drop", "deny:*"), ("drop", "deny:*")),
    "a/closed.html": (("drop", "deny:*"), ("drop", "deny:*")),
    "a/plain.html": (("drop", "deny:robots.txt"), ("drop", "deny:robots.txt")),  # robots 503
    "a/bighead.html": (("error", "error"), ("error", "error")),  # head longer than the bounded prefix
    "b/plain.html": (("drop", "deny:robots.txt"), ("drop", "deny:robots.txt")),
    "c/plain.html": (("drop", "deny:robots.txt"), ("drop", "deny:robots.txt")),  # robots timed out
    "a/redirect.html": (("drop", "deny:robots.txt"), ("drop", "deny:robots.txt")),  # ends on site B
    "refused/unreachable.html": (("error", "error"), ("error", "error")),
    "e/not-fetched.html": (("error", "error"), ("error", "error")),  # not in the cache
    # Beyond the table: a head with no </head> on a site with no robots.txt (404: RFC 9309 §2.3.1.3).
    "f/noclose.html": (("drop", "deny:meta robots"), ("drop", "deny:meta robots")),
    "f/plain.html": (("keep", "allow:Content-Usage"), ("keep", "allow:Content-Usage")),
    "e/plain.html": (("drop", "deny:tdmrep.json"), ("drop", "deny:tdmrep.json")),
}


def _url(sites: dict[str, str], key: str) -> str:
    site, path = key.split("/", 1)
    return f"{sites[site]}/{path}"


def _scan(tmp: Path, data: Path, cache: Path, reg: Registered, name: str, *extra: str) -> dict[str, Any]:
    out = scan_with_evidence(tmp, data, cache, reg.snapshot, name, *extra)
    return {r["item_id"]: r for r in pq.read_table(out / "decisions.parquet").to_pylist()}


@pytest.fixture(scope="module")
def decided(
    sites: dict[str, str], text_registry: Registered, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    tmp = tmp_path_factory.mktemp("failclosed")
    fetched = [k for k in [*EXPECTED, "d/plain.html"] if k != "e/not-fetched.html"]
    (tmp / "urls.txt").write_text("\n".join(_url(sites, k) for k in fetched))
    cache = tmp / "ev.sqlite"
    res = subprocess.run(
        [MEDIAMANAGER, "evidence", "fetch", "--from", str(tmp / "urls.txt"), "--cache", str(cache),
         "--timeout", str(TIMEOUT_S), "--allow-private"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = tmp / "urls.jsonl"
    data.write_text(
        "".join(
            json.dumps({"id": k, "url": _url(sites, k), "text": f"an unregistered page {k} " * 10}) + "\n"
            for k in [*EXPECTED, "d/plain.html"]
        )
    )
    return (
        _scan(tmp, data, cache, text_registry, "drop"),
        _scan(tmp, data, cache, text_registry, "keep", "--unknown", "keep"),
    )


@pytest.mark.parametrize("key", list(EXPECTED))
def test_d2_rows(decided: Any, key: str) -> None:
    default, keep = decided
    want_default, want_keep = EXPECTED[key]
    for rows, want in ((default, want_default), (keep, want_keep)):
        got = (rows[key]["outcome"], rows[key]["reason"])
        if want[1] == "deny:*":
            got = (got[0], "deny:*" if got[1] in ("deny:robots.txt", "deny:meta robots") else got[1])
        assert got == want, rows[key]["reasons"]
    if key.endswith("noclose.html") or key.endswith("closed.html"):
        ev = json.loads(default[key]["evidence"])
        assert any(e["source"] == "meta robots" and e["use"] == "deny" for e in ev)


def test_unreachable_robots_evidence_says_why(decided: Any) -> None:
    row = decided[0]["a/plain.html"]
    ev = [e for e in json.loads(row["evidence"]) if e["source"] == "robots.txt"]
    assert ev and all(e["use"] == "deny" and e["raw"] == "robots.txt unreachable (HTTP 503)" for e in ev)
    assert all("RFC 9309 §2.3.1.4" in e["detail"] for e in ev)
    slow = [e for e in json.loads(decided[0]["c/plain.html"]["evidence"]) if e["source"] == "robots.txt"]
    assert slow and all(e["raw"].startswith("robots.txt unreachable (error: ReadTimeout") for e in slow)


def test_missing_and_failed_pages_say_why(decided: Any) -> None:
    default, _ = decided
    assert "is not in the evidence cache" in default["e/not-fetched.html"]["error"]
    assert "evidence fetch of" in default["refused/unreachable.html"]["error"]
    assert "ConnectError" in default["refused/unreachable.html"]["error"]
    assert "does not end within the first 524288 bytes" in default["a/bighead.html"]["error"]


def test_redirect_is_read_at_the_final_url(decided: Any, sites: dict[str, str]) -> None:
    ev = json.loads(decided[0]["a/redirect.html"]["evidence"])
    denies = {e["location"] for e in ev if e["use"] == "deny"}
    assert f"{sites['b']}/robots.txt" in denies  # the final origin's Disallow for GPTBot
    assert f"{sites['a']}/robots.txt" in denies  # and the requested origin's unreachable robots.txt


def test_unreachable_ai_txt_and_tdmrep_are_errors_not_absent(decided: Any) -> None:
    for rows in decided:
        ev = json.loads(rows["d/plain.html"]["evidence"])
        errors = {e["source"]: e["error"] for e in ev if e["error"]}
        assert errors["ai.txt"] == "ai.txt could not be fetched (HTTP 503): what it says is unknown"
        assert errors["tdmrep.json"].startswith("tdmrep.json could not be fetched (error: ReadTimeout")
        assert not any(e["source"] == "robots.txt" for e in ev)  # robots.txt 404: no robots.txt
