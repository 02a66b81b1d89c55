"""The registry's ledger use cases: submit a scan, read and verify the usage ledger, compute statements.

Every write runs in one transaction that locks the audit head (as every registry write
does), then the ledger head, appends the chained events and one audit entry, and commits
whole or not at all. Owners read only events about their own works, builders only their
own submissions; anything else answers :class:`NotFoundError`, like a missing record.

Transactions are the registry's unit of work (``uow.write(actor)`` / ``uow.read()``).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mediamanager.canonical import canonical_json, canonical_str, chain_hash
from mediamanager.errors import ConflictError, NotFoundError
from mediamanager.ledger import LedgerError
from mediamanager.ledger.chain import CHAINED_FIELDS, ChainReport, verify_events
from mediamanager.ledger.events import WorkUsage, usage_from_decisions
from mediamanager.ledger.intake import check_submission
from mediamanager.ledger.statements import compute_statement, period_bounds
from mediamanager.model import Purpose, utcnow
from mediamanager.registry.records import Owner
from mediamanager.registry.store.ledger_tables import ledger_events, ledger_head, licences, submissions
from mediamanager.registry.store.tables import owners, works
from mediamanager.registry.uow import UnitOfWork, require_own_work

__all__ = ["LedgerService"]

_CHUNK = 900  # bound parameters per IN (...) on old SQLite builds
_EVENT_COLUMNS = [c for c in ledger_events.c if c.name not in ("prev_hash", "hash")]


def _event_dict(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["item_ids"] = json.loads(d["item_ids"])
    d["conditions"] = json.loads(d["conditions"])
    return d


def _submission_dict(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["submitted_at"] = d["submitted_at"].isoformat()
    return d


class LedgerService:
    """Submissions, the chained usage ledger, statements; licences live in :mod:`.licences`."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    # ------------------------------------------------------------------ submit
    def submit(
        self,
        builder: Owner,
        attestation: bytes,
        files: Mapping[str, bytes],
        *,
        dataset: str = "",
        dataset_version: str = "",
    ) -> tuple[dict[str, Any], bool]:
        """Check and record a scan; ``(submission, created)``. The same scan again records nothing."""
        with self.uow.read() as conn:
            first = conn.execute(
                sa.select(submissions.c.public_key)
                .where(submissions.c.builder_id == builder.id)
                .order_by(submissions.c.submitted_at)
                .limit(1)
            ).first()
        checked = check_submission(attestation, files, expected_key=None if first is None else first[0])
        report = checked.report
        policy = report.get("policy") or {}
        try:
            purpose = Purpose(policy["purpose"]).value
            licensed_in_output = bool(policy["licensed_items_in_output"])
        except (KeyError, ValueError, TypeError):
            raise LedgerError("report.json has no valid policy (purpose, licensed_items_in_output)") from None
        usage = usage_from_decisions(files["decisions.parquet"], licensed_in_output=licensed_in_output)
        name = dataset.strip() or str((report.get("input") or {}).get("path", "")).rstrip("/").split("/")[-1]
        version = dataset_version.strip() or checked.digest[:12]
        if len(name) > 300 or len(version) > 200:
            raise LedgerError("dataset name or version is too long")
        with self.uow.write(builder.id) as tx:
            existing = tx.conn.execute(
                sa.select(submissions).where(submissions.c.scan_id == checked.scan_id)
            ).first()
            if existing is not None:
                if existing.builder_id != builder.id:
                    raise ConflictError("this scan was already submitted by another account")
                return _submission_dict(existing), False
            usage = self._checked_usage(tx.conn, builder, usage)
            sub_id = uuid.uuid4().hex
            row = {
                "id": sub_id,
                "scan_id": checked.scan_id,
                "digest": checked.digest,
                "builder_id": builder.id,
                "key_id": checked.key_id,
                "public_key": checked.public_key,
                "dataset": name,
                "dataset_version": version,
                "purpose": purpose,
                "scan_time": checked.created_at,
                "events": len(usage),
                "submitted_at": utcnow(),
            }
            tx.conn.execute(sa.insert(submissions).values(**row))
            self.append_events(tx.conn, row, usage)
            tx.log("ledger.submit", "submission", sub_id, scan_id=checked.scan_id, events=len(usage))
        return _submission_dict(_AsRow(row)), True

    def _checked_usage(self, conn: sa.Connection, builder: Owner, usage: list[WorkUsage]) -> list[WorkUsage]:
        """Owners from the registry, not from the file; works no longer registered are left out.

        A grant named by the scan must be one the registry issued to this builder for that work.
        """
        ids = sorted({u.work_id for u in usage})
        owner_of: dict[str, str] = {}
        for i in range(0, len(ids), _CHUNK):
            for r in conn.execute(
                sa.select(works.c.id, works.c.owner_id).where(works.c.id.in_(ids[i : i + _CHUNK]))
            ):
                owner_of[r.id] = r.owner_id
        grant_ids = sorted({u.grant_id for u in usage if u.grant_id})
        grants: dict[str, Any] = {}
        if grant_ids:
            for r in conn.execute(sa.select(licences).where(licences.c.id.in_(grant_ids))):
                grants[r.id] = r
        kept = []
        for u in usage:
            if u.work_id not in owner_of:
                continue
            if u.grant_id is not None:
                g = grants.get(u.grant_id)
                if (
                    g is None
                    or g.builder_id != builder.id
                    or g.status not in ("accepted", "revoked")
                    or u.work_id not in json.loads(g.works)
                ):
                    raise LedgerError(
                        f"scan refused: grant {u.grant_id} is not a grant to this account for work {u.work_id}"
                    )
            u.owner_id = owner_of[u.work_id]
            kept.append(u)
        return kept

    @staticmethod
    def append_events(conn: sa.Connection, submission: Mapping[str, Any], usage: Sequence[WorkUsage]) -> int:
        """Chain and insert one event per usage (the caller holds the write transaction).

        The body hashed is ``canonical_json`` of the row's values in CHAINED_FIELDS order. It is
        written piece by piece with the encoder's own string escaping (``canonical_str``): the
        submission's fields once per call, a work's conditions once per distinct dict, so the
        per-event cost is a few joins and one sha256 (three full encodings were half the ingest).
        """
        conn.execute(sa.update(ledger_head).where(ledger_head.c.id == 1).values(seq=ledger_head.c.seq))
        seq, prev = conn.execute(
            sa.select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1)
        ).one()
        seq = int(seq)
        at = utcnow().isoformat()
        sub = submission
        head = [at, sub["id"], sub["scan_id"], sub["builder_id"]]
        middle = [sub["dataset"], sub["dataset_version"], sub["purpose"], sub["scan_time"]]
        q = canonical_str
        head_json = "," + ",".join(map(canonical_json, head)) + ","
        middle_json = "," + ",".join(map(canonical_json, middle)) + ","
        conditions_json: dict[int, str] = {}
        rows: list[tuple[Any, ...]] = []
        for u in usage:
            seq += 1
            ids = "[" + ",".join(map(q, u.item_ids)) + "]"
            cond = conditions_json.get(id(u.conditions))
            if cond is None:
                cond = conditions_json[id(u.conditions)] = canonical_json(u.conditions)
            score = u.score
            grant = "null" if u.grant_id is None else q(u.grant_id)
            score_json = repr(score) if math.isfinite(score) else canonical_json(score)
            body = (
                f"[{seq}{head_json}{q(u.owner_id)},{q(u.work_id)}{middle_json}{q(u.decision)},{grant},"
                f"{q(u.match_kind)},{score_json},{len(u.item_ids)},{q(ids)},{q(cond)}"
                + ("]" if u.tokens is None else f",{int(u.tokens)}]")
            )
            digest = chain_hash(prev, body)
            rows.append((
                seq, *head, u.owner_id, u.work_id, *middle, u.decision, u.grant_id, u.match_kind, score,
                len(u.item_ids), ids, cond, u.tokens, prev, digest,
            ))  # fmt: skip
            prev = digest
        _insert_many(conn, rows)
        conn.execute(sa.update(ledger_head).where(ledger_head.c.id == 1).values(seq=seq, hash=prev))
        return len(rows)

    # ------------------------------------------------------------------ read
    def submissions_for(self, builder: Owner) -> list[dict[str, Any]]:
        with self.uow.read() as conn:
            rows = conn.execute(
                sa.select(submissions)
                .where(submissions.c.builder_id == builder.id)
                .order_by(submissions.c.submitted_at)
            ).all()
        return [_submission_dict(r) for r in rows]

    def events_for(
        self,
        account: Owner,
        *,
        role: str = "owner",
        work_id: str | None = None,
        scan_id: str | None = None,
        after: int = 0,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Events about the caller's works (``owner``) or from the caller's submissions (``builder``)."""
        col = ledger_events.c.owner_id if role == "owner" else ledger_events.c.builder_id
        q = sa.select(*ledger_events.c).where(col == account.id, ledger_events.c.seq > after)
        if work_id is not None:
            q = q.where(ledger_events.c.work_id == work_id)
        if scan_id is not None:
            q = q.where(ledger_events.c.scan_id == scan_id)
        with self.uow.read() as conn:
            rows = conn.execute(q.order_by(ledger_events.c.seq).limit(min(max(limit, 1), 10_000))).all()
        return [_event_dict(r) for r in rows]

    def event(self, account: Owner, seq: int) -> dict[str, Any]:
        with self.uow.read() as conn:
            row = conn.execute(sa.select(ledger_events).where(ledger_events.c.seq == seq)).first()
        if row is None or account.id not in (row.owner_id, row.builder_id):
            raise NotFoundError(f"no ledger event {seq}")
        return _event_dict(row)

    def usage_counts(self, owner: Owner, work_ids: Sequence[str]) -> dict[str, int]:
        """How many usage events (scans that found it) each of ``owner``'s ``work_ids`` has; 0 when none."""
        counts = dict.fromkeys(work_ids, 0)
        if not work_ids:
            return counts
        with self.uow.read() as conn:
            rows = conn.execute(
                sa.select(ledger_events.c.work_id, sa.func.count())
                .where(ledger_events.c.owner_id == owner.id, ledger_events.c.work_id.in_(list(work_ids)))
                .group_by(ledger_events.c.work_id)
            ).all()
        counts.update({work_id: int(n) for work_id, n in rows})
        return counts

    def work_usage(self, owner: Owner, work_id: str) -> dict[str, Any]:
        """Where the owner's work was found: every event about it (404 for another owner's work)."""
        with self.uow.read() as conn:
            row = conn.execute(
                sa.select(works.c.id).where(works.c.id == work_id, works.c.owner_id == owner.id)
            ).first()
        if row is None:
            raise NotFoundError(f"no work {work_id!r}")
        events = self.events_for(owner, work_id=work_id, limit=10_000)
        return {"work_id": work_id, "events": events, "items": sum(e["items"] for e in events)}

    def usage_summary(self, owner: Owner, *, work_id: str | None = None) -> dict[str, Any]:
        """Where the owner's works were found, totalled in SQL: one row per scan and one per work.

        ``scans``: per scan (dataset, version, builder, purpose, scan time) and decision, the items
        and distinct works; ``works``: per work and decision, the items and distinct scans. With
        ``work_id`` only that work counts (404 for another owner's work, like a missing one).
        """
        e = ledger_events.c
        with self.uow.read() as conn:
            where = [e.owner_id == owner.id]
            if work_id is not None:
                require_own_work(conn, owner.id, work_id)
                where.append(e.work_id == work_id)
            scan_cols = (
                e.scan_id,
                e.dataset,
                e.dataset_version,
                e.builder_id,
                e.purpose,
                e.scan_time,
                e.decision,
            )
            scans = conn.execute(
                sa.select(
                    *scan_cols,
                    owners.c.display_name.label("builder_name"),
                    sa.func.sum(e["items"]).label("items"),
                    sa.func.count(sa.distinct(e.work_id)).label("works"),
                    sa.func.count().label("events"),
                )
                .select_from(ledger_events.outerjoin(owners, owners.c.id == e.builder_id))
                .where(*where)
                .group_by(*scan_cols, owners.c.display_name)
                .order_by(e.scan_time, e.scan_id, e.decision)
            ).all()
            per_work = conn.execute(
                sa.select(
                    e.work_id,
                    works.c.title,
                    e.decision,
                    sa.func.sum(e["items"]).label("items"),
                    sa.func.count(sa.distinct(e.scan_id)).label("scans"),
                    sa.func.count().label("events"),
                )
                .select_from(ledger_events.outerjoin(works, works.c.id == e.work_id))
                .where(*where)
                .group_by(e.work_id, works.c.title, e.decision)
                .order_by(e.work_id, e.decision)
            ).all()
        return {
            "scans": [dict(r._mapping) for r in scans],
            "works": [dict(r._mapping) for r in per_work],
        }

    def verify(self, *, batch: int = 5000) -> ChainReport:
        with self.uow.read() as conn:
            head_seq, head_hash = conn.execute(
                sa.select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1)
            ).one()

            def rows() -> Iterator[Mapping[str, Any]]:
                last = 0
                while True:
                    got = conn.execute(
                        sa.select(ledger_events)
                        .where(ledger_events.c.seq > last)
                        .order_by(ledger_events.c.seq)
                        .limit(batch)
                    ).all()
                    if not got:
                        return
                    for r in got:
                        yield dict(r._mapping)
                    last = got[-1].seq

            return verify_events(rows(), int(head_seq), str(head_hash))

    # ------------------------------------------------------------------ statements
    def statement(self, owner_id: str, period: str) -> dict[str, Any]:
        """The owner's statement for ``period`` (YYYY-MM), from the ledger alone.

        The database sums the owner's licensed events per (work, licensee, scan time, conditions
        text, whether tokens were counted): integers only, so nothing is rounded there. The Decimal
        pricing then runs over those groups (:func:`compute_statement`), not over every event.
        Per-crawl units need the distinct scans, fetched only for the groups priced per crawl.
        """
        period_bounds(period)  # a bad period fails before any database work
        e = ledger_events.c
        no_tokens = e.tokens.is_(None)
        keys = (e.work_id, e.builder_id, e.scan_time, e.conditions)
        where = (e.owner_id == owner_id, e.decision == "kept-under-licence")
        with self.uow.read() as conn:
            if conn.execute(sa.select(owners.c.id).where(owners.c.id == owner_id)).first() is None:
                raise NotFoundError(f"no owner {owner_id!r}")
            groups = [
                {
                    "owner_id": owner_id,
                    "decision": "kept-under-licence",
                    "work_id": w,
                    "builder_id": b,
                    "scan_time": t,
                    "conditions": c,
                    "items": int(items),
                    "events": int(n),
                    "tokens": None if untokenised else int(tokens or 0),
                    "scan_id": None,
                    "scans": None,
                }
                for w, b, t, c, untokenised, items, n, tokens in conn.execute(
                    sa.select(
                        *keys, no_tokens, sa.func.sum(e["items"]), sa.func.count(), sa.func.sum(e.tokens)
                    )
                    .where(*where)
                    .group_by(*keys, no_tokens)
                )
            ]
            per_crawl = sorted({g["conditions"] for g in groups if _model_of(g["conditions"]) == "per-crawl"})
            scans: dict[tuple[str, str, str, str], list[str]] = {}
            for i in range(0, len(per_crawl), _CHUNK):
                for w, b, t, c, scan in conn.execute(
                    sa.select(*keys, e.scan_id)
                    .distinct()
                    .where(*where, e.conditions.in_(per_crawl[i : i + _CHUNK]))
                ):
                    scans.setdefault((w, b, t, c), []).append(scan)
            for g in groups:
                g["scans"] = scans.get((g["work_id"], g["builder_id"], g["scan_time"], g["conditions"]))
            names = _names(
                conn, {owner_id, *(g["builder_id"] for g in groups)}, {g["work_id"] for g in groups}
            )
        return compute_statement(groups, owner_id=owner_id, period=period, names=names)


