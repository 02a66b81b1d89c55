"""Account: export all my data as JSON, delete my account (the audit chain keeps a tombstone)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from mediamanager.api.deps import AccountsDep
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import CredentialsDep, CsrfChecked, RequiredUser, end_session
from mediamanager.web.templating import redirect, render

router = page_router()


@router.get("/my/account")
def account_page(request: Request, user: RequiredUser) -> Response:
    return render(request, "account.html", {})


@router.get("/my/account/export")
def export(user: RequiredUser, accounts: AccountsDep) -> Response:
    """Everything the registry holds about the user, as one JSON download (kept content is not inlined)."""
    from mediamanager.registry.account_data import export_account

    data = export_account(accounts.uow, user.owner)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="mediamanager-export.json"'},
    )


@router.post("/my/account/delete")
def delete_account(
    request: Request,
    user: RequiredUser,
    _csrf: CsrfChecked,
    credentials: CredentialsDep,
    accounts: AccountsDep,
    confirm: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    from mediamanager.registry.account_data import delete_account as delete

    if confirm.strip().lower() != user.email.lower():
        return redirect(request, "/my/account", "Type your e-mail address to confirm the deletion.", "error")
    end_session(request)
    delete(accounts.uow, user.owner)
    return redirect(request, "/", "Your account, works and preferences are deleted.")
