"""Licences: requests for my works to accept (a signed grant) or decline, and the requests I sent."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import Response

from mediamanager.errors import ConflictError, NotFoundError
from mediamanager.registry.licences import LicenceService, ledger_services
from mediamanager.registry.records import Owner
from mediamanager.registry.store.tables import owners, works
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import CsrfChecked, RequiredUser
from mediamanager.web.templating import redirect, render
from mediamanager.web.views.licences import licence_view, split_licences

router = page_router()


def _licences(request: Request) -> LicenceService:
    return ledger_services(request.app.state)[1]


def _views(service: LicenceService, me: Owner, found: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Licences with the names the reader may see: titles of my own works, display names of the parties."""
    found = list(found)
    mine = sorted({w for lic in found if lic["owner_id"] == me.id for w in lic["works"]})
    people = sorted({x for lic in found for x in (lic["owner_id"], lic["builder_id"])})
    with service.ledger.uow.read() as conn:
        titles = dict(
            conn.execute(
                sa.select(works.c.id, works.c.title).where(works.c.id.in_(mine), works.c.owner_id == me.id)
            ).all()
        ) if mine else {}  # fmt: skip
        names = dict(
            conn.execute(sa.select(owners.c.id, owners.c.display_name).where(owners.c.id.in_(people))).all()
        )
    return [licence_view(lic, me.id, titles, names) for lic in found]


@router.get("/my/licences")
def licences_page(request: Request, user: RequiredUser) -> Response:
    service = _licences(request)
    incoming, outgoing = split_licences(_views(service, user.owner, service.list_for(user.owner)))
    return render(request, "licences.html", {"incoming": incoming, "outgoing": outgoing})


@router.get("/my/licences/{licence_id}")
def licence_page(request: Request, licence_id: str, user: RequiredUser) -> Response:
    service = _licences(request)
    [view] = _views(service, user.owner, [service.get(user.owner, licence_id)])
    grant = None if view["grant"] is None else json.dumps(view["grant"], indent=2, sort_keys=True)
    return render(request, "licence.html", {"l": view, "grant_text": grant})


@router.get("/my/licences/{licence_id}/grant.json")
def grant_document(request: Request, licence_id: str, user: RequiredUser) -> Response:
    """The signed grant document, as the API hands it out (both parties may download it)."""
    lic = _licences(request).get(user.owner, licence_id)
    if lic["grant"] is None:
        raise NotFoundError(f"licence {licence_id} has no grant: it is {lic['status']}")
    body = json.dumps(lic["grant"], indent=2, sort_keys=True) + "\n"
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="grant-{licence_id}.json"'},
    )


def _decide(request: Request, licence_id: str, owner: Owner, action: str) -> Response:
    service = _licences(request)
    target = f"/my/licences/{licence_id}"
    try:
        if action == "revoke":
            service.revoke(owner, licence_id)
        else:
            service.decide(owner, licence_id, accept=action == "accept")
    except ConflictError as exc:
        return redirect(request, target, str(exc), "error")
    done = {"accept": "Accepted: the signed grant is issued.", "decline": "Declined.",
            "revoke": "Revoked: the grant no longer covers new scans."}  # fmt: skip
    return redirect(request, target, done[action])


@router.post("/my/licences/{licence_id}/accept")
def accept(request: Request, licence_id: str, user: RequiredUser, _csrf: CsrfChecked) -> Response:
    return _decide(request, licence_id, user.owner, "accept")


@router.post("/my/licences/{licence_id}/decline")
def decline(request: Request, licence_id: str, user: RequiredUser, _csrf: CsrfChecked) -> Response:
    return _decide(request, licence_id, user.owner, "decline")


@router.post("/my/licences/{licence_id}/revoke")
def revoke(request: Request, licence_id: str, user: RequiredUser, _csrf: CsrfChecked) -> Response:
    return _decide(request, licence_id, user.owner, "revoke")
