"""The ledger's hash chain: each usage event commits to the one before it, like the audit log.

``hash_n = sha256_hex(prev_hash + "\\n" + canonical_json(body_n))`` where ``body_n`` is the
event's recorded fields in a fixed order (see :func:`event_body`), followed by its token count
when it has one (events recorded before token counts existed hash as they did), and the first event follows
64 zeros. A head row holds the last sequence number and hash, so a cut-off tail is noticed too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mediamanager.canonical import GENESIS, canonical_json, chain_hash

__all__ = ["CHAINED_FIELDS", "GENESIS", "ChainReport", "canonical_json", "event_hash", "verify_events"]


# The fields every event hash covers, in this order; adding one is a format change.
CHAINED_FIELDS = (
    "seq", "at", "submission_id", "scan_id", "builder_id", "owner_id", "work_id", "dataset",
    "dataset_version", "purpose", "scan_time", "decision", "grant_id", "match_kind", "score",
    "items", "item_ids", "conditions",
)  # fmt: skip


def event_body(event: Mapping[str, Any]) -> str:
    values = [event[f] for f in CHAINED_FIELDS]
    if event.get("tokens") is not None:
        values.append(event["tokens"])
    return canonical_json(values)


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    return chain_hash(prev_hash, event_body(event))


@dataclass(frozen=True)
class ChainReport:
    """``ok``, or the first sequence number that is missing, reordered or altered, and why."""

    ok: bool
    events: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def verify_events(rows: Iterable[Mapping[str, Any]], head_seq: int, head_hash: str) -> ChainReport:
    """Recompute the chain over ``rows`` (in seq order, each with ``prev_hash`` and ``hash``)."""
    prev = GENESIS
    expected = 1
    count = 0
    for r in rows:
        seq = int(r["seq"])
        if seq != expected:
            return ChainReport(False, count, prev, expected, f"event {expected} is missing")
        if r["prev_hash"] != prev:
            return ChainReport(False, count, prev, seq, f"event {seq} does not follow event {seq - 1}")
        if event_hash(prev, r) != r["hash"]:
            return ChainReport(False, count, prev, seq, f"event {seq} was altered (hash mismatch)")
        prev = str(r["hash"])
        expected += 1
        count += 1
    if count != head_seq or prev != head_hash:
        return ChainReport(
            False,
            count,
            prev,
            count + 1,
            f"ledger ends at event {count} but the head records event {head_seq}",
        )
    return ChainReport(True, count, prev)
