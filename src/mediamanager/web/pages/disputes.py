"""Disputes: the claims raised by my registrations and against my works; answer, withdraw, resolve."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from mediamanager.api.deps import DisputesDep, WorksDep
from mediamanager.errors import ConflictError, InputError, NotFoundError
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import CsrfChecked, RequiredUser
from mediamanager.web.templating import redirect, render
from mediamanager.web.views.disputes import dispute_view, split_disputes

router = page_router()


@router.get("/my/disputes")
def disputes_page(request: Request, user: RequiredUser, disputes: DisputesDep) -> Response:
    raised, against = split_disputes(disputes.list_disputes(user.owner))
    return render(request, "disputes.html", {"raised": raised, "against": against})


@router.get("/my/disputes/{dispute_id}")
def dispute_page(
    request: Request, dispute_id: str, user: RequiredUser, disputes: DisputesDep, works: WorksDep
) -> Response:
    record = disputes.get_dispute(user.owner, dispute_id)
    view = dispute_view(record, disputes.history(user.owner, dispute_id), user.id, disputes.uow.now())
    try:
        title = works.get_work(user.owner, record.work_id).title if record.role != "operator" else ""
    except NotFoundError:  # my work was withdrawn since; the dispute record stays
        title = ""
    return render(request, "dispute.html", {"d": view, "r": record, "work_title": title})


def _step(request: Request, dispute_id: str, run: Callable[[], str]) -> Response:
    """Run one dispute step and show its message; a refused step (closed dispute, empty evidence) shows why."""
    target = f"/my/disputes/{dispute_id}"
    try:
        message = run()
    except (ConflictError, InputError) as exc:
        return redirect(request, target, str(exc), "error")
    return redirect(request, target, message)


@router.post("/my/disputes/{dispute_id}/respond")
def respond(
    request: Request,
    dispute_id: str,
    user: RequiredUser,
    _csrf: CsrfChecked,
    disputes: DisputesDep,
    evidence: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    def run() -> str:
        disputes.respond(user.owner, dispute_id, evidence)
        return "Your evidence was added."

    return _step(request, dispute_id, run)


@router.post("/my/disputes/{dispute_id}/withdraw")
def withdraw(
    request: Request, dispute_id: str, user: RequiredUser, _csrf: CsrfChecked, disputes: DisputesDep
) -> Response:
    def run() -> str:
        disputes.withdraw(user.owner, dispute_id)
        return "You withdrew your claim: the other side's claim stands."

    return _step(request, dispute_id, run)


@router.post("/my/disputes/{dispute_id}/resolve")
def resolve(
    request: Request,
    dispute_id: str,
    user: RequiredUser,
    _csrf: CsrfChecked,
    disputes: DisputesDep,
    outcome: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    def run() -> str:
        d = disputes.resolve(user.owner, dispute_id, outcome)
        if d.state == "resolved":
            return "The dispute is resolved."
        return "Outcome proposed. The dispute is resolved once the other side proposes the same."

    return _step(request, dispute_id, run)
