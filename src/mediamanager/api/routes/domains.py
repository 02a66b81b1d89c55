"""Domain ownership: claim a domain, publish the token, ask the registry to verify it."""

from __future__ import annotations

from fastapi import APIRouter, status

from mediamanager.api.deps import CurrentOwner, DomainsDep, SettingsDep
from mediamanager.api.schemas import DomainCreate, DomainPublic

router = APIRouter(prefix="/domains", tags=["domains"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DomainPublic)
def add_domain(
    body: DomainCreate, owner: CurrentOwner, domains: DomainsDep, settings: SettingsDep
) -> DomainPublic:
    """Claim a domain; publish the returned token at its `verification_url`, then call `/verify`."""
    return DomainPublic.of(domains.add_domain(owner, body.domain), settings.verification_scheme)


@router.get("", response_model=list[DomainPublic])
def list_domains(owner: CurrentOwner, domains: DomainsDep, settings: SettingsDep) -> list[DomainPublic]:
    return [DomainPublic.of(d, settings.verification_scheme) for d in domains.list_domains(owner)]


@router.post("/{domain}/verify", response_model=DomainPublic)
async def verify_domain(
    domain: str, owner: CurrentOwner, domains: DomainsDep, settings: SettingsDep
) -> DomainPublic:
    """Fetch `/.well-known/mediamanager-verification.txt` from the domain; 422 when the token is not there
    or the site does not answer in full within the verification timeout. Async: a slow site holds no thread."""
    return DomainPublic.of(await domains.verify_domain(owner, domain), settings.verification_scheme)
