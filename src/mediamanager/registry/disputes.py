"""Disputes: two owners claiming the same content, opened on registration and settled by the parties or an operator."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from mediamanager.errors import ConflictError, InputError, NotFoundError
from mediamanager.lookup import DisputeStatus
from mediamanager.registry.audit import AuditEntry, entries_about
from mediamanager.registry.matching import EXACT_KINDS
from mediamanager.registry.records import DisputeRecord, Owner, WorkInput, clean_text
from mediamanager.registry.store.tables import disputes, owners, works
from mediamanager.registry.uow import CHUNK, Tx, UnitOfWork, chunks, new_id

__all__ = [
    "OUTCOMES",
    "DisputeService",
    "dispute_state",
    "dispute_statuses",
    "live_claimants",
    "open_disputes",
    "refresh_work_status",
]


OUTCOMES = ("earlier", "later", "shared")
_LIVE = ("open", "answered")
_EVIDENCE_LIMIT = 10_000


def dispute_state(status: str, deadline_at: datetime | None, now: datetime) -> str:
    """The state a reader sees: a stored ``open`` dispute past its deadline has ``lapsed``."""
    if status == "open" and deadline_at is not None and now > deadline_at:
        return "lapsed"
    return status


class DisputeService:
    """The dispute lifecycle, as the two parties (and registry operators) see and drive it.

    ``work_a`` is the later registration, ``work_b`` the earlier one. The later registrant answers
    with evidence within ``settings.dispute_response_days``; unanswered, the dispute lapses (when
    read) and the earlier claim stands. Either party may add evidence, withdraw its own claim (the
    other side's claim stands), or propose an outcome; the dispute is resolved when both parties
    propose the same outcome, or at once when an operator resolves it. Anyone else gets
    :class:`NotFoundError`, exactly as for a missing dispute.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def list_disputes(self, owner: Owner, *, work_id: str | None = None) -> list[DisputeRecord]:
        """Disputes on the owner's works (optionally one work), in every state, seen from the owner's side."""
        now = self.uow.now()
        out: list[DisputeRecord] = []
        with self.uow.read() as conn:
            for side in ("a", "b"):
                mine = disputes.c.work_a if side == "a" else disputes.c.work_b
                q = _party_query(conn).where(
                    _works_a.c.owner_id == owner.id if side == "a" else _works_b.c.owner_id == owner.id
                )
                if work_id is not None:
                    q = q.where(mine == work_id)
                out.extend(_record(r, "later" if side == "a" else "earlier", now) for r in conn.execute(q))
        return sorted(out, key=lambda d: (d.created_at, d.id))

    def get_dispute(self, owner: Owner, dispute_id: str) -> DisputeRecord:
        with self.uow.read() as conn:
            row, role = _visible(conn, owner, dispute_id)
        return _record(row, role, self.uow.now())

    def history(self, owner: Owner, dispute_id: str) -> list[AuditEntry]:
        """The dispute's steps as the audit chain recorded them, oldest first (parties and operators only)."""
        with self.uow.read() as conn:
            _visible(conn, owner, dispute_id)
            return entries_about(conn, "dispute", dispute_id)

    def respond(self, owner: Owner, dispute_id: str, evidence: str) -> DisputeRecord:
        """Add the party's evidence; the later registrant's answer stops the dispute from lapsing."""
        text = clean_text(evidence, "evidence", _EVIDENCE_LIMIT)
        if not text:
            raise InputError("evidence must not be empty")
        with self.uow.write(owner.id) as tx:
            _row, role = self._live_for_party(tx, owner, dispute_id)
            values: dict[str, Any] = {"evidence_a" if role == "later" else "evidence_b": text}
            if role == "later":
                values["status"] = "answered"
            tx.conn.execute(sa.update(disputes).where(disputes.c.id == dispute_id).values(**values))
            tx.log("dispute.respond", "dispute", dispute_id, owner_id=owner.id, role=role, evidence=text)
            return self._reread(tx, owner, dispute_id)

    def withdraw(self, owner: Owner, dispute_id: str) -> DisputeRecord:
        """Withdraw the party's own claim in this dispute: the other side's claim stands."""
        with self.uow.write(owner.id) as tx:
            row, role = self._live_for_party(tx, owner, dispute_id)
            outcome = "earlier" if role == "later" else "later"
            self._close(tx, row, "withdrawn", outcome, owner.id)
            tx.log("dispute.withdraw", "dispute", dispute_id, owner_id=owner.id, role=role, outcome=outcome)
            return self._reread(tx, owner, dispute_id)

    def resolve(self, owner: Owner, dispute_id: str, outcome: str) -> DisputeRecord:
        """Propose an outcome (a party: resolved once both agree) or decide it (an operator)."""
        if outcome not in OUTCOMES:
            raise InputError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
        with self.uow.write(owner.id) as tx:
            row, role = _visible(tx.conn, owner, dispute_id)
            if role == "operator":
                if row.status not in _LIVE:
                    raise ConflictError(f"dispute {dispute_id} is already {row.status}")
                self._close(tx, row, "resolved", outcome, owner.id)
                tx.log("dispute.resolve", "dispute", dispute_id, operator_id=owner.id, outcome=outcome)
                return self._reread(tx, owner, dispute_id)
            row, role = self._live_for_party(tx, owner, dispute_id)
            mine, theirs = (
                ("proposal_a", row.proposal_b) if role == "later" else ("proposal_b", row.proposal_a)
            )
            tx.conn.execute(sa.update(disputes).where(disputes.c.id == dispute_id).values(**{mine: outcome}))
            tx.log("dispute.propose", "dispute", dispute_id, owner_id=owner.id, role=role, outcome=outcome)
            if theirs == outcome:
                self._close(tx, row, "resolved", outcome, owner.id)
                tx.log("dispute.resolve", "dispute", dispute_id, owner_id=owner.id, outcome=outcome)
            return self._reread(tx, owner, dispute_id)

    def _live_for_party(self, tx: Tx, owner: Owner, dispute_id: str) -> tuple[Any, str]:
        row, role = _visible(tx.conn, owner, dispute_id)
        if role == "operator":
            raise ConflictError("an operator who is not a party can only resolve a dispute")
        state = dispute_state(row.status, row.deadline_at, self.uow.now())
        if state not in _LIVE:
            raise ConflictError(f"dispute {dispute_id} is {state}; it can no longer change")
        return row, role

    def _close(self, tx: Tx, row: Any, status: str, outcome: str, by: str) -> None:
        now = self.uow.now()
        tx.conn.execute(
            sa.update(disputes)
            .where(disputes.c.id == row.id)
            .values(status=status, outcome=outcome, closed_at=now, closed_by=by)
        )
        refresh_work_status(tx.conn, [row.work_a, row.work_b], now)

    def _reread(self, tx: Tx, owner: Owner, dispute_id: str) -> DisputeRecord:
        row, role = _visible(tx.conn, owner, dispute_id)
        return _record(row, role, self.uow.now())


_works_a = works.alias("wa")
_works_b = works.alias("wb")
_owners_a = owners.alias("oa")
_owners_b = owners.alias("ob")


def _party_query(conn: sa.Connection) -> Any:
    return (
        sa.select(
            disputes,
            _works_a.c.owner_id.label("owner_a"),
            _works_b.c.owner_id.label("owner_b"),
            _owners_a.c.display_name.label("name_a"),
            _owners_b.c.display_name.label("name_b"),
        )
        .join(_works_a, _works_a.c.id == disputes.c.work_a)
        .join(_works_b, _works_b.c.id == disputes.c.work_b)
        .join(_owners_a, _owners_a.c.id == _works_a.c.owner_id)
        .join(_owners_b, _owners_b.c.id == _works_b.c.owner_id)
    )


def _visible(conn: sa.Connection, owner: Owner, dispute_id: str) -> tuple[Any, str]:
    """The dispute row and the caller's role in it; :class:`NotFoundError` for anyone but the parties and operators."""
    row = conn.execute(_party_query(conn).where(disputes.c.id == dispute_id)).first()
    if row is not None:
        if row.owner_a == owner.id:
            return row, "later"
        if row.owner_b == owner.id:
            return row, "earlier"
        if owner.operator:
            return row, "operator"
    raise NotFoundError(f"no dispute {dispute_id!r}")


def _record(r: Any, role: str, now: datetime) -> DisputeRecord:
    mine_a = role in ("later", "operator")  # an operator reads it from the later registration's side
    return DisputeRecord(
        id=r.id,
        work_id=r.work_a if mine_a else r.work_b,
        other_work_id=r.work_b if mine_a else r.work_a,
        other_owner_id=r.owner_b if mine_a else r.owner_a,
        other_owner_name=r.name_b if mine_a else r.name_a,
        kind=r.kind,
        score=r.score,
        created_at=r.created_at,
        role=role,
        state=dispute_state(r.status, r.deadline_at, now),
        deadline_at=r.deadline_at,
        my_evidence=r.evidence_a if mine_a else r.evidence_b,
        their_evidence=r.evidence_b if mine_a else r.evidence_a,
        my_proposal=r.proposal_a if mine_a else r.proposal_b,
        their_proposal=r.proposal_b if mine_a else r.proposal_a,
        outcome=r.outcome,
        closed_at=r.closed_at,
    )


def refresh_work_status(conn: sa.Connection, work_ids: Sequence[str], now: datetime) -> None:
    """A work is stored ``disputed`` while any of its disputes is open or answered, ``active`` otherwise."""
    for work_id in set(work_ids):
        live = conn.execute(
            sa.select(sa.func.count())
            .select_from(disputes)
            .where(
                sa.or_(disputes.c.work_a == work_id, disputes.c.work_b == work_id),
                disputes.c.status.in_(_LIVE),
            )
        ).scalar_one()
        conn.execute(
            sa.update(works)
            .where(works.c.id == work_id)
            .values(status="disputed" if live else "active", updated_at=now)
        )


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
    deadline = now + timedelta(days=settings.dispute_response_days)
    for other, (kind, score) in rivals.items():
        dispute_id = new_id()
        tx.conn.execute(
            sa.insert(disputes).values(
                id=dispute_id,
                work_a=work_id,
                work_b=other,
                kind=kind,
                score=score,
                created_at=now,
                status="open",
                deadline_at=deadline,
            )
        )
        tx.log(
            "claim.dispute",
            "dispute",
            dispute_id,
            work_a=work_id,
            work_b=other,
            kind=kind,
            score=score,
            deadline_at=deadline.isoformat(),
        )
    tx.conn.execute(
        sa.update(works).where(works.c.id.in_([work_id, *rivals])).values(status="disputed", updated_at=now)
    )


def live_claimants(conn: sa.Connection, work_ids: Sequence[str], now: datetime) -> dict[str, tuple[str, ...]]:
    """For each work with a live (open or answered, not lapsed) dispute: every owner claiming it, sorted.

    Works whose disputes are all closed or lapsed are left out: they are no longer disputed.
    """
    if not work_ids:
        return {}
    pairs: dict[str, set[str]] = defaultdict(set)
    for chunk in chunks(list(work_ids), CHUNK // 2):
        for r in conn.execute(
            sa.select(disputes.c.work_a, disputes.c.work_b, disputes.c.status, disputes.c.deadline_at).where(
                sa.or_(disputes.c.work_a.in_(chunk), disputes.c.work_b.in_(chunk)),
                disputes.c.status.in_(_LIVE),
            )
        ):
            if dispute_state(r.status, r.deadline_at, now) in _LIVE:
                pairs[r.work_a].add(r.work_b)
                pairs[r.work_b].add(r.work_a)
    involved = sorted({w for k, v in pairs.items() for w in (k, *v)})
    owner_of: dict[str, str] = {}
    for chunk in chunks(involved):
        for o in conn.execute(sa.select(works.c.id, works.c.owner_id).where(works.c.id.in_(chunk))):
            owner_of[o.id] = o.owner_id
    return {
        w: tuple(sorted({owner_of[x] for x in (w, *pairs[w]) if x in owner_of}))
        for w in work_ids
        if w in pairs
    }


def dispute_statuses(conn: sa.Connection, work_ids: Sequence[str], now: datetime) -> dict[str, DisputeStatus]:
    """For each work that is party to any dispute: the public state of its most relevant one at ``now``.

    A live (open or answered) dispute comes before a closed or lapsed one, so ``state`` agrees with
    ``disputed``; among equals the newest wins. Works never disputed are left out.
    """
    best: dict[str, tuple[tuple[bool, datetime, str], DisputeStatus]] = {}
    seen: set[str] = set()
    for chunk in chunks(list(work_ids), CHUNK // 2):
        for r in conn.execute(
            sa.select(
                disputes.c.id,
                disputes.c.work_a,
                disputes.c.work_b,
                disputes.c.status,
                disputes.c.deadline_at,
                disputes.c.outcome,
                disputes.c.created_at,
            ).where(sa.or_(disputes.c.work_a.in_(chunk), disputes.c.work_b.in_(chunk)))
        ):
            if r.id in seen:  # both works in the batch, found from both chunks
                continue
            seen.add(r.id)
            state = dispute_state(r.status, r.deadline_at, now)
            rank = (state in _LIVE, r.created_at, r.id)
            deadline = None if r.deadline_at is None else r.deadline_at.astimezone(UTC).isoformat()
            outcome = r.outcome if state in ("withdrawn", "resolved") else None
            for work, role in ((r.work_a, "later"), (r.work_b, "earlier")):
                if work not in best or rank > best[work][0]:
                    best[work] = (rank, DisputeStatus(state, deadline, role, outcome))
    wanted = set(work_ids)
    return {w: status for w, (_rank, status) in best.items() if w in wanted}
