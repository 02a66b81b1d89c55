"""Step: fill in crawl evidence from the evidence cache for records that carry only a URL."""

from __future__ import annotations

from collections.abc import Iterator

from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext

__all__ = ["attach_evidence"]


def attach_evidence(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Copy cached headers, HTML head, robots.txt, ai.txt and tdmrep.json into records lacking them.

    Evidence the dataset itself captured wins over the cache: it was observed
    when the item was collected.
    """
    cache = ctx.evidence_cache
    for rec in records:
        if cache is not None and rec.url:
            hit = cache.get(rec.url)
            if hit is not None:
                if not rec.headers:
                    rec.headers = hit.headers
                rec.html_head = rec.html_head or hit.html_head
                rec.robots_txt = rec.robots_txt or hit.robots_txt
                rec.ai_txt = rec.ai_txt or hit.ai_txt
                rec.tdmrep_json = rec.tdmrep_json or hit.tdmrep_json
                rec.extra["evidence_fetched_at"] = hit.fetched_at
        yield rec
