"""API tokens: create one (its secret is shown once, only its hash is stored) or revoke one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from mediamanager.api.deps import AccountsDep
from mediamanager.errors import ConflictError
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import CsrfChecked, RequiredUser
from mediamanager.web.templating import redirect, render

router = page_router()


@router.get("/my/tokens")
def tokens_page(request: Request, user: RequiredUser, accounts: AccountsDep) -> Response:
    return render(request, "tokens.html", {"tokens": accounts.list_tokens(user.owner), "new_secret": None})


@router.post("/my/tokens")
def create_token(
    request: Request,
    user: RequiredUser,
    _csrf: CsrfChecked,
    accounts: AccountsDep,
    label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    new = accounts.create_token(user.owner, label.strip() or "portal")
    # Rendered, not redirected: the secret is shown on this one page and never again.
    context = {
        "tokens": accounts.list_tokens(user.owner),
        "new_secret": new.secret,
        "new_label": new.info.label,
    }
    return render(request, "tokens.html", context, 201)


@router.post("/my/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: str, user: RequiredUser, _csrf: CsrfChecked, accounts: AccountsDep
) -> Response:
    try:
        info = accounts.revoke_token(user.owner, token_id)
    except ConflictError as exc:
        return redirect(request, "/my/tokens", str(exc), "error")
    return redirect(request, "/my/tokens", f"Revoked the token {info.label!r}.")
