"""Who is signed in: the session cookie, the CSRF check and the dependencies portal routes declare.

The session cookie (``mm_session``) holds 256 random bits; the database holds only their sha256
(:class:`~mediamanager.registry.credentials.CredentialService`). Every form carries a CSRF token:
the session's own once signed in, and before that a random ``mm_csrf`` cookie echoed in the form
(double submit), so the login and sign-up forms cannot be posted from another site either.
Cookies are HttpOnly and SameSite=Lax, and Secure whenever the request came over HTTPS.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request
from itsdangerous import BadSignature, URLSafeSerializer

from mediamanager.registry.credentials import SESSION_LIFETIME, CredentialService
from mediamanager.registry.records import Owner

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "CredentialsDep",
    "CsrfChecked",
    "OptionalUser",
    "PortalUser",
    "RequiredUser",
    "credential_service",
    "end_session",
    "optional_user",
    "pop_flashes",
    "portal_context",
    "require_csrf",
    "require_user",
    "set_cookie",
    "start_session",
]

SESSION_COOKIE = "mm_session"
CSRF_COOKIE = "mm_csrf"
FLASH_COOKIE = "mm_flash"


@dataclass(frozen=True)
class PortalUser:
    """The signed-in creator: their registry owner account."""

    owner: Owner

    @property
    def id(self) -> str:
        return self.owner.id

    @property
    def email(self) -> str:
        return self.owner.email or ""

    @property
    def display_name(self) -> str:
        return self.owner.display_name


def credential_service(request: Request) -> CredentialService:
    service: CredentialService = request.app.state.credentials
    return service


CredentialsDep = Annotated[CredentialService, Depends(credential_service)]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, name: str, value: str, max_age: int | None) -> None:
    """Queue a ``Set-Cookie`` for the response (written by :class:`~mediamanager.web.app.PortalHeaders`)."""
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if _secure(request):
        parts.append("Secure")
    cookies: list[str] = request.scope.setdefault("state", {}).setdefault("set_cookies", [])
    cookies.append("; ".join(parts))


def _flash_signer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.portal_secret, salt="mediamanager.flash")


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    """Messages queued for this page: from the previous redirect's cookie, then from this request."""
    out: list[tuple[str, str]] = []
    raw = request.cookies.get(FLASH_COOKIE)
    if raw and not getattr(request.state, "flash_read", False):
        request.state.flash_read = True
        try:
            out = [(str(k), str(m)) for k, m in _flash_signer(request).loads(raw)][:10]
        except (BadSignature, ValueError, TypeError):
            out = []
        set_cookie(request, FLASH_COOKIE, "", 0)
    out.extend(getattr(request.state, "flash_out", []))
    request.state.flash_out = []
    return out


def keep_flashes(request: Request) -> None:
    """Carry this request's queued messages over a redirect."""
    pending = getattr(request.state, "flash_out", [])
    if pending:
        set_cookie(request, FLASH_COOKIE, _flash_signer(request).dumps(pending), 300)
        request.state.flash_out = []


async def portal_context(request: Request) -> None:
    """On every portal route: load the session (if any) and the CSRF token the page's forms carry."""
    request.state.portal = True
    session = credential_service(request).session(request.cookies.get(SESSION_COOKIE))
    request.state.session = session
    request.state.user = None if session is None else PortalUser(session.owner)
    if session is not None:
        request.state.csrf = session.csrf
    else:
        anonymous = request.cookies.get(CSRF_COOKIE, "")
        if len(anonymous) != 43:
            anonymous = secrets.token_urlsafe(32)
            set_cookie(request, CSRF_COOKIE, anonymous, None)
        request.state.csrf = anonymous


def optional_user(request: Request) -> PortalUser | None:
    user: PortalUser | None = request.state.user
    return user


def require_user(request: Request) -> PortalUser:
    """The signed-in user; a GET without a session goes to the login page, anything else is 403."""
    user: PortalUser | None = request.state.user
    if user is None:
        if request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(303, headers={"Location": f"/login?next={quote(target, safe='')}"})
        raise HTTPException(403, "sign in first")
    return user


async def require_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """A form post must carry the CSRF token bound to this browser's session (or anonymous cookie).

    A ``X-CSRF-Token`` header counts too: the upload script sends files one by one with fetch().
    """
    sent = csrf_token or request.headers.get("x-csrf-token", "")
    expected: str = request.state.csrf
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "the form's security token is missing or wrong; reload the page and retry")


def start_session(request: Request, owner: Owner) -> None:
    """Log ``owner`` in with a fresh session id; any session this browser had is closed first."""
    credentials = credential_service(request)
    credentials.close_session(request.cookies.get(SESSION_COOKIE))
    sid, session = credentials.open_session(owner)
    set_cookie(request, SESSION_COOKIE, sid, int(SESSION_LIFETIME.total_seconds()))
    request.state.session = session
    request.state.user = PortalUser(owner)
    request.state.csrf = session.csrf


def end_session(request: Request) -> None:
    credential_service(request).close_session(request.cookies.get(SESSION_COOKIE))
    set_cookie(request, SESSION_COOKIE, "", 0)
    request.state.session = None
    request.state.user = None


OptionalUser = Annotated[PortalUser | None, Depends(optional_user)]
RequiredUser = Annotated[PortalUser, Depends(require_user)]
CsrfChecked = Annotated[None, Depends(require_csrf)]
