"""``POST /lookup`` in pages the server accepts, for :meth:`mediamanager.client.RegistryApi.lookup`.

A book-length text carries hundreds of fingerprints (one MinHash per 256-word stride), more than
one lookup item may hold. Each item's fingerprints are split into pages of at most
:data:`PAGE_FINGERPRINTS`, pages are packed into requests of at most :data:`REQUEST_ITEMS` items
and :data:`REQUEST_FINGERPRINTS` fingerprints, and the answers are merged back per item: one
match per work, with its best score over the pages.

A 4xx for a request is narrowed down by halving it until the one item the server refuses is
alone; that item's result then carries ``error`` (the reason) and the others are answered. A
refused item is never reported as "no match", and never stops the other items. 5xx, 429 and
connection failures still raise :class:`~mediamanager.errors.RegistryUnavailableError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mediamanager.errors import InputError, NotFoundError, RegistryUnavailableError
from mediamanager.lookup import LookupQuery, LookupResult, WorkMatch

if TYPE_CHECKING:
    from mediamanager.client import RegistryApi

__all__ = ["PAGE_FINGERPRINTS", "REQUEST_FINGERPRINTS", "REQUEST_ITEMS", "lookup_pages", "paged_lookup"]

# The API's LookupItem takes at most 256 fingerprints; every server since 0.1 accepts this page.
PAGE_FINGERPRINTS = 256
REQUEST_ITEMS = 2000
# About 0.7 KB of JSON per MinHash: ~11 MB per request, under the API's 50 MB body limit.
REQUEST_FINGERPRINTS = 16_384


def lookup_pages(query: LookupQuery, page: int = PAGE_FINGERPRINTS) -> list[LookupQuery]:
    """``query`` split into queries of at most ``page`` fingerprints (sha256 and url ride on the first)."""
    fps = query.fingerprints
    if len(fps) <= page:
        return [query]
    return [
        LookupQuery(
            query.item_id,
            query.sha256 if i == 0 else None,
            query.media_type,
            fps[i : i + page],
            url=query.url if i == 0 else None,
        )
        for i in range(0, len(fps), page)
    ]


def _requests(subs: list[tuple[int, LookupQuery]]) -> list[list[tuple[int, LookupQuery]]]:
    out: list[list[tuple[int, LookupQuery]]] = []
    current: list[tuple[int, LookupQuery]] = []
    weight = 0
    for sub in subs:
        n = len(sub[1].fingerprints)
        if current and (len(current) >= REQUEST_ITEMS or weight + n > REQUEST_FINGERPRINTS):
            out.append(current)
            current, weight = [], 0
        current.append(sub)
        weight += n
    if current:
        out.append(current)
    return out


def _post(api: RegistryApi, batch: list[tuple[int, LookupQuery]]) -> list[tuple[WorkMatch, ...]]:
    try:
        data = api.request(
            "POST", "/lookup", json={"items": [q.to_dict() for _, q in batch]}, auth=False, idempotent=True
        )
    except NotFoundError as exc:
        raise RegistryUnavailableError(f"registry {api.url} has no lookup route: {exc}") from None
    try:
        results = data["results"]
        if len(results) != len(batch):
            raise ValueError(f"{len(results)} results for {len(batch)} items")
        out = []
        for (_, q), r in zip(batch, results, strict=True):
            if r["id"] != q.item_id:
                raise ValueError(f"result for {r['id']!r} where {q.item_id!r} was expected")
            out.append(tuple(WorkMatch.from_dict(m) for m in r["matches"]))
        return out
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryUnavailableError(
            f"registry {api.url} answered an unexpected lookup shape: {exc}"
        ) from None


def _answer(
    api: RegistryApi,
    batch: list[tuple[int, LookupQuery]],
    answers: dict[int, list[tuple[WorkMatch, ...]]],
    refused: dict[int, str],
) -> None:
    """Ask for ``batch``; on a 4xx, halve it until the refused item stands alone."""
    try:
        found = _post(api, batch)
    except InputError as exc:
        if len(batch) == 1:
            refused.setdefault(batch[0][0], str(exc))
            return
        mid = len(batch) // 2
        _answer(api, batch[:mid], answers, refused)
        _answer(api, batch[mid:], answers, refused)
        return
    for (i, _), matches in zip(batch, found, strict=True):
        answers.setdefault(i, []).append(matches)


def _merge(pages: list[tuple[WorkMatch, ...]]) -> tuple[WorkMatch, ...]:
    if len(pages) == 1:
        return pages[0]
    best: dict[str, WorkMatch] = {}
    for matches in pages:
        for m in matches:
            if m.work_id not in best or m.score > best[m.work_id].score:
                best[m.work_id] = m
    limit = max(len(p) for p in pages)  # never more than the server reports for one item
    return tuple(sorted(best.values(), key=lambda m: (-m.score, m.work_id))[:limit])


def paged_lookup(api: RegistryApi, queries: Sequence[LookupQuery]) -> list[LookupResult]:
    """One result per query, in order; a query the server refused has ``error`` set and no matches."""
    subs = [(i, page) for i, q in enumerate(queries) for page in lookup_pages(q)]
    answers: dict[int, list[tuple[WorkMatch, ...]]] = {}
    refused: dict[int, str] = {}
    for batch in _requests(subs):
        _answer(api, batch, answers, refused)
    out: list[LookupResult] = []
    for i, q in enumerate(queries):
        if i in refused:
            out.append(LookupResult(q.item_id, (), error=f"registry refused the lookup: {refused[i]}"))
        else:
            out.append(LookupResult(q.item_id, _merge(answers.get(i, [()]))))
    return out
