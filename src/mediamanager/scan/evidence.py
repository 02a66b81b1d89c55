"""The crawl-evidence cache: what each URL's site said about AI use, fetched once, read offline by scans.

``mediamanager evidence fetch URLS --cache FILE`` fills it (the only part of the
scanner that touches the network); ``mediamanager scan --evidence FILE`` reads it
for records that carry a URL but no captured evidence.

The cache is one SQLite file::

    pages(url TEXT PRIMARY KEY, origin TEXT, status INTEGER, headers TEXT  -- JSON [[name, value], ...]
          html_head TEXT, fetched_at TEXT, error TEXT,
          final_url TEXT)  -- where the redirects ended (NULL: no redirect)
    origins(origin TEXT PRIMARY KEY, robots_txt TEXT, ai_txt TEXT, tdmrep_json TEXT,
            statuses TEXT  -- JSON {"robots.txt": 200, "ai.txt": 404, "tdmrep.json": "error: ..."},
            fetched_at TEXT,
            expires_at TEXT)  -- when the site documents must be fetched again (robots.txt max-age)

A site-wide document is stored only when it was served with a 2xx status; the
``statuses`` column says what else happened, and the scan reads it
(:func:`mediamanager.scan.site_status.site_evidence`): an unreachable robots.txt
is a complete disallow, an unreachable ai.txt or tdmrep.json is an error. A page
that could not be fetched keeps its ``error`` and is an ``error`` row in a scan.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mediamanager.model import utcnow
from mediamanager.scan.html_head import head_of_page

__all__ = ["CachedEvidence", "CachedSite", "EvidenceCache", "fetch_evidence", "html_head_of", "origin_of"]

MAX_BODY = 512 * 1024
MAX_SITE_DOC = 512 * 1024
SITE_LRU = 4096  # origins a read-only cache keeps in memory (a few KB each)
_IN_CHUNK = 900  # URLs per IN (...) query (under SQLite's default variable limit)
SITE_DOCS = {"robots.txt": "/robots.txt", "ai.txt": "/ai.txt", "tdmrep.json": "/.well-known/tdmrep.json"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages(url TEXT PRIMARY KEY, origin TEXT, status INTEGER, headers TEXT,
    html_head TEXT, fetched_at TEXT, error TEXT, final_url TEXT);
CREATE TABLE IF NOT EXISTS origins(origin TEXT PRIMARY KEY, robots_txt TEXT, ai_txt TEXT, tdmrep_json TEXT,
    statuses TEXT, fetched_at TEXT, expires_at TEXT);
"""


@dataclass(frozen=True)
class CachedSite:
    """What one origin served for its site-wide documents, and with which status."""

    origin: str
    robots_txt: str | None
    ai_txt: str | None
    tdmrep_json: str | None
    statuses: dict[str, Any]
    fetched_at: str | None

    def doc(self, name: str) -> str | None:
        return {"robots.txt": self.robots_txt, "ai.txt": self.ai_txt, "tdmrep.json": self.tdmrep_json}[name]


@dataclass(frozen=True)
class CachedEvidence:
    """The evidence cached for one URL (page-level and site-wide).

    ``site`` is the requested URL's origin; ``final_url`` and ``final_site`` are
    where the redirects ended, when they left the URL. ``robots_txt``, ``ai_txt``
    and ``tdmrep_json`` are the requested origin's documents, for callers that
    only want those.
    """

    url: str
    headers: tuple[tuple[str, str], ...]
    html_head: str | None
    robots_txt: str | None
    ai_txt: str | None
    tdmrep_json: str | None
    fetched_at: str | None
    error: str | None = None
    site: CachedSite | None = None
    final_url: str | None = None
    final_site: CachedSite | None = None
    page_found: bool = True
    statuses: dict[str, Any] = field(default_factory=dict)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def html_head_of(body: bytes) -> str | None:
    """The head of an HTML page (see :mod:`mediamanager.scan.html_head`), or None for an empty body."""
    head = head_of_page(body, truncated=False, limit=len(body)).head if body else None
    return head if head and head.strip() else None


