"""Registry lookup latency and throughput against a registry of many works, on SQLite and PostgreSQL.

What it does, per backend:

1. creates a fresh database and migrates it with Alembic (``upgrade_schema``);
2. bulk-loads ``--works`` works (default 1,000,000) from 1,000 owners, each owner
   with a collection-level preference document and 1 % of works with a work-level
   one: ``executemany`` batches on SQLite, ``COPY`` on PostgreSQL;
3. in process: times ``LookupService.lookup`` for batches of 1, 100 and 10,000
   sha256 items (half of them registered) next to the anchor, the bare indexed
   ``SELECT id FROM works WHERE sha256 IN (...)`` the uow starts with, and
   reports the ratio (the cost of building matches with effective preferences);
4. over HTTP: starts ``mediamanager serve`` in a subprocess and times
   ``POST /lookup`` for the same batch sizes, then runs 20 concurrent clients
   (asyncio + httpx) sending single-item lookups for ``--seconds`` and reports
   p50/p99 latency and requests per second.

Run: ``OMP_NUM_THREADS=1 python benchmarks/registry_lookup.py --works 1000000``
(``--backends sqlite`` or ``postgresql`` to run one). Results print as a Markdown
table and, with ``--json``, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from mediamanager.lookup import LookupQuery
from mediamanager.model import parse_preference_spec
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.store.tables import owners, preferences, works
from mediamanager.registry.uow import UnitOfWork
from mediamanager.settings import Settings

POSTGRES_ADMIN = os.environ.get(
    "MEDIAMANAGER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
OWNERS = 1000
SPECS = [
    "genai-train=deny",
    "ai-train=deny,search=allow",
    "tdm=allow",
    "ai-input=allow-if:attribution",
    "search=allow",
]


def sha_of(i: int) -> str:
    return hashlib.sha256(f"work-{i}".encode()).hexdigest()


def owner_id(o: int) -> str:
    return f"{o:032x}"


def work_id(i: int) -> str:
    return f"{i + 1:032x}"


def pref_doc(i: int) -> str:
    return json.dumps(parse_preference_spec(SPECS[i % len(SPECS)], location="bench").to_dict())


def work_rows(n: int, now: datetime) -> Iterator[dict[str, Any]]:
    for i in range(n):
        o = i % OWNERS
        yield {
            "id": work_id(i),
            "owner_id": owner_id(o),
            "media_type": "text",
            "title": f"work {i}",
            "creator": "",
            "aliases": "[]",
            "source_urls": "[]",
            "collection": f"c{o}",
            "sha256": sha_of(i),
            "iscc": "",
            "size_bytes": 1000,
            "content": None,
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }


def bulk_load(engine: sa.Engine, n: int) -> float:
    """Insert OWNERS owners, n works and their preference documents; returns seconds."""
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(owners),
            [
                {
                    "id": owner_id(o),
                    "kind": "person",
                    "display_name": f"Owner {o}",
                    "email": None,
                    "created_at": now,
                }
                for o in range(OWNERS)
            ],
        )
        prefs = [
            {
                "id": uuid.uuid4().hex,
                "owner_id": owner_id(o),
                "scope": "collection",
                "target": f"c{o}",
                "document": pref_doc(o),
                "updated_at": now,
            }
            for o in range(OWNERS)
        ]
        prefs += [
            {
                "id": uuid.uuid4().hex,
                "owner_id": owner_id(i % OWNERS),
                "scope": "work",
                "target": work_id(i),
                "document": pref_doc(i + 1),
                "updated_at": now,
            }
            for i in range(0, n, 100)
        ]
        conn.execute(sa.insert(preferences), prefs)
    if engine.dialect.name == "postgresql":
        cols = [
            "id",
            "owner_id",
            "media_type",
            "title",
            "creator",
            "aliases",
            "source_urls",
            "collection",
            "sha256",
            "iscc",
            "size_bytes",
            "status",
            "created_at",
            "updated_at",
        ]
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY works ({', '.join(cols)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in work_rows(n, now):
                    copy.write_row([row[c] for c in cols])
            raw.commit()
        finally:
            raw.close()
    else:
        # executemany of plain tuples through the driver: SQLAlchemy's per-row dict handling
        # was a third of the load time.
        cols = list(next(work_rows(1, now)).keys())
        sql = f"INSERT INTO works ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        stamp = now.isoformat(sep=" ").replace("+00:00", "")
        batch: list[tuple[Any, ...]] = []
        with engine.begin() as conn:
            for row in work_rows(n, now):
                row["created_at"] = row["updated_at"] = stamp
                batch.append(tuple(row[c] for c in cols))
                if len(batch) == 50_000:
                    conn.exec_driver_sql(sql, batch)
                    batch = []
            if batch:
                conn.exec_driver_sql(sql, batch)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - t0


def queries(batch: int, n: int, rng: random.Random) -> list[LookupQuery]:
    """Half registered sha256s, half unknown ones."""
    out = []
    for k in range(batch):
        sha = (
            sha_of(rng.randrange(n))
            if k % 2 == 0
            else hashlib.sha256(f"absent-{rng.random()}".encode()).hexdigest()
        )
        out.append(LookupQuery(f"q{k}", sha256=sha))
    return out


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def anchor_lookup(engine: sa.Engine, qs: list[LookupQuery]) -> int:
    shas = [q.sha256 for q in qs]
    found = 0
    with engine.connect() as conn:
        for i in range(0, len(shas), 900):
            found += len(
                conn.execute(sa.select(works.c.id).where(works.c.sha256.in_(shas[i : i + 900]))).all()
            )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def concurrent_clients(url: str, n: int, clients: int, seconds: float) -> list[float]:
    """``clients`` keep-alive connections each sending single-item lookups back to back.

    A minimal HTTP/1.1 client on asyncio streams: on this 2-core machine an httpx
    AsyncClient used more CPU than the server and capped the measured rate.
    """
    host, port = url.split("://", 1)[1].split(":")
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def one(c: int) -> None:
        rng = random.Random(c)
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < deadline:
                body = json.dumps({"items": [{"id": "q", "sha256": sha_of(rng.randrange(n))}]}).encode()
                request = (
                    f"POST /lookup HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                t0 = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(
                    next(
                        h.split(b":", 1)[1]
                        for h in head.split(b"\r\n")
                        if h.lower().startswith(b"content-length")
                    )
                )
                payload = await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                assert head.startswith(b"HTTP/1.1 200") and b'"matches": [{' in payload, head
        finally:
            writer.close()

    await asyncio.gather(*(one(c) for c in range(clients)))
    return latencies


def bench_backend(name: str, url: str, n: int, seconds: float, workers: int) -> dict[str, Any]:
    res: dict[str, Any] = {"backend": name, "works": n}
    engine = make_engine(url)
    upgrade_schema(engine)
    res["load_s"] = bulk_load(engine, n)
    print(f"[{name}] loaded {n} works in {res['load_s']:.1f} s", flush=True)
    uow = UnitOfWork(engine, Settings(db_url=url))
    rng = random.Random(1)
    for batch, repeat in ((1, 200), (100, 30), (10_000, 5)):
        qs = queries(batch, n, rng)
        LookupService(uow).lookup(qs)  # warm caches
        ours = timed(lambda qs=qs: LookupService(uow).lookup(qs), repeat)
        anchor = timed(lambda qs=qs: anchor_lookup(engine, qs), repeat)
        hits = sum(1 for r in LookupService(uow).lookup(qs) if r.matches)
        res[f"inproc_{batch}"] = {
            "median_ms": statistics.median(ours) * 1000,
            "p99_ms": pct(ours, 99) * 1000,
            "items_per_s": batch / statistics.median(ours),
            "anchor_median_ms": statistics.median(anchor) * 1000,
            "ratio": statistics.median(ours) / statistics.median(anchor),
            "hits": hits,
        }
        print(f"[{name}] in-process batch {batch}: {res[f'inproc_{batch}']}", flush=True)
    port = free_port()
    # The benchmark measures throughput: the per-client anonymous lookup limit is lifted.
    env = {
        **os.environ,
        "MEDIAMANAGER_DB_URL": url,
        "OMP_NUM_THREADS": "1",
        "MEDIAMANAGER_LOOKUP_RATE_PER_MINUTE": "0",
    }
    cmd = [
        sys.executable,
        "-c",
        "from mediamanager.cli.main import app; app()",
        "serve",
        "--db",
        url,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        with httpx.Client(base_url=base, timeout=120, trust_env=False) as http:
            for batch, repeat in ((1, 200), (100, 30), (10_000, 5)):
                body = {"items": [q.to_dict() for q in queries(batch, n, rng)]}
                http.post("/lookup", json=body)
                lat = timed(lambda body=body: http.post("/lookup", json=body).raise_for_status(), repeat)
                res[f"http_{batch}"] = {
                    "median_ms": statistics.median(lat) * 1000,
                    "p99_ms": pct(lat, 99) * 1000,
                    "items_per_s": batch / statistics.median(lat),
                }
                print(f"[{name}] HTTP batch {batch}: {res[f'http_{batch}']}", flush=True)
        lat = asyncio.run(concurrent_clients(base, n, 20, seconds))
        res["http_concurrent20_single"] = {
            "requests": len(lat),
            "p50_ms": pct(lat, 50) * 1000,
            "p99_ms": pct(lat, 99) * 1000,
            "requests_per_s": len(lat) / seconds,
            "server_workers": workers,
        }
        print(f"[{name}] 20 concurrent clients: {res['http_concurrent20_single']}", flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
    engine.dispose()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--works", type=int, default=1_000_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--seconds", type=float, default=10.0, help="Duration of the 20-client run.")
    ap.add_argument("--workers", type=int, default=1, help="Server processes for the HTTP runs.")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mm-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            db = workdir / "registry.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            results.append(bench_backend("sqlite", f"sqlite:///{db}", args.works, args.seconds, args.workers))
        elif backend == "postgresql":
            admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
            name = f"mm_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
                results.append(bench_backend("postgresql", url, args.works, args.seconds, args.workers))
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("| backend | load | batch | in-process median (anchor SQL, ratio) | HTTP median | items/s (HTTP) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        for b in (1, 100, 10_000):
            ip, h = r[f"inproc_{b}"], r[f"http_{b}"]
            print(
                f"| {r['backend']} | {r['load_s']:.0f} s | {b} | {ip['median_ms']:.2f} ms "
                f"({ip['anchor_median_ms']:.2f} ms, {ip['ratio']:.1f}x) | {h['median_ms']:.2f} ms | {h['items_per_s']:.0f} |"
            )
    for r in results:
        c = r["http_concurrent20_single"]
        print(
            f"| {r['backend']} 20 clients, single lookups | {c['requests']} requests | p50 {c['p50_ms']:.1f} ms | "
            f"p99 {c['p99_ms']:.1f} ms | {c['requests_per_s']:.0f} req/s | {c['server_workers']} server workers |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
