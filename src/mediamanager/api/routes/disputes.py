"""Conflicting claims on the caller's works: list, answer with evidence, withdraw, resolve.

Only the two parties see or act on a dispute (a registry operator may also resolve it); anyone
else gets 404, exactly as for a missing dispute.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from mediamanager.api.deps import CurrentOwner, DisputesDep
from mediamanager.api.schemas import DisputePublic
from mediamanager.registry.records import DisputeRecord

router = APIRouter(prefix="/disputes", tags=["disputes"])


class DisputeState(DisputePublic):
    """A dispute seen by one party: its role, state (``lapsed`` once past an unanswered deadline) and evidence."""

    role: Literal["earlier", "later", "operator"]
    state: Literal["open", "answered", "lapsed", "withdrawn", "resolved"]
    deadline_at: datetime | None
    my_evidence: str | None
    their_evidence: str | None
    my_proposal: str | None
    their_proposal: str | None
    outcome: str | None
    closed_at: datetime | None

    @classmethod
    def of(cls, d: DisputeRecord) -> DisputeState:
        return cls(**d.__dict__)


class DisputeResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evidence: str = Field(min_length=1, max_length=10_000, description="Why your claim holds: links, dates.")


class DisputeResolution(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["earlier", "later", "shared"] = Field(
        description="Whose claim stands: the earlier registration's, the later one's, or both (shared)."
    )


@router.get("", response_model=list[DisputeState])
def list_disputes(owner: CurrentOwner, disputes: DisputesDep) -> list[DisputeState]:
    return [DisputeState.of(d) for d in disputes.list_disputes(owner)]


@router.get("/{dispute_id}", response_model=DisputeState)
def get_dispute(dispute_id: str, owner: CurrentOwner, disputes: DisputesDep) -> DisputeState:
    return DisputeState.of(disputes.get_dispute(owner, dispute_id))


@router.post("/{dispute_id}/respond", response_model=DisputeState)
def respond(
    dispute_id: str, body: DisputeResponse, owner: CurrentOwner, disputes: DisputesDep
) -> DisputeState:
    """Add your evidence; the later registrant's answer keeps the dispute from lapsing at its deadline."""
    return DisputeState.of(disputes.respond(owner, dispute_id, body.evidence))


@router.post("/{dispute_id}/withdraw", response_model=DisputeState)
def withdraw(dispute_id: str, owner: CurrentOwner, disputes: DisputesDep) -> DisputeState:
    """Withdraw your own claim in this dispute: the other side's claim stands."""
    return DisputeState.of(disputes.withdraw(owner, dispute_id))


@router.post("/{dispute_id}/resolve", response_model=DisputeState)
def resolve(
    dispute_id: str, body: DisputeResolution, owner: CurrentOwner, disputes: DisputesDep
) -> DisputeState:
    """Propose an outcome (resolved when both parties propose the same), or decide it as an operator."""
    return DisputeState.of(disputes.resolve(owner, dispute_id, body.outcome))
