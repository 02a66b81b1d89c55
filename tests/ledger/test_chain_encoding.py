"""The ingest path writes each event's hash piece by piece; the verifier recomputes it with canonical_json.

The oracle is :func:`mediamanager.ledger.chain.event_hash` over the stored row (the documented
formula), so any drift between the fast writer and the canonical form shows as a failed verify.
"""

from __future__ import annotations

import math
from pathlib import Path

import sqlalchemy as sa

from mediamanager.ledger.chain import GENESIS, event_hash
from mediamanager.ledger.events import WorkUsage
from mediamanager.registry.ledger import LedgerService
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.store.engine import WRITE
from mediamanager.registry.store.ledger_tables import ledger_events
from mediamanager.registry.uow import UnitOfWork

ODD = {"payment": {"model": "per-item", "amount": "0.10", "currency": "EUR"}, "note": 'é "quoted" \\ \n\t'}


def test_fast_writer_matches_canonical_form(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'l.db'}")
    upgrade_schema(engine)
    usage = [
        WorkUsage("w1", "o1", "kept-under-licence", None, "sha256", 1.0, ODD, ["a", 'b"', "ç\u2028"]),
        WorkUsage("w2", "o2", "dropped", "g" * 32, "minhash", 0.912345, None, []),
        WorkUsage("w3", "o1", "kept-as-allowed", None, "minhash", 1e-7, {"attribution": True}, ["x"] * 3),
        WorkUsage("w4", "o1", "dropped", None, "minhash", math.inf, ODD, ["y"]),
    ]
    sub = {"id": "s" * 32, "scan_id": "c" * 64, "builder_id": "b" * 32, "dataset": "données \"web\"",
           "dataset_version": "v1\u00a0", "purpose": "genai-train", "scan_time": "2026-11-15T00:00:00+00:00"}  # fmt: skip
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        assert LedgerService.append_events(conn, sub, usage) == 4
    with engine.connect() as conn:
        rows = [
            dict(r._mapping) for r in conn.execute(sa.select(ledger_events).order_by(ledger_events.c.seq))
        ]
    prev = GENESIS
    for r in rows:
        assert (r["prev_hash"], r["hash"]) == (prev, event_hash(prev, r))
        prev = r["hash"]
    assert LedgerService(UnitOfWork(engine)).verify().ok
    engine.dispose()
