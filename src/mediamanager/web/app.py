"""``mount_portal(app)``: the creators' portal on the registry's FastAPI app.

Pages are server-rendered (Jinja2, :mod:`mediamanager.web.templating`); the few scripts are plain
files under ``/static/`` and every response carries a Content-Security-Policy with
``script-src 'self'`` and no ``'unsafe-inline'``, so a title that smuggles a script cannot run it.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediamanager.api.errors import safe_message, status_for
from mediamanager.errors import MediaManagerError
from mediamanager.registry.credentials import CredentialService
from mediamanager.web.pages import PAGES
from mediamanager.web.session import keep_flashes
from mediamanager.web.templating import render

__all__ = ["CSP", "PortalHeaders", "mount_portal"]

log = logging.getLogger("mediamanager.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
_API_DOCS = ("/docs", "/redoc", "/docs-assets")


class PortalHeaders:
    """ASGI middleware: security headers on every non-docs response, and the cookies a route queued.

    Plain ASGI (like the API's ``RefuseOversized``): routes queue ``Set-Cookie`` lines in
    ``scope["state"]`` and return any response class; this writes them on the way out.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(_API_DOCS):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"content-security-policy"]
                headers.extend(_HEADERS)
                for cookie in scope.get("state", {}).get("set_cookies", []):
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def mount_portal(app: FastAPI) -> None:
    """Add the portal's pages, assets, error pages and headers to the registry's ``app``."""
    settings = app.state.settings
    secret = getattr(settings, "portal_secret_key", None) or secrets.token_urlsafe(32)
    app.state.portal_secret = secret
    app.state.credentials = CredentialService(app.state.uow, secret)
    app.mount("/static", StaticFiles(packages=[("mediamanager.web", "static")]), name="static")
    for router in PAGES:
        app.include_router(router, include_in_schema=False)
    _install_error_pages(app)
    app.add_middleware(PortalHeaders)
    log.debug("portal mounted from %s", resources.files("mediamanager.web"))


async def _delegate(handler: Any, request: Request, exc: Exception) -> Response:
    """Call the API's own handler (sync or async) for a request that is not a portal page's."""
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    answer: Response = result
    return answer


def _install_error_pages(app: FastAPI) -> None:
    """Errors on portal routes answer an HTML page; the API's own JSON answers are left as they are."""
    api_domain = app.exception_handlers[MediaManagerError]
    api_validation = app.exception_handlers[RequestValidationError]
    api_http = app.exception_handlers.get(StarletteHTTPException)

    async def domain_error(request: Request, exc: Exception) -> Response:
        if not getattr(request.state, "portal", False):
            return await _delegate(api_domain, request, exc)
        status = status_for(exc)
        return render(request, "error.html", {"status": status, "message": safe_message(str(exc))}, status)

    async def invalid_form(request: Request, exc: Exception) -> Response:
        if not getattr(request.state, "portal", False):
            return await _delegate(api_validation, request, exc)
        assert isinstance(exc, RequestValidationError)
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors()[:5])
        return render(request, "error.html", {"status": 422, "message": f"check these fields: {fields}"}, 422)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 303 and exc.headers and "Location" in exc.headers:
            keep_flashes(request)
            return RedirectResponse(exc.headers["Location"], 303)
        if not getattr(request.state, "portal", False):
            if api_http is not None:
                return await _delegate(api_http, request, exc)
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        return render(
            request, "error.html", {"status": exc.status_code, "message": str(exc.detail)}, exc.status_code
        )

    app.add_exception_handler(MediaManagerError, domain_error)
    app.add_exception_handler(RequestValidationError, invalid_form)
    app.add_exception_handler(StarletteHTTPException, http_error)