class EvidenceCache:
    """Reads and writes the cache file."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.db = sqlite3.connect(self.path, check_same_thread=False)
            self.db.executescript(_SCHEMA)
            if "final_url" not in self._page_columns():  # a cache written before redirects were kept
                with self.db:
                    self.db.execute("ALTER TABLE pages ADD COLUMN final_url TEXT")
            origin_cols = {row[1] for row in self.db.execute("PRAGMA table_info(origins)")}
            if "expires_at" not in origin_cols:  # a cache written before expiry was kept
                with self.db:
                    self.db.execute("ALTER TABLE origins ADD COLUMN expires_at TEXT")
        self._has_final = "final_url" in self._page_columns()
        self.lock = threading.Lock()
        self._lru_lock = threading.Lock()
        # Origins read so far (read-only caches only: nothing else writes them during a scan).
        self._sites: OrderedDict[str, CachedSite | None] | None = OrderedDict() if readonly else None

    def _page_columns(self) -> set[str]:
        return {row[1] for row in self.db.execute("PRAGMA table_info(pages)")}

    def _site_row(self, origin: str) -> CachedSite | None:
        with self.lock:
            row = self.db.execute(
                "SELECT robots_txt, ai_txt, tdmrep_json, statuses, fetched_at FROM origins WHERE origin = ?",
                (origin,),
            ).fetchone()
        if row is None:
            return None
        statuses = json.loads(row[3]) if row[3] else {}
        return CachedSite(origin, row[0], row[1], row[2], dict(statuses), row[4])

    def site(self, origin: str) -> CachedSite | None:
        """One origin's site-wide documents and statuses, or None when they were never fetched.

        A read-only cache keeps the last :data:`SITE_LRU` origins read (a scan reads each host's
        documents once, however many of its URLs it decides); a writable one always reads the file.
        """
        sites = self._sites
        if sites is None:
            return self._site_row(origin)
        with self._lru_lock:
            if origin in sites:
                sites.move_to_end(origin)
                return sites[origin]
        found = self._site_row(origin)
        with self._lru_lock:
            sites[origin] = found
            if len(sites) > SITE_LRU:
                sites.popitem(last=False)
        return found

    def get(self, url: str) -> CachedEvidence | None:
        """The cached evidence for ``url`` (site-wide documents even when the page itself was not fetched)."""
        return self.get_many([url])[url]

    def get_many(self, urls: Sequence[str]) -> dict[str, CachedEvidence | None]:
        """:meth:`get` for a batch of URLs: one query for their pages, each origin read once."""
        final = "final_url" if self._has_final else "NULL"
        wanted = list(dict.fromkeys(urls))
        pages: dict[str, tuple[Any, ...]] = {}
        with self.lock:
            for i in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[i : i + _IN_CHUNK]
                marks = ",".join("?" * len(chunk))
                for row in self.db.execute(
                    f"SELECT url, headers, html_head, fetched_at, error, {final} FROM pages WHERE url IN ({marks})",
                    chunk,
                ):
                    pages[row[0]] = row[1:]
        return {url: self._evidence(url, pages.get(url)) for url in wanted}

    def _evidence(self, url: str, page: tuple[Any, ...] | None) -> CachedEvidence | None:
        site = self.site(origin_of(url))
        if page is None and site is None:
            return None
        final_url = page[4] if page and page[4] and page[4] != url else None
        final_site = None
        if final_url is not None and origin_of(final_url) != origin_of(url):
            final_site = self.site(origin_of(final_url))
        headers = tuple((k, v) for k, v in json.loads(page[0] or "[]")) if page else ()
        return CachedEvidence(
            url=url,
            headers=headers,
            html_head=page[1] if page else None,
            robots_txt=site.robots_txt if site else None,
            ai_txt=site.ai_txt if site else None,
            tdmrep_json=site.tdmrep_json if site else None,
            fetched_at=(page[2] if page else None) or (site.fetched_at if site else None),
            error=page[3] if page else None,
            site=site,
            final_url=final_url,
            final_site=final_site,
            page_found=page is not None,
            statuses=site.statuses if site else {},
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
        final_url: str | None = None,
    ) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO pages(url, origin, status, headers, html_head, fetched_at, error, "
                "final_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    url,
                    origin_of(url),
                    status,
                    json.dumps(headers),
                    head,
                    utcnow().isoformat(),
                    error,
                    final_url,
                ),
            )

    def site_fresh(self, origin: str) -> bool:
        """Whether the origin's site documents are cached and not yet expired (a rerun skips them)."""
        with self.lock:
            row = self.db.execute("SELECT expires_at FROM origins WHERE origin = ?", (origin,)).fetchone()
        return bool(row and row[0] and datetime.fromisoformat(row[0]) > utcnow())

    def page_fresh(self, url: str, max_age_s: float) -> bool:
        """Whether ``url`` was fetched successfully less than ``max_age_s`` ago (a rerun skips it)."""
        with self.lock:
            row = self.db.execute(
                "SELECT fetched_at, error, status FROM pages WHERE url = ?", (url,)
            ).fetchone()
        if row is None or row[1] is not None or row[2] is None or row[2] >= 500 or row[2] == 429:
            return False
        return bool(row[0]) and utcnow() - datetime.fromisoformat(row[0]) < timedelta(seconds=max_age_s)

    def put_origin(
        self,
        origin: str,
        docs: dict[str, str | None],
        statuses: dict[str, Any],
        expires: datetime | None = None,
    ) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO origins(origin, robots_txt, ai_txt, tdmrep_json, statuses, fetched_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    origin,
                    docs.get("robots.txt"),
                    docs.get("ai.txt"),
                    docs.get("tdmrep.json"),
                    json.dumps(statuses),
                    utcnow().isoformat(),
                    expires.isoformat() if expires else None,
                ),
            )

    def close(self) -> None:
        self.db.close()


def _read_capped(resp: Any, cap: int) -> tuple[bytes, bool]:
    """The first ``cap`` bytes of a response, and whether there was more."""
    out = bytearray()
    for chunk in resp.iter_bytes():
        out += chunk
        if len(out) > cap:
            return bytes(out[:cap]), True
    return bytes(out), False


def fetch_evidence(urls: Iterable[str], cache_path: str | Path, **options: Any) -> dict[str, int]:
    """Fill the cache politely (see :func:`mediamanager.scan.fetch.fetch_evidence`)."""
    from mediamanager.scan.fetch import fetch_evidence as polite

    return polite(urls, cache_path, **options)
