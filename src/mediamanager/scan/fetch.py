"""``mediamanager evidence fetch``: a polite crawler that fills the evidence cache (scan/evidence.py).

Politeness, per host (``scheme://host:port``):

* at most ``per_host`` requests at once (default 2) and at most ``rate`` request starts per
  second (default 1): slots are handed out in order, ``1/rate`` seconds apart;
* robots.txt, ai.txt and tdmrep.json are fetched once per host and kept until they expire
  (robots.txt's ``Cache-Control: max-age``, else :data:`DEFAULT_SITE_TTL_S`, 24 h; RFC 9309
  §2.4 allows caching up to 24 h);
* a 5xx or 429 answer is retried with exponential backoff, waiting at least what
  ``Retry-After`` (seconds) asks, capped at :data:`MAX_RETRY_AFTER_S`; the last answer is kept,
  and the fail-closed reading of it (site_status.py) applies;
* a rerun skips pages already cached with a fresh, successful entry and hosts whose site
  documents have not expired, so an interrupted fetch resumes where it stopped.

Every connection, redirects included, is pinned (:class:`PinnedBackend`): the host is resolved
once, every address it resolves to passes :func:`mediamanager.netguard.public_address`, and the
socket connects to that checked address while the request keeps the original ``Host`` header
and TLS server name (so the certificate is still verified for the host). A DNS answer that
changes between the check and the connect (a rebind) cannot reach another address: there is
no second lookup. Private, loopback, link-local and other non-public targets are refused (the
URL becomes an error entry, hence an ``error`` row in a scan) unless ``allow_private`` is set
(tests, an intranet crawl on purpose); ``allow_loopback`` admits loopback only (tests).
Bodies are read up to the caps of scan/evidence.py.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from mediamanager.errors import MediaManagerError, VerificationError
from mediamanager.model import utcnow
from mediamanager.netguard import public_address
from mediamanager.scan.evidence import (
    MAX_BODY,
    MAX_SITE_DOC,
    SITE_DOCS,
    EvidenceCache,
    _read_capped,
    origin_of,
)
from mediamanager.scan.html_head import head_of_page

__all__ = [
    "DEFAULT_SITE_TTL_S",
    "HostLimiter",
    "PinnedBackend",
    "fetch_evidence",
    "max_age_of",
    "pinned_transport",
]

DEFAULT_SITE_TTL_S = 24 * 3600
MAX_RETRY_AFTER_S = 120.0
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d+)", re.IGNORECASE)

Progress = Callable[[int, int, float | None], None]  # done, total, ETA in seconds (None: not yet known)


def max_age_of(cache_control: str | None, default: int = DEFAULT_SITE_TTL_S) -> int:
    """Seconds a site document may be kept: ``max-age`` (0 with ``no-store``/``no-cache``), else ``default``."""
    if not cache_control:
        return default
    if re.search(r"no-store|no-cache", cache_control, re.IGNORECASE):
        return 0
    m = _MAX_AGE.search(cache_control)
    return int(m.group(1)) if m else default


class HostLimiter:
    """Per-host concurrency (a semaphore per host) and start rate (slots ``1/rate`` s apart)."""

    def __init__(self, per_host: int, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if per_host < 1 or rate <= 0:
            raise ValueError("per-host concurrency must be >= 1 and the rate > 0")
        self.per_host, self.interval, self.clock = per_host, 1.0 / rate, clock
        self.lock = threading.Lock()
        self.sems: dict[str, threading.Semaphore] = {}
        self.next_slot: dict[str, float] = {}

    def acquire(self, host: str) -> None:
        with self.lock:
            sem = self.sems.setdefault(host, threading.Semaphore(self.per_host))
        sem.acquire()
        with self.lock:
            now = self.clock()
            slot = max(now, self.next_slot.get(host, now))
            self.next_slot[host] = slot + self.interval
        if slot > now:
            time.sleep(slot - now)

    def release(self, host: str) -> None:
        self.sems[host].release()


class PinnedBackend(httpcore.SyncBackend):
    """httpcore's socket backend with DNS pinning: resolve once, check, connect to the checked address.

    httpcore asks the backend for a TCP stream to ``(host, port)`` and then starts TLS with the
    request's own host as server name, so connecting to the checked IP keeps SNI, certificate
    checks and the ``Host`` header those of the URL.
    """

    def __init__(self, *, allow_private: bool = False, allow_loopback: bool = False) -> None:
        self.allow_private, self.allow_loopback = allow_private, allow_loopback

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if not self.allow_private:
            host = public_address(host, port, allow_loopback=self.allow_loopback, error=VerificationError)
        return super().connect_tcp(host, port, timeout, local_address, socket_options)


def pinned_transport(*, allow_private: bool = False, allow_loopback: bool = False) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through :class:`PinnedBackend`."""
    transport = httpx.HTTPTransport(trust_env=False)
    pool = transport._pool
    # httpx has no public hook for the network backend; its pool hands this one to every connection.
    if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpcore version has no pluggable network backend; cannot pin DNS")
    pool._network_backend = PinnedBackend(allow_private=allow_private, allow_loopback=allow_loopback)
    return transport


