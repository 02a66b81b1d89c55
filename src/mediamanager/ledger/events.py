"""Usage events from a scan's ``decisions.parquet``: one per matched registered work and decision.

For every item that matched registered works, each work gets the item under one of
three decisions (what the scan did with it):

====================== =============================================================
``kept-under-licence``  outcome ``license`` and licensed items were kept in the output,
                        or outcome ``keep`` because a signed grant covered the work
                        (reason ``allow:grant``; the event names the grant)
``dropped``             outcome ``drop``, or ``license`` with ``--licensed exclude``
``kept-as-allowed``     outcome ``keep`` under an allow (or ``--unknown keep``)
====================== =============================================================

``error`` items were not used and give no event. Items of one work with the same decision
and grant become one event, with every item id, the best match's kind and score, and
the work's conditions as the scan saw them.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow.parquet as pq

from mediamanager.ledger import LedgerError

__all__ = ["DECISIONS", "GRANT_REASON", "GRANT_SOURCE", "WorkUsage", "usage_from_decisions"]

DECISIONS = ("kept-under-licence", "dropped", "kept-as-allowed")
GRANT_REASON = "allow:grant"
GRANT_SOURCE = "grant"  # Evidence.source of a grant; location = grant id, detail = work id
_COLUMNS = ["item_id", "outcome", "reason", "matches", "evidence"]
_BATCH = 8192


@dataclass
class WorkUsage:
    """What one scan did with one registered work under one decision (an event before it is chained)."""

    work_id: str
    owner_id: str
    decision: str
    grant_id: str | None
    match_kind: str
    score: float
    conditions: dict[str, Any] | None
    item_ids: list[str] = field(default_factory=list)
    tokens: int | None = None  # cl100k_base tokens of the items; None when the scan counted none

    def to_dict(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "owner_id": self.owner_id,
            "decision": self.decision,
            "grant_id": self.grant_id,
            "match_kind": self.match_kind,
            "score": self.score,
            "conditions": self.conditions,
            "items": len(self.item_ids),
            "item_ids": self.item_ids,
            "tokens": self.tokens,
        }


def _grants_of(evidence: str | None) -> dict[str, str]:
    try:
        entries = json.loads(evidence or "[]")
    except ValueError:
        raise LedgerError("decisions.parquet: an evidence cell is not JSON") from None
    return {
        e["detail"]: e["location"] for e in entries if e.get("source") == GRANT_SOURCE and e.get("detail")
    }


def usage_from_decisions(decisions: bytes, *, licensed_in_output: bool) -> list[WorkUsage]:
    """The per-work usage in a decisions.parquet file (its bytes), in first-seen order."""
    try:
        pf = pq.ParquetFile(io.BytesIO(decisions))
        missing = [c for c in _COLUMNS if c not in pf.schema_arrow.names]
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise LedgerError(f"decisions.parquet cannot be read: {exc}") from None
    if missing:
        raise LedgerError(f"decisions.parquet lacks the columns {missing}")
    found: dict[tuple[str, str, str | None], WorkUsage] = {}
    for batch in pf.iter_batches(columns=_COLUMNS, batch_size=_BATCH):
        cols = batch.to_pydict()
        for item_id, outcome, reason, matches, evidence in zip(
            cols["item_id"], cols["outcome"], cols["reason"], cols["matches"], cols["evidence"], strict=True
        ):
            if outcome == "error" or not matches or matches == "[]":
                continue
            grants = _grants_of(evidence) if outcome == "keep" and reason == GRANT_REASON else {}
            for m in json.loads(matches):
                grant = grants.get(m["work_id"])
                if outcome == "license":
                    decision = "kept-under-licence" if licensed_in_output else "dropped"
                elif outcome == "keep":
                    decision = "kept-under-licence" if grant else "kept-as-allowed"
                elif outcome == "drop":
                    decision = "dropped"
                else:
                    raise LedgerError(f"decisions.parquet: item {item_id!r} has unknown outcome {outcome!r}")
                key = (m["work_id"], decision, grant)
                u = found.get(key)
                if u is None:
                    u = found[key] = WorkUsage(
                        m["work_id"], m["owner_id"], decision, grant, m["kind"], float(m["score"]),
                        m.get("conditions"),
                    )  # fmt: skip
                elif float(m["score"]) > u.score:
                    u.score, u.match_kind = float(m["score"]), m["kind"]
                u.item_ids.append(item_id)
    return list(found.values())
