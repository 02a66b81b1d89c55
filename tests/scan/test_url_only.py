"""URL-only rows (url + caption, the shape of LAION and img2dataset inputs), end to end on loopback sites.

``mediamanager evidence fetch`` crawls three real HTTP servers on 127.0.0.1 (each its own
host), serving the real ai.robots.txt block list and the W3C TDMRep spec's first example from
shared/test-data; then ``mediamanager scan run`` decides a JSONL and a Parquet file of url +
caption rows before any download. The expected outcomes are written from the rules: robots.txt
Disallow for GPTBot denies, ``tdm-reservation: 1`` denies, ``Content-Usage: train-ai=y`` allows
(keep, since ``--url-only decide`` accepts decisions made without the content), nothing stated
is unknown (drop by default), a URL never fetched is an error.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scan_fixtures import Registered, scan_with_evidence
from tests.loopback import StaticSite, static_site

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")
RATE = 4.0  # requests per second per host for these runs: slots 0.25 s apart
JPEG = (200, b"\xff\xd8\xff not really a jpeg", {"Content-Type": "image/jpeg"})


@pytest.fixture(scope="module")
def sites(test_data: Path) -> Iterator[dict[str, StaticSite]]:
    robots = (test_data / "ai-robots-txt" / "robots.txt").read_bytes()
    examples = json.loads((test_data / "tdmrep-w3c-examples" / "examples.json").read_text())
    first = next(v for v in examples.values() if isinstance(v, list))[0]
    assert json.loads(first["text"]) == [{"location": "/", "tdm-reservation": 1}]
    with static_site() as a, static_site() as b, static_site() as c:
        a.files = {"/robots.txt": (200, robots, {"Content-Type": "text/plain"}), "/img/1.jpg": JPEG}
        b.files = {
            "/.well-known/tdmrep.json": (200, first["text"].encode(), {"Content-Type": "application/json"}),
            "/img/2.jpg": JPEG,
        }
        c.files = {
            "/robots.txt": (
                200,
                b"User-agent: *\nDisallow: /private/\n",
                {"Content-Type": "text/plain", "Cache-Control": "max-age=3600"},
            ),
            "/img/ok.jpg": (200, JPEG[1], {"Content-Type": "image/jpeg", "Content-Usage": "train-ai=y"}),
            "/img/plain.jpg": JPEG,
            "/img/later.jpg": JPEG,
        }
        yield {"a": a, "b": b, "c": c}


def _url(sites: dict[str, StaticSite], key: str) -> str:
    host, path = key.split("/", 1)
    return f"{sites[host].url}/{path}"


ROWS = ["a/img/1.jpg", "b/img/2.jpg", "c/img/ok.jpg", "c/img/plain.jpg", "c/img/never.jpg"]
# (outcome, reason) per row, written from the rules (module docstring), for --url-only decide and error.
EXPECTED = {
    "a/img/1.jpg": (("drop", "deny:robots.txt"), ("error", "error")),
    "b/img/2.jpg": (("drop", "deny:tdmrep.json"), ("error", "error")),
    "c/img/ok.jpg": (("keep", "allow:Content-Usage"), ("error", "error")),
    "c/img/plain.jpg": (("drop", "unknown"), ("error", "error")),
    "c/img/never.jpg": (("error", "error"), ("error", "error")),
}


def _fetch(tmp: Path, urls: list[str], cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp / "fetch.txt").write_text("\n".join(urls))
    return subprocess.run(
        [MEDIAMANAGER, "evidence", "fetch", "--from", str(tmp / "fetch.txt"), "--cache", str(cache),
         "--rate", str(RATE), "--per-host", "2", "--timeout", "10", *extra],
        capture_output=True, text=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def fetched(sites: dict[str, StaticSite], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("urlonly")
    cache = tmp / "ev.sqlite"
    first = _fetch(tmp, [_url(sites, k) for k in ROWS if k != "c/img/never.jpg"], cache, "--allow-private")
    assert first.returncode == 0, first.stderr
    after_first = {name: list(s.requests) for name, s in sites.items()}
    # A rerun with one more URL: only that one is fetched (resume), robots.txt is not asked again.
    more = [_url(sites, k) for k in ROWS if k != "c/img/never.jpg"] + [_url(sites, "c/img/later.jpg")]
    second = _fetch(tmp, more, cache, "--allow-private")
    assert second.returncode == 0, second.stderr
    return {"tmp": tmp, "cache": cache, "first": first, "second": second, "after_first": after_first}


def test_first_fetch_totals_and_progress(fetched: dict[str, Any]) -> None:
    out = fetched["first"]
    assert out.stdout.startswith("4 pages, 3 sites, 0 failed, 0 skipped"), out.stdout
    assert "4/4 URLs, ETA 0s" in out.stderr


def test_resume_skips_fetched_urls(sites: dict[str, StaticSite], fetched: dict[str, Any]) -> None:
    assert fetched["second"].stdout.startswith("1 pages, 0 sites, 0 failed, 4 skipped"), fetched[
        "second"
    ].stdout
    new = {name: s.requests[len(fetched["after_first"][name]) :] for name, s in sites.items()}
    assert [p for p, _ in new["a"]] == [] and [p for p, _ in new["b"]] == []
    assert [p for p, _ in new["c"]] == ["/img/later.jpg"]


def test_robots_fetched_once_per_host(sites: dict[str, StaticSite], fetched: dict[str, Any]) -> None:
    for name, s in sites.items():
        paths = [p for p, _ in s.requests]
        assert paths.count("/robots.txt") == 1, (name, paths)
        assert paths.count("/ai.txt") == 1 and paths.count("/.well-known/tdmrep.json") == 1


def test_robots_expiry_from_max_age(sites: dict[str, StaticSite], fetched: dict[str, Any]) -> None:
    db = sqlite3.connect(fetched["cache"])
    rows = dict(db.execute("SELECT origin, julianday(expires_at) - julianday(fetched_at) FROM origins"))
    assert round(rows[sites["c"].url] * 86400) == 3600  # Cache-Control: max-age=3600
    assert round(rows[sites["a"].url] * 86400) == 86400  # no max-age: 24 h


def test_per_host_rate_limit_at_the_server(sites: dict[str, StaticSite], fetched: dict[str, Any]) -> None:
    # Host c got 3 site documents + 2 pages in the first run: 5 request starts, 0.25 s apart at least.
    times = sites["c"].times[: len(fetched["after_first"]["c"])]
    assert len(times) == 5
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / RATE - 0.02, gaps


def test_address_guard_refuses_loopback_without_the_flag(tmp_path: Path) -> None:
    with static_site() as s:
        s.files = {"/x.jpg": JPEG}
        res = _fetch(tmp_path, [f"{s.url}/x.jpg"], tmp_path / "ev.sqlite")
        assert res.returncode == 0, res.stderr
        assert s.requests == []
    assert "non-public address 127.0.0.1; refused" in res.stderr
    err = sqlite3.connect(tmp_path / "ev.sqlite").execute("SELECT error FROM pages").fetchone()[0]
    assert "non-public address 127.0.0.1" in err


def _scan(tmp: Path, data: Path, cache: Path, reg: Registered, name: str, *extra: str) -> Path:
    return scan_with_evidence(tmp, data, cache, reg.snapshot, name, *extra)


@pytest.fixture(scope="module")
def scanned(
    sites: dict[str, StaticSite], fetched: dict[str, Any], text_registry: Registered
) -> dict[str, Path]:
    tmp: Path = fetched["tmp"]
    rows = [{"id": k, "url": _url(sites, k), "caption": f"caption of {k}"} for k in ROWS]
    jsonl = tmp / "rows.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    parquet = tmp / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    cache = fetched["cache"]
    return {
        "jsonl": _scan(tmp, jsonl, cache, text_registry, "jsonl"),
        "parquet": _scan(tmp, parquet, cache, text_registry, "parquet"),
        "error": _scan(tmp, jsonl, cache, text_registry, "error", "--url-only", "error"),
    }


def _decisions(out: Path) -> dict[str, dict[str, Any]]:
    return {r["item_id"]: r for r in pq.read_table(out / "decisions.parquet").to_pylist()}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_decisions_per_row(scanned: dict[str, Path], fmt: str) -> None:
    rows = _decisions(scanned[fmt])
    assert {k: (r["outcome"], r["reason"]) for k, r in rows.items()} == {k: v[0] for k, v in EXPECTED.items()}
    for key, row in rows.items():
        assert any(r.startswith("content not checked: URL-only row") for r in row["reasons"]), key
    assert "is not in the evidence cache" in rows["c/img/never.jpg"]["error"]


def test_url_only_error_policy(scanned: dict[str, Path]) -> None:
    rows = _decisions(scanned["error"])
    assert {k: (r["outcome"], r["reason"]) for k, r in rows.items()} == {k: v[1] for k, v in EXPECTED.items()}
    assert not (scanned["error"] / "urls.txt").read_text()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_urls_txt_for_img2dataset(sites: dict[str, StaticSite], scanned: dict[str, Path], fmt: str) -> None:
    out = scanned[fmt]
    assert (out / "urls.txt").read_text() == f"{sites['c'].url}/img/ok.jpg\n"
    assert pq.read_table(out / "urls.parquet").to_pylist() == [
        {"url": f"{sites['c'].url}/img/ok.jpg", "caption": "caption of c/img/ok.jpg"}
    ]
    attested = json.loads((out / "attestation.json").read_text())["files"]
    assert {"urls.txt", "urls.parquet"} <= set(attested)


def test_retries_5xx_and_429_with_backoff_and_retry_after(tmp_path: Path) -> None:
    with static_site() as s:
        s.files = {
            "/robots.txt": (503, b"busy", {"Retry-After": "1"}),
            "/ai.txt": (429, b"slow down", {}),
            "/x.jpg": JPEG,
        }
        res = _fetch(tmp_path, [f"{s.url}/x.jpg"], tmp_path / "ev.sqlite", "--allow-private",
                     "--retries", "2", "--backoff", "0.1", "--rate", "100")  # fmt: skip
        assert res.returncode == 0, res.stderr
        at = {p: [t for (q, _), t in zip(s.requests, s.times, strict=True) if q == p] for p in s.files}
    robots, ai = at["/robots.txt"], at["/ai.txt"]
    assert len(robots) == 3 and len(ai) == 3 and len(at["/x.jpg"]) == 1
    assert min(b - a for a, b in itertools.pairwise(robots)) >= 1.0 - 0.02  # Retry-After: 1 wins over 0.1 s
    ai_gaps = [b - a for a, b in itertools.pairwise(ai)]
    assert ai_gaps[0] >= 0.1 - 0.02 and ai_gaps[1] >= 0.2 - 0.02  # 0.1 s, then doubled
    statuses = sqlite3.connect(tmp_path / "ev.sqlite").execute("SELECT statuses FROM origins").fetchone()[0]
    assert json.loads(statuses) == {"robots.txt": 503, "ai.txt": 429, "tdmrep.json": 404}
