"""API tokens: issue more, list them (never their secrets), revoke one."""

from __future__ import annotations

from fastapi import APIRouter, status

from mediamanager.api.deps import CurrentOwner, ServiceDep
from mediamanager.api.schemas import TokenCreate, TokenIssued, TokenPublic

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenIssued)
def create_token(body: TokenCreate, owner: CurrentOwner, service: ServiceDep) -> TokenIssued:
    return TokenIssued.issued(service.create_token(owner, body.label))


@router.get("", response_model=list[TokenPublic])
def list_tokens(owner: CurrentOwner, service: ServiceDep) -> list[TokenPublic]:
    return [TokenPublic.of(t) for t in service.list_tokens(owner)]


@router.delete("/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: str, owner: CurrentOwner, service: ServiceDep) -> TokenPublic:
    return TokenPublic.of(service.revoke_token(owner, token_id))
