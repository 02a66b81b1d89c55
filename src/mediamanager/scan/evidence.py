"""The crawl-evidence cache: what each URL's site said about AI use, fetched once, read offline by scans.

``mediamanager evidence fetch URLS --cache FILE`` fills it (the only part of the
scanner that touches the network); ``mediamanager scan --evidence FILE`` reads it
for records that carry a URL but no captured evidence.

The cache is one SQLite file::

    pages(url TEXT PRIMARY KEY, origin TEXT, status INTEGER, headers TEXT  -- JSON [[name, value], ...]
          html_head TEXT, fetched_at TEXT, error TEXT)
    origins(origin TEXT PRIMARY KEY, robots_txt TEXT, ai_txt TEXT, tdmrep_json TEXT,
            statuses TEXT  -- JSON {"robots.txt": 200, "ai.txt": 404, ...}, fetched_at TEXT)

A site-wide document is stored only when it was served with status 200; any
other answer is stored as NULL (unknown), never as permission.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mediamanager.model import utcnow

__all__ = ["CachedEvidence", "EvidenceCache", "fetch_evidence", "html_head_of", "origin_of"]

MAX_BODY = 512 * 1024
MAX_SITE_DOC = 512 * 1024
SITE_DOCS = {"robots.txt": "/robots.txt", "ai.txt": "/ai.txt", "tdmrep.json": "/.well-known/tdmrep.json"}
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages(url TEXT PRIMARY KEY, origin TEXT, status INTEGER, headers TEXT,
    html_head TEXT, fetched_at TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS origins(origin TEXT PRIMARY KEY, robots_txt TEXT, ai_txt TEXT, tdmrep_json TEXT,
    statuses TEXT, fetched_at TEXT);
"""


@dataclass(frozen=True)
class CachedEvidence:
    """The evidence cached for one URL (page-level and site-wide)."""

    url: str
    headers: tuple[tuple[str, str], ...]
    html_head: str | None
    robots_txt: str | None
    ai_txt: str | None
    tdmrep_json: str | None
    fetched_at: str | None
    error: str | None = None


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def html_head_of(body: bytes) -> str | None:
    """The ``<head>`` part of an HTML page (everything before ``</head>``), or None when it has none."""
    m = _HEAD_END.search(body)
    if m is None:
        return None
    return body[: m.end()].decode("utf-8", "replace")


class EvidenceCache:
    """Reads and writes the cache file."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.db = sqlite3.connect(self.path, check_same_thread=False)
            self.db.executescript(_SCHEMA)
        self.lock = threading.Lock()

    def get(self, url: str) -> CachedEvidence | None:
        """The cached evidence for ``url`` (site-wide documents even when the page itself was not fetched)."""
        with self.lock:
            page = self.db.execute(
                "SELECT headers, html_head, fetched_at, error FROM pages WHERE url = ?", (url,)
            ).fetchone()
            site = self.db.execute(
                "SELECT robots_txt, ai_txt, tdmrep_json, fetched_at FROM origins WHERE origin = ?",
                (origin_of(url),),
            ).fetchone()
        if page is None and site is None:
            return None
        headers = tuple((k, v) for k, v in json.loads(page[0] or "[]")) if page else ()
        return CachedEvidence(
            url=url,
            headers=headers,
            html_head=page[1] if page else None,
            robots_txt=site[0] if site else None,
            ai_txt=site[1] if site else None,
            tdmrep_json=site[2] if site else None,
            fetched_at=(page[2] if page else None) or (site[3] if site else None),
            error=page[3] if page else None,
        )

    def has_origin(self, origin: str) -> bool:
        with self.lock:
            return self.db.execute("SELECT 1 FROM origins WHERE origin = ?", (origin,)).fetchone() is not None

    def put_page(
        self,
        url: str,
        status: int | None,
        headers: list[tuple[str, str]],
        head: str | None,
        error: str | None,
    ) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (url, origin_of(url), status, json.dumps(headers), head, utcnow().isoformat(), error),
            )

    def put_origin(self, origin: str, docs: dict[str, str | None], statuses: dict[str, Any]) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO origins VALUES (?, ?, ?, ?, ?, ?)",
                (
                    origin,
                    docs.get("robots.txt"),
                    docs.get("ai.txt"),
                    docs.get("tdmrep.json"),
                    json.dumps(statuses),
                    utcnow().isoformat(),
                ),
            )

    def close(self) -> None:
        self.db.close()


def _read_capped(resp: Any, cap: int) -> bytes:
    out = bytearray()
    for chunk in resp.iter_bytes():
        out += chunk
        if len(out) >= cap:
            break
    return bytes(out[:cap])


def fetch_evidence(
    urls: Iterable[str],
    cache_path: str | Path,
    *,
    user_agent: str = "mediamanager-evidence/0.1",
    timeout: float = 15.0,
    concurrency: int = 8,
    on_done: Callable[[str, str | None], None] | None = None,
) -> dict[str, int]:
    """Fetch headers + HTML head for every URL and robots.txt, ai.txt, tdmrep.json once per site.

    Failures are stored with their error (and reported through ``on_done``);
    they never stop the run. Returns counts of pages fetched, failed and sites.
    """
    import httpx

    cache = EvidenceCache(cache_path)
    counts = {"pages": 0, "failed": 0, "sites": 0}
    origin_lock = threading.Lock()
    seen_origins: set[str] = set()
    client = httpx.Client(
        headers={"user-agent": user_agent}, timeout=timeout, follow_redirects=True, max_redirects=5
    )

    def site(origin: str) -> None:
        with origin_lock:
            if origin in seen_origins:
                return
            seen_origins.add(origin)
        docs: dict[str, str | None] = {}
        statuses: dict[str, Any] = {}
        for name, path in SITE_DOCS.items():
            try:
                with client.stream("GET", origin + path) as r:
                    statuses[name] = r.status_code
                    body = _read_capped(r, MAX_SITE_DOC)
                docs[name] = body.decode("utf-8", "replace") if r.status_code == 200 else None
            except httpx.HTTPError as exc:
                statuses[name] = f"error: {exc}"
                docs[name] = None
        cache.put_origin(origin, docs, statuses)
        with origin_lock:
            counts["sites"] += 1

    def page(url: str) -> None:
        error = None
        try:
            site(origin_of(url))
            with client.stream("GET", url) as r:
                headers = [(k.lower(), v) for k, v in r.headers.multi_items()]
                ctype = r.headers.get("content-type", "")
                head = html_head_of(_read_capped(r, MAX_BODY)) if "html" in ctype else None
                cache.put_page(url, r.status_code, headers, head, None)
            with origin_lock:
                counts["pages"] += 1
        except (httpx.HTTPError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            cache.put_page(url, None, [], None, error)
            with origin_lock:
                counts["failed"] += 1
        if on_done is not None:
            on_done(url, error)

    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for _ in pool.map(page, (u.strip() for u in urls if u.strip())):
                pass
    finally:
        client.close()
        cache.close()
    return counts
