"""Domains: claim one, publish the token (``.well-known`` file or DNS TXT record), verify, see its state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from mediamanager.api.deps import DomainsDep, SettingsDep
from mediamanager.errors import InputError, VerificationError
from mediamanager.registry.domains import verification_url
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import CsrfChecked, RequiredUser
from mediamanager.web.templating import redirect, render

router = page_router()


@router.get("/my/domains")
def domains_page(
    request: Request, user: RequiredUser, domains: DomainsDep, settings: SettingsDep
) -> Response:
    found = domains.list_domains(user.owner)
    urls = {d.domain: verification_url(d.domain, settings.verification_scheme) for d in found}
    return render(request, "domains.html", {"domains": found, "urls": urls})


@router.post("/my/domains")
def add_domain(
    request: Request,
    user: RequiredUser,
    _csrf: CsrfChecked,
    domains: DomainsDep,
    domain: Annotated[str, Form(max_length=300)],
) -> Response:
    try:
        record = domains.add_domain(user.owner, domain)
    except InputError as exc:
        return redirect(request, "/my/domains", str(exc), "error")
    return redirect(request, "/my/domains", f"Claimed {record.domain}: publish its token, then verify.")


@router.post("/my/domains/{domain}/verify")
async def verify_domain(
    request: Request, domain: str, user: RequiredUser, _csrf: CsrfChecked, domains: DomainsDep
) -> Response:
    try:
        record = await domains.verify_domain(user.owner, domain)
    except VerificationError as exc:
        return redirect(request, "/my/domains", f"Not verified yet: {str(exc)[:300]}", "error")
    return redirect(request, "/my/domains", f"{record.domain} is verified.")
