"""Accounts: sign up, see yourself, see another owner's public name, publish an owner's signals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from mediamanager.api.deps import AccountsDep, CurrentOwner, DomainsDep, SettingsDep
from mediamanager.api.schemas import (
    OwnerCreate,
    OwnerCreated,
    OwnerPrivate,
    OwnerPublic,
    OwnerSignals,
    TokenIssued,
)
from mediamanager.errors import NotFoundError

router = APIRouter(prefix="/owners", tags=["owners"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OwnerCreated)
def create_owner(body: OwnerCreate, accounts: AccountsDep) -> OwnerCreated:
    """Create an account (a person or an organisation); the answer holds its first API token, shown once."""
    owner, token = accounts.create_owner(body.display_name, kind=body.kind, email=body.email)
    return OwnerCreated(owner=OwnerPrivate.of(owner), token=TokenIssued.issued(token))


@router.get("/me", response_model=OwnerPrivate)
def me(owner: CurrentOwner) -> OwnerPrivate:
    return OwnerPrivate.of(owner)


@router.get("/{owner_id}", response_model=OwnerPublic)
def get_owner(owner_id: str, accounts: AccountsDep) -> OwnerPublic:
    return OwnerPublic.of(accounts.get_owner(owner_id))


@router.get("/{owner_id}/signals", response_model=OwnerSignals)
def owner_signals(
    owner_id: str,
    domains: DomainsDep,
    settings: SettingsDep,
    domain: Annotated[str | None, Query(max_length=260)] = None,
) -> OwnerSignals:
    """Render the owner's preferences for a **verified** domain as robots.txt, Content-Usage, Content-Signal,
    ai.txt and tdmrep.json. Unverified or unknown domains answer 404."""
    from mediamanager.registry.publish import render_signals

    verified = domains.verified_domains(owner_id)
    if not verified:
        raise NotFoundError(f"owner {owner_id!r} has no verified domain")
    chosen = (
        verified[0] if domain is None else next((d for d in verified if d.domain == domain.lower()), None)
    )
    if chosen is None:
        raise NotFoundError(f"domain {domain!r} is not verified for owner {owner_id!r}")
    rendered = render_signals(
        domains.domain_preferences(owner_id, chosen.domain), agents_path=settings.agents_path
    )
    return OwnerSignals(owner_id=owner_id, domain=chosen.domain, **rendered)
