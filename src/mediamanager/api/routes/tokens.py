"""API tokens: issue more, list them (never their secrets), revoke one."""

from __future__ import annotations

from fastapi import APIRouter, status

from mediamanager.api.deps import AccountsDep, CurrentOwner
from mediamanager.api.schemas import TokenCreate, TokenIssued, TokenPublic

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenIssued)
def create_token(body: TokenCreate, owner: CurrentOwner, accounts: AccountsDep) -> TokenIssued:
    return TokenIssued.issued(accounts.create_token(owner, body.label))


@router.get("", response_model=list[TokenPublic])
def list_tokens(owner: CurrentOwner, accounts: AccountsDep) -> list[TokenPublic]:
    return [TokenPublic.of(t) for t in accounts.list_tokens(owner)]


@router.delete("/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: str, owner: CurrentOwner, accounts: AccountsDep) -> TokenPublic:
    return TokenPublic.of(accounts.revoke_token(owner, token_id))
