"""Step: look records up in the registry, a batch at a time, through the RegistryClient protocol."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from mediamanager.errors import RegistryUnavailableError
from mediamanager.lookup import LookupQuery
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext

__all__ = ["match_records"]

LOOKUP_BATCH = 256


def match_records(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Set ``matches`` (best first). An unreachable registry raises: the scan stops, nothing is kept."""
    while True:
        batch = list(islice(records, LOOKUP_BATCH))
        if not batch:
            return
        todo = [r for r in batch if r.error is None and (r.sha256 or r.extra.get("url_only"))]
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
        yield from batch