def _model_of(conditions: str) -> str | None:
    """The payment model a stored conditions text names (no validation: the statement does that)."""
    pay = (json.loads(conditions) or {}).get("payment") if conditions else None
    return pay.get("model") if isinstance(pay, dict) else None


_INSERT_COLUMNS = [*CHAINED_FIELDS, "tokens", "prev_hash", "hash"]


def _insert_many(conn: sa.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert events through the driver's executemany: SQLAlchemy's per-row processing was half the cost.

    Every column is a plain str, int or float, so no type processing is skipped.
    """
    cols = ", ".join(_INSERT_COLUMNS)
    if conn.dialect.name == "postgresql":
        # COPY in the same transaction: several times faster than batched INSERTs on PostgreSQL.
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {ledger_events.name} ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        return
    if len(rows) > 1000:
        # The event indexes (owner, work, builder) take random keys: a 128 MiB page cache (per
        # connection, instead of 2 MiB) keeps their inner pages in memory as the ledger grows.
        conn.exec_driver_sql("PRAGMA cache_size=-131072")
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {ledger_events.name} ({cols}) VALUES ({', '.join([mark] * len(_INSERT_COLUMNS))})"
    for i in range(0, len(rows), 5000):
        conn.exec_driver_sql(sql, list(rows[i : i + 5000]))


def _names(conn: sa.Connection, owner_ids: set[str], work_ids: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    o, w = sorted(owner_ids), sorted(work_ids)
    for i in range(0, len(o), _CHUNK):
        for r in conn.execute(
            sa.select(owners.c.id, owners.c.display_name).where(owners.c.id.in_(o[i : i + _CHUNK]))
        ):
            names[r.id] = r.display_name
    for i in range(0, len(w), _CHUNK):
        for r in conn.execute(sa.select(works.c.id, works.c.title).where(works.c.id.in_(w[i : i + _CHUNK]))):
            names[r.id] = r.title
    return names


class _AsRow:
    """A plain dict seen through ``._mapping``, so one formatter serves stored and new submissions."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._mapping = values
