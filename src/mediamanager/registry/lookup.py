"""Lookup: which registered works match each query, what their owners prefer, and which registry answered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mediamanager.errors import InputError
from mediamanager.lookup import LookupQuery, LookupResult, RegistryInfo, WorkMatch
from mediamanager.model import Preferences
from mediamanager.registry import audit
from mediamanager.registry.disputes import dispute_statuses, live_claimants
from mediamanager.registry.matching import EXACT_KINDS
from mediamanager.registry.preferences import effective_for_rows
from mediamanager.registry.records import check_sha256
from mediamanager.registry.uow import UnitOfWork, select_in
from mediamanager.registry.work_urls import works_with_urls
from mediamanager.urlnorm import url_hash

__all__ = ["LookupService"]

# Everything a lookup reports about a matched work. Owners' names are fetched separately:
# given a join, SQLite's planner chose to scan owners and probe works per owner.
_MATCH_SQL = "SELECT id, sha256, owner_id, collection, source_urls, title, iscc, status FROM works"


class LookupService:
    """Anonymous reads: lookups, which registry this is, and its audit log."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def lookup(self, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        """Matches (exact sha256, source URL, then near-duplicates) and effective preferences per query."""
        with self.uow.read() as conn:
            return self._lookup(conn, queries)

    def lookup_with_info(self, queries: Sequence[LookupQuery]) -> tuple[list[LookupResult], RegistryInfo]:
        """:meth:`lookup` plus :meth:`info`, read in one transaction (one consistent view)."""
        with self.uow.read() as conn:
            results = self._lookup(conn, queries)
            seq, head = audit.read_head(conn)
        return results, self._info(seq, head)

    def _lookup(self, conn: sa.Connection, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        if len(queries) > self.uow.settings.max_lookup_batch:
            raise InputError(f"{len(queries)} items; at most {self.uow.settings.max_lookup_batch} per lookup")
        found: list[dict[str, tuple[float, str]]] = [{} for _ in queries]
        sha_of: dict[str, list[int]] = defaultdict(list)
        for i, q in enumerate(queries):
            sha = q.sha256 or next((f.value for f in q.fingerprints if f.kind == "sha256"), None)
            if sha:
                sha_of[check_sha256(sha)].append(i)
        rows = {r.id: r for r in select_in(conn, _MATCH_SQL + " WHERE sha256", list(sha_of))}
        for r in rows.values():
            for i in sha_of[r.sha256]:
                found[i][r.id] = (1.0, "sha256")
        url_of: dict[str, list[int]] = defaultdict(list)
        refused: dict[int, str] = {}
        for i, q in enumerate(queries):
            if q.url is not None:
                try:
                    url_of[url_hash(q.url)].append(i)
                except ValueError as exc:
                    # This item alone is refused (as the HTTP API's 422 does), never answered "no match".
                    refused[i] = f"bad lookup URL {q.url[:100]!r}: {exc}"
        by_url = works_with_urls(conn, list(url_of))
        for h, work_id in by_url:
            for i in url_of[h]:
                found[i].setdefault(work_id, (1.0, "url"))  # sha256 first: it says more than a URL
        more = sorted({w for _, w in by_url} - rows.keys())
        rows.update((r.id, r) for r in select_in(conn, _MATCH_SQL + " WHERE id", more))
        near = [i for i, q in enumerate(queries) if any(f.kind not in EXACT_KINDS for f in q.fingerprints)]
        if near:
            self.uow.index.sync(conn)
            for i in near:
                q = queries[i]
                for m in self.uow.index.search(q.media_type, q.fingerprints, self.uow.settings.match_limit):
                    if m.key not in found[i]:
                        found[i][m.key] = (float(m.score), m.kind)
            more = sorted({w for f in found for w in f} - rows.keys())
            rows.update((r.id, r) for r in select_in(conn, _MATCH_SQL + " WHERE id", more))
        matches = self._matches_from_rows(conn, list(rows.values()))
        results: list[LookupResult] = []
        for i, (q, hits) in enumerate(zip(queries, found, strict=True)):
            if i in refused:
                results.append(LookupResult(q.item_id, (), error=refused[i]))
                continue
            ms = [
                _with_score(matches[w], score, kind) for w, (score, kind) in hits.items() if w in matches
            ]  # a hit whose work is gone (deleted elsewhere) is dropped here
            ms.sort(key=lambda m: (-m.score, m.work_id))
            results.append(LookupResult(q.item_id, tuple(ms)))
        return results

    def _matches_from_rows(self, conn: sa.Connection, rows: Sequence[Any]) -> dict[str, WorkMatch]:
        now = self.uow.now()
        # Every rule is decided at the lookup's time (an expired permission is unknown); works sharing one
        # resolved Preferences share its decision too.
        at_now: dict[int, Preferences] = {}
        prefs: dict[str, Preferences] = {}
        for w, p in effective_for_rows(conn, rows, public=True).items():
            if id(p) not in at_now:
                at_now[id(p)] = p.at(now)
            prefs[w] = at_now[id(p)]
        claimed = live_claimants(conn, [r.id for r in rows if r.status == "disputed"], now)
        states = dispute_statuses(conn, [r.id for r in rows], now)  # closed disputes too: any status
        names = dict(
            select_in(
                conn, "SELECT id, display_name FROM owners WHERE id", sorted({r.owner_id for r in rows})
            )
        )
        return {
            r.id: WorkMatch(
                work_id=r.id,
                score=1.0,
                kind="",
                owner_id=r.owner_id,
                owner_name=names.get(r.owner_id, ""),
                title=r.title,
                iscc=r.iscc,
                preferences=prefs[r.id],
                disputed=r.id in claimed,
                claimants=claimed.get(r.id, ()),
                dispute=states.get(r.id),
            )
            for r in rows
        }

    def info(self) -> RegistryInfo:
        """Which registry this is: its backend, audit sequence (version) and head hash."""
        with self.uow.read() as conn:
            seq, head = audit.read_head(conn)
        return self._info(seq, head)

    def _info(self, seq: int, head: str) -> RegistryInfo:
        return RegistryInfo(
            source=f"registry:{self.uow.engine.url.get_backend_name()}", version=f"audit-{seq}", sha256=head
        )

    def verify_audit(self) -> audit.AuditReport:
        with self.uow.read() as conn:
            return audit.verify_chain(conn)

    def audit_entries(self, *, after: int = 0, limit: int = 100) -> list[audit.AuditEntry]:
        with self.uow.read() as conn:
            return audit.read_entries(conn, after=after, limit=limit)


def _with_score(m: WorkMatch, score: float, kind: str) -> WorkMatch:
    return WorkMatch(
        m.work_id,
        round(score, 6),
        kind,
        m.owner_id,
        m.owner_name,
        m.title,
        m.iscc,
        m.preferences,
        m.disputed,
        m.claimants,
        m.dispute,
    )
