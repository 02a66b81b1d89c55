"""Conflicting claims on the caller's works, visible to both sides."""

from __future__ import annotations

from fastapi import APIRouter

from mediamanager.api.deps import CurrentOwner, DisputesDep
from mediamanager.api.schemas import DisputePublic

router = APIRouter(prefix="/disputes", tags=["disputes"])


@router.get("", response_model=list[DisputePublic])
def list_disputes(owner: CurrentOwner, disputes: DisputesDep) -> list[DisputePublic]:
    return [DisputePublic.of(d) for d in disputes.list_disputes(owner)]
