"""Writes ``decisions.parquet``: one row per input item, always.

Columns (Arrow types):

========================  ===============  ==============================================
``item_id``               string           the item's id (column ``id``, key or path)
``shard``, ``offset``     string, int64    where the item sits in the input; unique pair
``outcome``               string           keep | drop | license | error
``purpose``               string           the declared purpose
``reason``                string           the primary reason code: ``deny:registry``,
                                           ``deny:x-robots-tag``, ``allow-if:registry``,
                                           ``allow:tdmrep``, ``unknown``, ``error``...
``reasons``               list<string>     every reason, human-readable
``use``                   string           the combined use for the purpose
``conditions``            string (JSON)    the conditions of an allow-if, else null
``matches``               string (JSON)    matched works: id, score, kind, owner, title,
                                           disputed, claimants, dispute (state, deadline,
                                           role, outcome), the work's effective use
``owners``                list<string>     owners of matched works
``disputed``              bool             any matched work is disputed
``deciding_source``       string           registry, a signal source, or none
``evidence``              string (JSON)    every piece of evidence (model ``Evidence``)
``url``, ``filename``     string           as read
``media_type``            string           text | image | audio | video, when known
``sha256``, ``iscc``      string           content ids, when the item could be read
``source_category``       string           public-web, licensed, user-contributed-opt-in...
``error``                 string           why the item could not be read or checked
========================  ===============  ==============================================
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from mediamanager.model import Outcome, Rule, Use
from mediamanager.scan.record import Record
from mediamanager.scan.steps.decide import deciding_source

__all__ = ["DECISION_SCHEMA", "decision_row", "decision_table"]

DECISION_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("shard", pa.string()),
        ("offset", pa.int64()),
        ("outcome", pa.string()),
        ("purpose", pa.string()),
        ("reason", pa.string()),
        ("reasons", pa.list_(pa.string())),
        ("use", pa.string()),
        ("conditions", pa.string()),
        ("matches", pa.string()),
        ("owners", pa.list_(pa.string())),
        ("disputed", pa.bool_()),
        ("deciding_source", pa.string()),
        ("evidence", pa.string()),
        ("url", pa.string()),
        ("filename", pa.string()),
        ("media_type", pa.string()),
        ("sha256", pa.string()),
        ("iscc", pa.string()),
        ("source_category", pa.string()),
        ("error", pa.string()),
    ]
)


def decision_table(records: Iterable[Record]) -> pa.Table:
    """The decisions.parquet rows of decided records, as one Arrow table."""
    return pa.Table.from_pylist([decision_row(r) for r in records], schema=DECISION_SCHEMA)


# Rules shared by many records (the same signals and no match: most of a dataset) are serialised
# once; the memo keeps each rule alive so its id cannot be reused while it is a key.
_RULE_MEMO: dict[int, tuple[Rule, str, str | None, str]] = {}
_RULE_MEMO_SIZE = 1024


def _rule_columns(rule: Rule, outcome: Outcome) -> tuple[str, str | None, str]:
    """(evidence JSON, conditions JSON, deciding source) of a decision's rule."""
    hit = _RULE_MEMO.get(id(rule))
    if hit is not None and hit[0] is rule:
        return hit[1], hit[2], hit[3]
    evidence = json.dumps([e.to_dict() for e in rule.evidence], sort_keys=True)
    conditions = None if rule.conditions.is_empty() else json.dumps(rule.conditions.to_dict(), sort_keys=True)
    source = "error" if outcome is Outcome.ERROR else deciding_source(rule)
    if len(_RULE_MEMO) >= _RULE_MEMO_SIZE:
        _RULE_MEMO.clear()
    _RULE_MEMO[id(rule)] = (rule, evidence, conditions, source)
    return evidence, conditions, source


def decision_row(rec: Record) -> dict[str, Any]:
    """The decisions.parquet row of a decided record."""
    d = rec.decision
    if d is None:
        raise ValueError(f"record {rec.id} has no decision")
    purpose = d.purpose
    rule = d.rule
    if d.outcome is Outcome.ERROR:
        reason = "error"
    elif rule.use is Use.UNKNOWN:
        reason = "unknown"
    else:
        reason = d.reasons[0]
    evidence, conditions, source = _rule_columns(rule, d.outcome)
    matches = []
    for m in rec.matches:
        eff = m.preferences.effective(purpose)
        matches.append(
            {
                "work_id": m.work_id,
                "score": round(m.score, 6),
                "kind": m.kind,
                "owner_id": m.owner_id,
                "owner_name": m.owner_name,
                "title": m.title,
                "iscc": m.iscc,
                "disputed": m.disputed,
                "claimants": list(m.claimants),
                "dispute": None if m.dispute is None else m.dispute.to_dict(),
                "use": eff.use.value,
                "conditions": None if eff.conditions.is_empty() else eff.conditions.to_dict(),
            }
        )
    return {
        "item_id": rec.id,
        "shard": rec.shard,
        "offset": rec.offset,
        "outcome": d.outcome.value,
        "purpose": purpose.value,
        "reason": reason,
        "reasons": list(d.reasons),
        "use": rule.use.value,
        "conditions": conditions,
        "matches": json.dumps(matches, sort_keys=True) if matches else "[]",
        "owners": sorted({m.owner_name or m.owner_id for m in rec.matches}),
        "disputed": any(m.disputed for m in rec.matches),
        "deciding_source": source,
        "evidence": evidence,
        "url": rec.url,
        "filename": rec.filename,
        "media_type": None if rec.media_type is None else rec.media_type.value,
        "sha256": rec.sha256,
        "iscc": rec.iscc,
        "source_category": rec.source_category,
        "error": rec.error,
    }