def _retry_wait(attempt: int, backoff: float, retry_after: str | None) -> float:
    wait = backoff * (2**attempt)
    if retry_after and retry_after.strip().isdigit():
        wait = max(wait, float(retry_after.strip()))
    return min(wait, MAX_RETRY_AFTER_S)


def fetch_evidence(
    urls: Iterable[str],
    cache_path: Any,
    *,
    user_agent: str = "mediamanager-evidence/0.1",
    timeout: float = 15.0,
    concurrency: int = 8,
    per_host: int = 2,
    rate: float = 1.0,
    retries: int = 3,
    backoff: float = 1.0,
    max_age_s: int = DEFAULT_SITE_TTL_S,
    allow_private: bool = False,
    allow_loopback: bool = False,
    on_done: Callable[[str, str | None], None] | None = None,
    on_progress: Progress | None = None,
) -> dict[str, int]:
    """Fetch headers + HTML head for every URL, and each host's site documents once, politely.

    ``concurrency`` is the total number of workers; ``per_host`` and ``rate`` bound each host.
    Returns counts: pages fetched, failed, skipped (fresh in the cache), sites fetched.
    """
    cache = EvidenceCache(cache_path)
    limiter = HostLimiter(per_host, rate)
    counts = {"pages": 0, "failed": 0, "skipped": 0, "sites": 0}
    lock = threading.Lock()
    site_locks: dict[str, threading.Lock] = {}
    done_sites: set[str] = set()

    client = httpx.Client(
        headers={"user-agent": user_agent},
        timeout=timeout,
        follow_redirects=True,
        max_redirects=5,
        trust_env=False,
        transport=pinned_transport(allow_private=allow_private, allow_loopback=allow_loopback),
    )

    def get(url: str, cap: int) -> tuple[httpx.Response, bytes, bool]:
        """GET with the host's limits, retrying 5xx/429; the last response and its capped body."""
        host = origin_of(url)
        for attempt in range(retries + 1):
            limiter.acquire(host)
            try:
                with client.stream("GET", url) as r:
                    body, more = _read_capped(r, cap) if cap else (b"", False)
            finally:
                limiter.release(host)
            if (r.status_code >= 500 or r.status_code == 429) and attempt < retries:
                time.sleep(_retry_wait(attempt, backoff, r.headers.get("retry-after")))
                continue
            return r, body, more
        raise AssertionError("unreachable")

    def site(origin: str) -> None:
        with lock:
            olock = site_locks.setdefault(origin, threading.Lock())
        with olock:  # one fetch per host; the other workers of that host wait for it
            if origin in done_sites:
                return
            done_sites.add(origin)
            if cache.site_fresh(origin):
                return
            docs: dict[str, str | None] = {}
            statuses: dict[str, Any] = {}
            ttl = max_age_s
            for name, path in SITE_DOCS.items():
                try:
                    r, body, _ = get(origin + path, MAX_SITE_DOC)
                    statuses[name] = r.status_code
                    docs[name] = body.decode("utf-8", "replace") if 200 <= r.status_code < 300 else None
                    if name == "robots.txt":
                        ttl = max_age_of(r.headers.get("cache-control"), max_age_s)
                except (httpx.HTTPError, MediaManagerError) as exc:
                    statuses[name] = f"error: {type(exc).__name__}: {exc}"
                    docs[name] = None
            cache.put_origin(origin, docs, statuses, expires=utcnow() + timedelta(seconds=ttl))
            with lock:
                counts["sites"] += 1

    def page(url: str) -> None:
        error = None
        if cache.page_fresh(url, max_age_s):
            site(origin_of(url))
            with lock:
                counts["skipped"] += 1
            return
        try:
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"not an http(s) URL: {url!r}")
            site(origin_of(url))
            r, body, more = get(url, MAX_BODY)
            ctype = r.headers.get("content-type", "")
            head, head_error = None, None
            if "html" in ctype:
                found = head_of_page(body, truncated=more, limit=MAX_BODY)
                head, head_error = found.head, found.error
            final = str(r.url)
            if origin_of(final) != origin_of(url):
                site(origin_of(final))
            headers = [(k.lower(), v) for k, v in r.headers.multi_items()]
            cache.put_page(url, r.status_code, headers, head, head_error, final if final != url else None)
            with lock:
                counts["pages"] += 1
        except (httpx.HTTPError, ValueError, MediaManagerError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            cache.put_page(url, None, [], None, error)
            with lock:
                counts["failed"] += 1
        if on_done is not None:
            on_done(url, error)

    todo = list(dict.fromkeys(u.strip() for u in urls if u.strip()))
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for n, _ in enumerate(pool.map(page, todo), start=1):
                if on_progress is not None:
                    spent = time.monotonic() - started
                    on_progress(n, len(todo), spent / n * (len(todo) - n))
    finally:
        client.close()
        cache.close()
    return counts
