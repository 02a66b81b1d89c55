"""Sign up, log in, log out and reset a forgotten password."""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from fastapi.responses import Response

from mediamanager.errors import AuthError, ConflictError, InputError
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import CredentialsDep, CsrfChecked, OptionalUser, end_session, start_session
from mediamanager.web.templating import redirect, render

router = page_router()
log = logging.getLogger("mediamanager.web")

# Failed logins allowed per (e-mail, client address) in the window before the form answers 429.
MAX_FAILURES = 5
WINDOW_S = 15 * 60


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _failures(request: Request) -> dict[tuple[str, str], deque[float]]:
    """Failed logins of this app (one table per app, so two registries in one process never share one)."""
    state = request.app.state
    if not hasattr(state, "login_failures"):
        state.login_failures = defaultdict(deque)
    table: dict[tuple[str, str], deque[float]] = state.login_failures
    return table


def _recent_failures(request: Request, key: tuple[str, str], now: float) -> deque[float]:
    q = _failures(request)[key]
    while q and q[0] <= now - WINDOW_S:
        q.popleft()
    return q


def _safe_next(target: str) -> str:
    """Only a local path: ``next=https://evil.example`` or ``//evil.example`` goes home instead."""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return "/my/works"
    return target


@router.get("/")
def home(request: Request, user: OptionalUser) -> Response:
    return render(request, "home.html", {})


@router.get("/signup")
def signup_form(request: Request) -> Response:
    return render(request, "signup.html", {"error": None, "email": "", "display_name": ""})


@router.post("/signup")
def signup(
    request: Request,
    _csrf: CsrfChecked,
    credentials: CredentialsDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        owner = credentials.sign_up(email, password, display_name.strip())
    except (InputError, ConflictError) as exc:
        context = {"error": str(exc), "email": email, "display_name": display_name}
        return render(request, "signup.html", context, 409 if isinstance(exc, ConflictError) else 422)
    start_session(request, owner)
    return redirect(request, "/my/works", f"Welcome, {owner.display_name}. Your account is ready.")


@router.get("/login")
def login_form(request: Request, next: str = "/my/works") -> Response:
    return render(request, "login.html", {"error": None, "email": "", "next": _safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    _csrf: CsrfChecked,
    credentials: CredentialsDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/my/works",
) -> Response:
    key, now = (email.strip().lower(), _client(request)), time.monotonic()
    failures = _recent_failures(request, key, now)
    context = {"email": email, "next": _safe_next(next)}
    if len(failures) >= MAX_FAILURES:
        wait = int(failures[0] + WINDOW_S - now) + 1
        error = f"Too many failed attempts. Try again in {wait // 60 + 1} minutes, or reset your password."
        return render(request, "login.html", {**context, "error": error}, 429)
    try:
        owner = credentials.check_password(email, password)
    except AuthError as exc:
        failures.append(now)
        return render(request, "login.html", {**context, "error": str(exc)}, 401)
    _failures(request).pop(key, None)
    start_session(request, owner)
    return redirect(request, _safe_next(next))


@router.post("/logout")
def logout(request: Request, _csrf: CsrfChecked) -> Response:
    end_session(request)
    return redirect(request, "/login", "You are logged out.")


@router.get("/reset")
def reset_request_form(request: Request) -> Response:
    return render(request, "reset_request.html", {})


@router.post("/reset")
def reset_request(
    request: Request,
    _csrf: CsrfChecked,
    credentials: CredentialsDep,
    email: Annotated[str, Form(max_length=320)],
) -> Response:
    token = credentials.reset_token(email)
    if token is not None:
        link = f"{str(request.base_url).rstrip('/')}/reset/{token}"
        # No mail server is configured: the operator reads the one-time link from the log.
        log.warning("password reset link for %s: %s", email.strip().lower(), link)
        print(f"password reset link for {email.strip().lower()}: {link}", flush=True)
    # The same answer whether or not the address has an account: no account enumeration.
    return redirect(request, "/login", "If that address has an account, a reset link is on its way.")


@router.get("/reset/{token}")
def reset_form(request: Request, token: str) -> Response:
    return render(request, "reset.html", {"token": token, "error": None})


@router.post("/reset/{token}")
def reset(
    request: Request,
    token: str,
    _csrf: CsrfChecked,
    credentials: CredentialsDep,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        owner = credentials.reset_password(token, password)
    except (AuthError, InputError) as exc:
        return render(request, "reset.html", {"token": token, "error": str(exc)}, 400)
    start_session(request, owner)
    return redirect(request, "/my/works", "Your password is changed.")
