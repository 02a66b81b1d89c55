"""Statements: what I am owed per month, from the ledger alone (the numbers of ``mediamanager ledger
statement``), with CSV, DSR-shaped and JSON downloads and a printable page.

PDF is not offered: no offline PDF library is installed, and the printable page prints to PDF
from any browser.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import Response

from mediamanager.registry.licences import ledger_services
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import RequiredUser
from mediamanager.web.templating import render
from mediamanager.web.views.statements import DOWNLOADS, download_name, statement_periods
from mediamanager.web.views.usage import month_of

router = page_router()
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
PeriodPath = Annotated[str, Path(pattern=PERIOD)]


def _page(request: Request, user: RequiredUser, period: str, template: str) -> Response:
    ledger, _ = ledger_services(request.app.state)
    statement = ledger.statement(user.id, period)
    months = [month_of(r["scan_time"]) for r in ledger.usage_summary(user.owner)["scans"]
              if r["decision"] == "kept-under-licence"]  # fmt: skip
    context = {
        "st": statement,
        "period": period,
        "periods": statement_periods(months, ledger.uow.now().strftime("%Y-%m")),
        "downloads": DOWNLOADS,
    }
    return render(request, template, context)


@router.get("/my/statements")
def statements_page(
    request: Request, user: RequiredUser, period: Annotated[str, Query(pattern=PERIOD)] = ""
) -> Response:
    ledger, _ = ledger_services(request.app.state)
    return _page(request, user, period or ledger.uow.now().strftime("%Y-%m"), "statements.html")


@router.get("/my/statements/{period}/print")
def printable(request: Request, user: RequiredUser, period: PeriodPath) -> Response:
    return _page(request, user, period, "statement_print.html")


@router.get("/my/statements/{period}/download")
def download(
    request: Request,
    user: RequiredUser,
    period: PeriodPath,
    format: Annotated[str, Query(pattern="^(csv|dsr|json)$")] = "csv",
) -> Response:
    from mediamanager.ledger.exports import export_statement

    ledger, _ = ledger_services(request.app.state)
    body = export_statement(ledger.statement(user.id, period), format)
    name = download_name(user.id, period, format)
    return Response(
        body,
        media_type=DOWNLOADS[format][1],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
