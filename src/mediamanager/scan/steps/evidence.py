"""Step: fill in crawl evidence from the evidence cache for records that carry only a URL.

The cache fails closed (RFC 9309 §2.3.1.4 and "unknown is never permission"):

* a URL the cache does not hold, or whose page fetch failed, is an ``error`` row;
* an unreachable robots.txt is a complete disallow, an unreachable ai.txt or
  tdmrep.json an error entry (:mod:`mediamanager.scan.site_status`);
* a page that redirected is read at its final URL, against the final origin's site
  documents, and the requested URL is checked against its own origin's too.

Site evidence that is not in the record's own fields goes to
``rec.extra["site_evidence"]``; the signals step adds it to what it reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from mediamanager.model import Evidence
from mediamanager.scan.evidence import CachedEvidence, CachedSite, origin_of
from mediamanager.scan.record import Record
from mediamanager.scan.site_status import site_evidence
from mediamanager.scan.steps.context import StepContext

__all__ = ["READ_BATCH", "attach_evidence"]

READ_BATCH = 1024  # records whose pages are read from the cache in one query


def _missing(rec: Record, hit: CachedEvidence | None) -> str | None:
    """Why the cache cannot speak for this record, or None when it can."""
    if hit is None or not hit.page_found:
        return f"{rec.url} is not in the evidence cache (run `mediamanager evidence fetch` on it)"
    if hit.error is not None:
        return f"evidence fetch of {rec.url} failed: {hit.error}"
    final = hit.final_url or rec.url or ""
    if hit.site is None or (
        hit.final_url and origin_of(final) != origin_of(rec.url or "") and not hit.final_site
    ):
        return f"the site documents of {origin_of(final)} are not in the evidence cache"
    return None


def _fill(rec: Record, hit: CachedEvidence, user_agent: str | None) -> None:
    main: CachedSite | None = hit.final_site or hit.site
    assert main is not None
    own = frozenset(
        name
        for name, value in (
            ("robots.txt", rec.robots_txt),
            ("ai.txt", rec.ai_txt),
            ("tdmrep.json", rec.tdmrep_json),
        )
        if value is not None
    )
    if not rec.headers:
        rec.headers = hit.headers
    rec.html_head = rec.html_head or hit.html_head
    rec.robots_txt = rec.robots_txt or main.robots_txt
    rec.ai_txt = rec.ai_txt or main.ai_txt
    rec.tdmrep_json = rec.tdmrep_json or main.tdmrep_json
    url = hit.final_url or rec.url or ""
    extra: list[Evidence] = site_evidence(main, url, user_agent=user_agent, skip=own, failures_only=True)
    if hit.final_url is not None and hit.site is not None:
        # The requested URL was crawled too: its own origin's documents bind it as well.
        extra += site_evidence(hit.site, rec.url or "", user_agent=user_agent)
        rec.extra["evidence_url"] = hit.final_url
    if extra:
        rec.extra["site_evidence"] = tuple(extra)
    rec.extra["evidence_fetched_at"] = hit.fetched_at


def attach_evidence(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Copy cached headers, HTML head, robots.txt, ai.txt and tdmrep.json into records lacking them.

    Evidence the dataset itself captured wins over the cache: it was observed
    when the item was collected.
    """
    cache = ctx.evidence_cache
    if cache is None:
        yield from records
        return
    while batch := list(islice(records, READ_BATCH)):
        hits = cache.get_many([r.url for r in batch if r.url and r.error is None])
        for rec in batch:
            if rec.url and rec.error is None:
                hit = hits[rec.url]
                why = _missing(rec, hit)
                if why is not None:
                    rec.error = why
                elif hit is not None:
                    _fill(rec, hit, ctx.config.user_agent)
        yield from batch
