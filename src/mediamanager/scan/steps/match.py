"""Step: look records up in the registry, a batch at a time, through the RegistryClient protocol.

Images are looked up in two passes: first by their global hashes (PDQ/pHash, cheap); the images
that matched nothing then get their ORB local features (computed from the pixels the fingerprint
step already decoded, ``Record.extra["deferred_local"]``) and are looked up again with them, so
the robust path costs time only where the global hashes found nothing (issue 10).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from mediamanager.errors import RegistryUnavailableError
from mediamanager.lookup import LookupQuery
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext
from mediamanager.scan.steps.fingerprint import DEFERRED_LOCAL

__all__ = ["match_records"]

LOOKUP_BATCH = 256


def match_records(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Set ``matches`` (best first). An unreachable registry raises: the scan stops, nothing is kept."""
    while True:
        batch = list(islice(records, LOOKUP_BATCH))
        if not batch:
            return
        todo = [r for r in batch if r.error is None and (r.sha256 or r.extra.get("url_only"))]
        _lookup(todo, ctx)
        # second pass: images the global hashes missed, now with their local features
        again = []
        for r in batch:
            deferred = r.extra.pop(DEFERRED_LOCAL, None)
            if deferred is not None and r.error is None and not r.matches:
                local = deferred()
                if local:
                    r.fingerprints = (*r.fingerprints, *local)
                    again.append(r)
        _lookup(again, ctx)
        yield from batch


def _lookup(todo: list[Record], ctx: StepContext) -> None:
    if todo:
        # A URL-only row is looked up by its URL (works registered with that source URL).
        queries = [
            LookupQuery(
                item_id=f"{r.shard}\x1f{r.offset}",
                sha256=r.sha256,
                media_type=r.media_type,
                fingerprints=tuple(r.fingerprints),
                url=r.url if r.extra.get("url_only") else None,
            )
            for r in todo
        ]
        results = ctx.client.lookup(queries)
        by_id = {res.item_id: res for res in results}
        if len(by_id) != len(queries) or any(q.item_id not in by_id for q in queries):
            raise RegistryUnavailableError(
                f"the registry answered {len(results)} results for {len(queries)} queries; refusing to guess"
            )
        for r, q in zip(todo, queries, strict=True):
            answer = by_id[q.item_id]
            if answer.error is not None:
                r.error = answer.error  # refused for this item alone: an error row, the scan goes on
            else:
                r.matches = tuple(answer.matches)
