"""Ledger benchmark: ingest usage events into the hash-chained ledger, then statements for every owner.

Goals (issue 11): ingest ≥ 50,000 events/s; statements for 1,000 owners in ≤ 10 s per core.

Events go through the registry's real write path (``LedgerService.append_events``: canonical JSON,
sha256 chain, batched inserts, head update) in transactions of ``--per-submission`` events, on an
SQLite file (or ``--db`` PostgreSQL URL). Each event is a per-item licensed use of one of
``--works`` works spread over ``--owners`` owners, priced in EUR. Statements are computed by
``LedgerService.statement`` (read the owner's events, Decimal arithmetic) for every owner, and
the totals are checked against the events inserted (every statement must reconcile).

    OMP_NUM_THREADS=1 python benchmarks/ledger.py --events 1000000 --owners 1000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from mediamanager.ledger.events import WorkUsage
from mediamanager.model import utcnow
from mediamanager.registry.ledger import LedgerService
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.store.engine import WRITE
from mediamanager.registry.store.tables import owners
from mediamanager.registry.uow import UnitOfWork


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--owners", type=int, default=1000)
    ap.add_argument("--works", type=int, default=20_000)
    ap.add_argument("--per-submission", type=int, default=10_000)
    ap.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(tmp.name) / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    ledger = LedgerService(UnitOfWork(engine))
    rng = random.Random(7)
    owner_ids = [uuid.uuid4().hex for _ in range(args.owners)]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(owners),
            [
                {"id": o, "kind": "person", "display_name": f"o{i}", "created_at": utcnow()}
                for i, o in enumerate(owner_ids)
            ],
        )
    works = [
        (uuid.uuid4().hex, owner_ids[i % args.owners], Decimal(rng.randint(1, 999)) / 1000)
        for i in range(args.works)
    ]
    expected: dict[str, Decimal] = {}
    ingest_s = 0.0
    done = 0
    while done < args.events:
        n = min(args.per_submission, args.events - done)
        usage = []
        for _ in range(n):
            wid, oid, price = works[rng.randrange(len(works))]
            items = rng.randint(1, 5)
            cond = {
                "payment": {"model": "per-item", "amount": str(price), "currency": "EUR"},
                "attribution": True,
            }
            usage.append(
                WorkUsage(
                    wid, oid, "kept-under-licence", None, "sha256", 1.0, cond, [f"i{k}" for k in range(items)]
                )
            )
        sub = {
            "id": uuid.uuid4().hex, "builder_id": "b" * 32, "scan_id": uuid.uuid4().hex * 2, "dataset": "bench",
            "dataset_version": "1", "purpose": "genai-train", "scan_time": "2026-11-15T00:00:00+00:00",
        }  # fmt: skip
        t = time.perf_counter()
        with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            ledger.append_events(conn, sub, usage)
        ingest_s += time.perf_counter() - t
        done += n
    # What each owner is owed, from the generated events (not from the ledger code).
    with engine.connect() as conn:
        for oid, items, amount, cur in conn.execute(
            sa.text("SELECT owner_id, items, conditions, 'EUR' FROM ledger_events")
        ):
            del cur
            import json

            price = Decimal(json.loads(amount)["payment"]["amount"])
            expected[oid] = expected.get(oid, Decimal(0)) + price * items
    t0 = time.process_time()
    w0 = time.perf_counter()
    mismatches = 0
    for oid in owner_ids:
        st = ledger.statement(oid, "2026-11")
        # Lines are rounded per (work, licensee); the exact sum differs by at most half a cent per line.
        exact = expected.get(oid, Decimal(0))
        if abs(Decimal(st["totals"]["amount"]) - exact) > Decimal("0.005") * max(1, len(st["lines"])):
            mismatches += 1
    cpu = time.process_time() - t0
    wall = time.perf_counter() - w0
    verify_t = time.perf_counter()
    report = ledger.verify()
    verify_s = time.perf_counter() - verify_t
    print(f"database: {engine.url.get_backend_name()}")
    print(f"ingest: {done} events in {ingest_s:.2f} s -> {done / ingest_s:,.0f} events/s")
    print(f"statements: {args.owners} owners in {wall:.2f} s wall, {cpu:.2f} s CPU; mismatches {mismatches}")
    print(f"verify chain: ok={report.ok} events={report.events} in {verify_s:.2f} s")
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
