"""Disputes: two owners claiming the same content (opened on registration), seen by the two parties."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from mediamanager.registry.matching import EXACT_KINDS
from mediamanager.registry.records import DisputeRecord, Owner, WorkInput
from mediamanager.registry.store.tables import disputes, owners, works
from mediamanager.registry.uow import CHUNK, Tx, UnitOfWork, chunks, new_id

__all__ = ["DisputeService", "claimants", "open_disputes"]


class DisputeService:
    """What each party sees of the disputes on its works."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def list_disputes(self, owner: Owner, *, work_id: str | None = None) -> list[DisputeRecord]:
        """Open disputes on the owner's works (optionally one work), seen from the owner's side."""
        mine = works.alias("mine")
        theirs = works.alias("theirs")
        out: list[DisputeRecord] = []
        with self.uow.read() as conn:
            for mine_col, theirs_col in (
                (disputes.c.work_a, disputes.c.work_b),
                (disputes.c.work_b, disputes.c.work_a),
            ):
                q = (
                    sa.select(
                        disputes,
                        mine.c.id.label("my_work"),
                        theirs.c.id.label("their_work"),
                        owners.c.id.label("their_owner"),
                        owners.c.display_name,
                    )
                    .join(mine, mine.c.id == mine_col)
                    .join(theirs, theirs.c.id == theirs_col)
                    .join(owners, owners.c.id == theirs.c.owner_id)
                    .where(mine.c.owner_id == owner.id)
                )
                if work_id is not None:
                    q = q.where(mine.c.id == work_id)
                for r in conn.execute(q):
                    out.append(
                        DisputeRecord(
                            r.id,
                            r.my_work,
                            r.their_work,
                            r.their_owner,
                            r.display_name,
                            r.kind,
                            r.score,
                            r.created_at,
                        )
                    )
        return sorted(out, key=lambda d: (d.created_at, d.id))


def open_disputes(
    uow: UnitOfWork, tx: Tx, owner_id: str, work_id: str, data: WorkInput, now: datetime
) -> None:
    """Open a dispute between the new work and every other owner's work on the same content."""
    settings = uow.settings
    rivals: dict[str, tuple[str, float]] = {}
    for row in tx.conn.execute(
        sa.select(works.c.id).where(works.c.sha256 == data.sha256, works.c.owner_id != owner_id)
    ):
        rivals[row.id] = ("sha256", 1.0)
    matching = [f for f in data.fingerprints if f.kind not in EXACT_KINDS]
    if matching:
        uow.index.sync(tx.conn)
        hits = [
            m
            for m in uow.index.search(data.media_type, matching, settings.match_limit)
            if m.score >= settings.dispute_min_score and m.key not in rivals
        ]
        if hits:
            others = {
                r.id
                for r in tx.conn.execute(
                    sa.select(works.c.id).where(
                        works.c.id.in_([m.key for m in hits]), works.c.owner_id != owner_id
                    )
                )
            }
            for m in hits:
                if m.key in others:
                    rivals[m.key] = (m.kind, float(m.score))
    if not rivals:
        return
    for other, (kind, score) in rivals.items():
        dispute_id = new_id()
        tx.conn.execute(
            sa.insert(disputes).values(
                id=dispute_id, work_a=work_id, work_b=other, kind=kind, score=score, created_at=now
            )
        )
        tx.log("claim.dispute", "dispute", dispute_id, work_a=work_id, work_b=other, kind=kind, score=score)
    tx.conn.execute(
        sa.update(works).where(works.c.id.in_([work_id, *rivals])).values(status="disputed", updated_at=now)
    )


def claimants(conn: sa.Connection, work_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """For each disputed work: every owner claiming it (its own owner included), sorted."""
    if not work_ids:
        return {}
    pairs: dict[str, set[str]] = defaultdict(set)
    for chunk in chunks(list(work_ids), CHUNK // 2):
        for r in conn.execute(
            sa.select(disputes.c.work_a, disputes.c.work_b).where(
                sa.or_(disputes.c.work_a.in_(chunk), disputes.c.work_b.in_(chunk))
            )
        ):
            pairs[r.work_a].add(r.work_b)
            pairs[r.work_b].add(r.work_a)
    involved = sorted({w for k, v in pairs.items() for w in (k, *v)})
    owner_of: dict[str, str] = {}
    for chunk in chunks(involved):
        for r in conn.execute(sa.select(works.c.id, works.c.owner_id).where(works.c.id.in_(chunk))):
            owner_of[r.id] = r.owner_id
    return {
        w: tuple(sorted({owner_of[x] for x in (w, *pairs.get(w, ())) if x in owner_of})) for w in work_ids
    }
