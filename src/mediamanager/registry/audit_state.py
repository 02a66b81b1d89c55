"""Binding the registry's state tables to the audit chain (review D10).

Every audit entry about an entity (owner, token, work, preferences, dispute, domain) carries
``state``: the sha256 of the canonical content of that entity's row as the transaction left it
when the entry was appended, or :data:`ABSENT` once the row is gone. :func:`check_state` then
proves that the tables are what the log says: every live row matches the digest of the latest
entry about it, every row has an entry, and no row vanished without one. A flipped ``deny``, a
deleted work or an inserted owner all fail it.

Two columns of ``works`` are left out of the digest because other entities' writes change them
without an entry about the work: ``updated_at`` (bookkeeping) and ``status``, which is checked
instead as derived state (``disputed`` exactly when a live dispute row names the work). Rows that a
logged ``work.delete`` removed with it (its disputes and work-level preferences) may be absent.

``work_urls`` (the lookup-by-URL index) has no entries of its own: it is derived from
``works.source_urls``, which the work's digest covers, and is checked as derived state instead
(exactly the url hashes of each work's source URLs, and no rows for works that do not exist), so a
row pointing a URL at another owner's work, or one removed to hide a work, fails the check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mediamanager.registry.store.tables import (
    disputes,
    domains,
    fingerprints,
    owners,
    preferences,
    tokens,
    work_urls,
    works,
)
from mediamanager.registry.work_urls import hashes_of

__all__ = ["ABSENT", "STATE_TABLES", "Latest", "StateProblem", "check_state", "state_digest"]

ABSENT = "absent"
_DERIVED = {"works": frozenset({"updated_at", "status"})}

# entity name in the audit log -> its table (keyed by ``id``)
STATE_TABLES: dict[str, sa.Table] = {
    "owner": owners,
    "token": tokens,
    "work": works,
    "preferences": preferences,
    "dispute": disputes,
    "domain": domains,
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"sha256": hashlib.sha256(bytes(value)).hexdigest()}
    return value


def _digest(table: sa.Table, row: Any, fps: list[Any] | None) -> str:
    skip = _DERIVED.get(table.name, frozenset())
    content: dict[str, Any] = {k: _plain(v) for k, v in row._mapping.items() if k not in skip}
    if fps is not None:
        content["fingerprints"] = [[f.kind, f.value, f.size, f.part] for f in fps]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _fingerprints(conn: sa.Connection, work_id: str) -> list[Any]:
    return list(
        conn.execute(
            sa.select(fingerprints.c.kind, fingerprints.c.value, fingerprints.c.size, fingerprints.c.part)
            .where(fingerprints.c.work_id == work_id)
            .order_by(fingerprints.c.kind, fingerprints.c.part, fingerprints.c.value)
        )
    )


def state_digest(conn: sa.Connection, entity: str, entity_id: str) -> str | None:
    """The digest of ``entity``'s row now (in the caller's transaction); None for an unbound entity."""
    table = STATE_TABLES.get(entity)
    if table is None:
        return None
    row = conn.execute(sa.select(table).where(table.c.id == entity_id)).first()
    if row is None:
        return ABSENT
    return _digest(table, row, _fingerprints(conn, entity_id) if table is works else None)


@dataclass(frozen=True)
class Latest:
    """The latest entry about one entity: its sequence number, state and the parents it names."""

    seq: int
    state: str | None
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class StateProblem:
    seq: int | None
    problem: str


def parents_of(entity: str, payload: dict[str, Any]) -> tuple[str, ...]:
    """The works whose logged deletion may remove this entity's row with them."""
    if entity == "dispute":
        return tuple(str(payload[k]) for k in ("work_a", "work_b") if k in payload)
    if entity == "preferences" and payload.get("scope") == "work" and "target" in payload:
        return (str(payload["target"]),)
    return ()


def _rows(conn: sa.Connection, table: sa.Table, batch: int) -> Iterator[Any]:
    last = ""
    while True:
        rows = conn.execute(sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def check_state(
    conn: sa.Connection, latest: dict[tuple[str, str], Latest], *, batch: int = 2000
) -> StateProblem | None:
    """The first way the state tables disagree with the log, or None when they agree."""
    seen: set[tuple[str, str]] = set()
    for entity, table in STATE_TABLES.items():
        for row in _rows(conn, table, batch):
            key = (entity, row.id)
            seen.add(key)
            entry = latest.get(key)
            if entry is None:
                return StateProblem(
                    None, f"{entity} {row.id} has no audit entry (inserted outside the registry)"
                )
            if entry.state is None or entry.state == ABSENT:
                return StateProblem(
                    entry.seq, f"{entity} {row.id} exists but entry {entry.seq} does not bind it"
                )
            fps = _fingerprints(conn, row.id) if table is works else None
            if _digest(table, row, fps) != entry.state:
                return StateProblem(entry.seq, f"{entity} {row.id} differs from its audit entry {entry.seq}")
    for (entity, entity_id), entry in latest.items():
        if entity not in STATE_TABLES or entry.state in (None, ABSENT) or (entity, entity_id) in seen:
            continue
        if not any(latest.get(("work", p), Latest(0, None)).state == ABSENT for p in entry.parents):
            return StateProblem(entry.seq, f"{entity} {entity_id} was deleted without an audit entry")
    # Stored as live (open or answered): a closed dispute's row stays, its works are active again.
    live = sa.select(disputes.c.work_a, disputes.c.work_b).where(disputes.c.status.in_(("open", "answered")))
    disputed = {w for r in conn.execute(live) for w in (r.work_a, r.work_b)}
    for r in conn.execute(sa.select(works.c.id, works.c.status)):
        if (r.status == "disputed") != (r.id in disputed):
            return StateProblem(
                latest.get(("work", r.id), Latest(0, None)).seq or None,
                f"work {r.id} has status {r.status!r} but its disputes say otherwise",
            )
    return _check_work_urls(conn, latest, batch)


def _check_work_urls(
    conn: sa.Connection, latest: dict[tuple[str, str], Latest], batch: int
) -> StateProblem | None:
    """``work_urls`` holds exactly the url hashes of each work's source URLs (derived state)."""
    orphan = conn.execute(
        sa.select(work_urls.c.work_id).where(~sa.exists().where(works.c.id == work_urls.c.work_id)).limit(1)
    ).first()
    if orphan is not None:
        return StateProblem(None, f"the URL index names work {orphan.work_id}, which does not exist")
    last = ""
    while True:
        rows = conn.execute(
            sa.select(works.c.id, works.c.source_urls)
            .where(works.c.id > last)
            .order_by(works.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return None
        indexed: dict[str, set[str]] = {r.id: set() for r in rows}
        for u in conn.execute(
            sa.select(work_urls.c.work_id, work_urls.c.url_hash).where(
                work_urls.c.work_id >= rows[0].id, work_urls.c.work_id <= rows[-1].id
            )
        ):
            indexed[u.work_id].add(u.url_hash)
        for r in rows:
            if indexed[r.id] != hashes_of(r.source_urls):
                return StateProblem(
                    latest.get(("work", r.id), Latest(0, None)).seq or None,
                    f"work {r.id}: the URL index disagrees with its source URLs",
                )
        last = rows[-1].id
