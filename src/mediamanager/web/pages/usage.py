"""Where was my work found: the ledger's usage of my works, overall and per work, with the evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from mediamanager.api.deps import WorksDep
from mediamanager.registry.licences import ledger_services
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import RequiredUser
from mediamanager.web.templating import render
from mediamanager.web.views.usage import event_view, usage_overview

router = page_router()
EVENTS_PER_PAGE = 100


@router.get("/my/usage")
def usage_page(request: Request, user: RequiredUser) -> Response:
    ledger, _ = ledger_services(request.app.state)
    overview = usage_overview(ledger.usage_summary(user.owner))
    return render(request, "usage.html", {"u": overview, "work": None})


@router.get("/my/usage/{work_id}")
def work_usage_page(
    request: Request,
    work_id: str,
    user: RequiredUser,
    works: WorksDep,
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    work = works.get_work(user.owner, work_id)  # another owner's work: 404 like a missing one
    ledger, _ = ledger_services(request.app.state)
    summary = ledger.usage_summary(user.owner, work_id=work_id)
    builders = {r["builder_id"]: r["builder_name"] for r in summary["scans"]}
    events = ledger.events_for(user.owner, work_id=work_id, after=after, limit=EVENTS_PER_PAGE + 1)
    more = len(events) > EVENTS_PER_PAGE
    events = events[:EVENTS_PER_PAGE]
    context = {
        "u": usage_overview(summary),
        "work": work,
        "events": event_view(events, builders),
        "next_after": events[-1]["seq"] if more else None,
        "after": after,
    }
    return render(request, "usage.html", context)
