"""A dispute from one party's side, in words: who registered first, what is due by when, which steps
are open, and every step the audit chain recorded.

The rules are :class:`mediamanager.registry.disputes.DisputeService`'s: ``work_a`` (role ``later``)
is the later registration; its owner answers with evidence before the deadline or the dispute lapses
and the earlier claim stands; either party may withdraw its own claim or propose an outcome, which
resolves the dispute once both propose the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mediamanager.registry.audit import AuditEntry
from mediamanager.registry.records import DisputeRecord

__all__ = ["DisputeView", "Step", "dispute_view", "outcome_choices", "split_disputes", "step_view"]

LIVE = ("open", "answered")
STATE_TEXT = {
    "open": "open: waiting for the later registrant's answer",
    "answered": "answered: evidence is in, waiting for both sides to agree",
    "lapsed": "lapsed: no answer before the deadline, so the earlier claim stands",
    "withdrawn": "withdrawn",
    "resolved": "resolved",
}
ACTION_TEXT = {
    "claim.dispute": "Dispute opened when the later work was registered",
    "dispute.respond": "Evidence added",
    "dispute.withdraw": "Claim withdrawn",
    "dispute.propose": "Outcome proposed",
    "dispute.resolve": "Dispute resolved",
}


def outcome_choices(role: str) -> list[tuple[str, str]]:
    """(outcome, what it means for the reader) for the resolve form, the reader's own claim first."""
    if role == "operator":
        return [
            ("earlier", "the earlier registration's claim stands"),
            ("later", "the later registration's claim stands"),
            ("shared", "both claims stand (shared)"),
        ]
    mine, theirs = ("later", "earlier") if role == "later" else ("earlier", "later")
    return [
        (mine, "my claim stands"),
        (theirs, "their claim stands"),
        ("shared", "we share it: both claims stand"),
    ]


def _meaning(outcome: str | None, role: str) -> str | None:
    if outcome is None:
        return None
    return dict(outcome_choices(role)).get(outcome, outcome)


@dataclass(frozen=True)
class Step:
    seq: int
    at: str
    who: str  # "you", the other party's name, or "an operator"
    what: str
    detail: str
    hash: str
    prev_hash: str


@dataclass(frozen=True)
class DisputeView:
    record: DisputeRecord
    raised_by_me: bool  # my registration (the later one) opened it
    state_text: str
    live: bool
    deadline: datetime | None
    days_left: int | None  # whole days to the deadline while the answer is due; negative once past
    answer_due_from_me: bool
    can_act: bool  # respond, withdraw, propose (a party, while live)
    can_decide: bool  # an operator resolves at once
    outcome_text: str | None
    my_proposal_text: str | None
    their_proposal_text: str | None
    choices: list[tuple[str, str]]
    steps: list[Step]


def step_view(entry: AuditEntry, me: str, other_id: str, other_name: str, role: str) -> Step:
    """One audit entry as a line of the dispute's history (the hash shown so it can be checked)."""
    p: dict[str, Any] = entry.payload
    who = (
        "you"
        if entry.actor == me
        else (other_name or "the other party")
        if entry.actor == other_id
        else "an operator"
    )
    detail = ""
    if entry.action == "dispute.respond":
        detail = str(p.get("evidence", ""))
    elif entry.action in ("dispute.propose", "dispute.resolve", "dispute.withdraw"):
        detail = _meaning(p.get("outcome"), role) or ""
    elif entry.action == "claim.dispute":
        detail = f"match {p.get('kind')} {float(p.get('score', 0)):.2f}, answer due by {p.get('deadline_at')}"
    return Step(
        entry.seq,
        entry.at,
        who,
        ACTION_TEXT.get(entry.action, entry.action),
        detail,
        entry.hash,
        entry.prev_hash,
    )


def dispute_view(d: DisputeRecord, history: Iterable[AuditEntry], me: str, now: datetime) -> DisputeView:
    live = d.state in LIVE
    party = d.role != "operator"
    due = d.state == "open" and d.deadline_at is not None
    days = None
    if due and d.deadline_at is not None:
        days = (d.deadline_at - now).days
    return DisputeView(
        record=d,
        raised_by_me=d.role == "later",
        state_text=STATE_TEXT.get(d.state, d.state),
        live=live,
        deadline=d.deadline_at,
        days_left=days,
        answer_due_from_me=due and d.role == "later",
        can_act=live and party,
        can_decide=live and not party,
        outcome_text=_meaning(d.outcome, d.role),
        my_proposal_text=_meaning(d.my_proposal, d.role),
        their_proposal_text=_meaning(d.their_proposal, d.role),
        choices=outcome_choices(d.role),
        steps=[step_view(e, me, d.other_owner_id, d.other_owner_name, d.role) for e in history],
    )


def split_disputes(records: Sequence[DisputeRecord]) -> tuple[list[DisputeRecord], list[DisputeRecord]]:
    """(raised by my registrations, raised against my works), live ones first, newest first within."""

    def order(d: DisputeRecord) -> tuple[bool, float]:
        return (d.state not in LIVE, -d.created_at.timestamp())

    mine = sorted((d for d in records if d.role == "later"), key=order)
    against = sorted((d for d in records if d.role != "later"), key=order)
    return mine, against
