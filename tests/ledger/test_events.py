"""Usage events from decisions.parquet: the decision table from docs/ledger.md, written out by hand."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mediamanager.ledger import LedgerError
from mediamanager.ledger.events import usage_from_decisions
from mediamanager.scan.writers.decisions import DECISION_SCHEMA


def row(
    item: str, outcome: str, reason: str, works: list[tuple[str, float]], evidence: Any = ()
) -> dict[str, Any]:
    matches = [{"work_id": w, "owner_id": "o1", "kind": "sha256" if s == 1 else "minhash", "score": s,
                "conditions": {"attribution": True}} for w, s in works]  # fmt: skip
    base = {f.name: None for f in DECISION_SCHEMA}
    return {**base, "item_id": item, "shard": "s", "offset": 0, "outcome": outcome, "reason": reason,
            "matches": json.dumps(matches), "evidence": json.dumps(list(evidence))}  # fmt: skip


def parquet(rows: list[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=DECISION_SCHEMA), buf)
    return buf.getvalue()


ROWS = [
    row("1", "license", "allow-if:registry", [("wl", 0.93)]),
    row("2", "license", "allow-if:registry", [("wl", 1.0)]),
    row("3", "drop", "deny:registry", [("wd", 1.0), ("wl", 0.91)]),
    row("4", "keep", "allow:registry", [("wa", 1.0)]),
    row("5", "keep", "allow:grant", [("wl", 1.0)], [{"source": "grant", "location": "g1", "detail": "wl"}]),
    row("6", "error", "error", [("wl", 1.0)]),
    row("7", "drop", "unknown", []),
]


@pytest.mark.parametrize("licensed_in_output", [True, False])
def test_decisions_per_work(licensed_in_output: bool) -> None:
    got = sorted(
        (u.work_id, u.decision, u.grant_id or "", u.item_ids, u.match_kind, u.score)
        for u in usage_from_decisions(parquet(ROWS), licensed_in_output=licensed_in_output)
    )
    licensed = "kept-under-licence" if licensed_in_output else "dropped"
    expected = [
        ("wa", "kept-as-allowed", "", ["4"], "sha256", 1.0),
        ("wd", "dropped", "", ["3"], "sha256", 1.0),
        ("wl", "kept-under-licence", "g1", ["5"], "sha256", 1.0),
    ]
    if licensed_in_output:
        expected += [
            ("wl", "dropped", "", ["3"], "minhash", 0.91),
            ("wl", licensed, "", ["1", "2"], "sha256", 1.0),
        ]
    else:  # licensed items left out of the output were not used: dropped, together with item 3
        expected += [("wl", "dropped", "", ["1", "2", "3"], "sha256", 1.0)]
    assert got == sorted(expected)


def test_not_parquet() -> None:
    with pytest.raises(LedgerError, match=r"decisions.parquet cannot be read"):
        usage_from_decisions(b"PAR1 not really", licensed_in_output=True)
