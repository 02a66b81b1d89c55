"""The registry's append-only audit log, chained by sha256 so that tampering is detectable.

Each change to owners, tokens, works, preferences, claims (disputes) and domains
appends one row in the same transaction as the change. Row ``n`` stores::

    hash_n = sha256_hex(prev_hash + "\\n" + canonical_json([seq, at, actor, action, entity, entity_id, payload]))

where ``prev_hash`` is ``hash_{n-1}`` (64 zeros before the first row),
``canonical_json`` is JSON with sorted keys, no spaces and ASCII only, and
``payload`` is the stored canonical-JSON text. Since revision 0005 an entry about a state
table also carries ``state`` (see :mod:`mediamanager.registry.audit_state`) and is hashed as::

    hash_n = sha256_hex(prev_hash + "\\n" + canonical_json([seq, at, actor, action, entity, entity_id, payload, state]))

so the log also proves what the tables hold. The single ``audit_head`` row
holds the last sequence number and hash: every write transaction locks it first,
which also serialises writers, and :func:`verify_chain` checks the log against it
so that a deleted tail is noticed too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mediamanager.canonical import GENESIS, canonical_json, chain_hash
from mediamanager.model import utcnow
from mediamanager.registry import audit_state
from mediamanager.registry.store.tables import audit_head, audit_log

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditReport",
    "append",
    "canonical_json",
    "entries_about",
    "lock_head",
    "read_entries",
    "read_head",
    "verify_chain",
]


def _entry_hash(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    payload: str,
    state: str | None = None,
) -> str:
    fields: list[Any] = [seq, at, actor, action, entity, entity_id, payload]
    if state is not None:
        fields.append(state)
    return chain_hash(prev_hash, canonical_json(fields))


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "state": self.state,
        }


@dataclass(frozen=True)
class AuditReport:
    """The result of checking the chain: ``ok`` or the first broken sequence number and why."""

    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def read_head(conn: sa.Connection) -> tuple[int, str]:
    """The chain head ``(seq, hash)`` without locking it."""
    row = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    return int(row.seq), str(row.hash)


def lock_head(conn: sa.Connection) -> tuple[int, str]:
    """Lock the chain head for this transaction and return ``(seq, hash)``.

    The UPDATE takes a row lock on PostgreSQL (SQLite already holds its write lock
    via BEGIN IMMEDIATE), so concurrent writers append one after another.
    """
    conn.execute(sa.update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq))
    row = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    return int(row.seq), str(row.hash)


def append(
    conn: sa.Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    payload: Mapping[str, Any],
) -> AuditEntry:
    """Append one entry in the caller's transaction (which must have called :func:`lock_head`).

    Call it after the change: the entry binds the entity's row as it is now.
    """
    seq, prev = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    seq = int(seq) + 1
    at = utcnow().isoformat()
    text = canonical_json(dict(payload))
    state = audit_state.state_digest(conn, entity, entity_id)
    digest = _entry_hash(prev, seq, at, actor, action, entity, entity_id, text, state)
    conn.execute(
        sa.insert(audit_log).values(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            payload=text,
            prev_hash=prev,
            hash=digest,
            state=state,
        )
    )
    conn.execute(sa.update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    return AuditEntry(seq, at, actor, action, entity, entity_id, dict(payload), prev, digest, state)


def verify_chain(conn: sa.Connection, *, batch: int = 5000, state: bool = True) -> AuditReport:
    """Recompute every hash in order; report the first row that was edited, removed or inserted.

    With ``state`` (the default) the state tables are then checked against the log too
    (:func:`mediamanager.registry.audit_state.check_state`).
    """
    latest: dict[tuple[str, str], audit_state.Latest] = {}
    head_seq, head_hash = conn.execute(
        sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
    ).one()
    prev = GENESIS
    expected_seq = 1
    count = 0
    last = 0
    while True:
        rows = conn.execute(
            sa.select(audit_log).where(audit_log.c.seq > last).order_by(audit_log.c.seq).limit(batch)
        ).all()
        if not rows:
            break
        for r in rows:
            if r.seq != expected_seq:
                return AuditReport(False, count, prev, expected_seq, f"entry {expected_seq} is missing")
            if r.prev_hash != prev:
                return AuditReport(
                    False, count, prev, r.seq, f"entry {r.seq} does not follow entry {r.seq - 1}"
                )
            digest = _entry_hash(
                prev, r.seq, r.at, r.actor, r.action, r.entity, r.entity_id, r.payload, r.state
            )
            if digest != r.hash:
                return AuditReport(False, count, prev, r.seq, f"entry {r.seq} was altered (hash mismatch)")
            if state and r.entity in audit_state.STATE_TABLES:
                parents = (
                    audit_state.parents_of(r.entity, json.loads(r.payload)) if r.entity in _PARENTED else ()
                )
                latest[(r.entity, r.entity_id)] = audit_state.Latest(r.seq, r.state, parents)
            prev = r.hash
            expected_seq += 1
            count += 1
            last = r.seq
    if count != head_seq or prev != head_hash:
        return AuditReport(
            False, count, prev, count + 1, f"log ends at entry {count} but the head records entry {head_seq}"
        )
    if state:
        problem = audit_state.check_state(conn, latest)
        if problem is not None:
            return AuditReport(False, count, prev, problem.seq, problem.problem)
    return AuditReport(True, count, prev)


_PARENTED = frozenset({"dispute", "preferences"})


def read_entries(conn: sa.Connection, *, after: int = 0, limit: int = 100) -> list[AuditEntry]:
    """Entries with ``seq > after``, oldest first."""
    rows = conn.execute(
        sa.select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq).limit(limit)
    ).all()
    return _entries(rows)


def entries_about(conn: sa.Connection, entity: str, entity_id: str) -> list[AuditEntry]:
    """Every entry about one record (for example a dispute's steps), oldest first."""
    rows = conn.execute(
        sa.select(audit_log)
        .where(audit_log.c.entity == entity, audit_log.c.entity_id == entity_id)
        .order_by(audit_log.c.seq)
    ).all()
    return _entries(rows)


def _entries(rows: Any) -> list[AuditEntry]:
    return [
        AuditEntry(
            r.seq,
            r.at,
            r.actor,
            r.action,
            r.entity,
            r.entity_id,
            json.loads(r.payload),
            r.prev_hash,
            r.hash,
            r.state,
        )
        for r in rows
    ]
