"""The registry's HTTP API: ``create_app(settings)`` builds the engine, migrates, and mounts every router."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediamanager import __version__
from mediamanager.api.deps import clean_parameters
from mediamanager.api.docs import install_docs
from mediamanager.api.errors import install_error_handlers
from mediamanager.api.ratelimit import RateLimit, TokenBuckets
from mediamanager.api.routes import disputes, domains, ledger, lookup, owners, preferences, tokens, works
from mediamanager.api.routes import guard as guard_routes
from mediamanager.api.routes import provenance as provenance_routes
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.uow import UnitOfWork
from mediamanager.settings import Settings

__all__ = ["ROUTERS", "create_app", "create_app_from_env"]

# Every router the app mounts; other parts append their own line here.
ROUTERS: list[APIRouter] = [
    lookup.router,  # first: Starlette tries routes in order, and /lookup is the hot path
    owners.router,
    tokens.router,
    works.router,
    preferences.router,
    disputes.router,
    domains.router,
    provenance_routes.router,
    ledger.router,
    guard_routes.router,
]

# Multipart framing and form fields on top of the file itself.
_UPLOAD_OVERHEAD = 256 * 1024


class RefuseOversized:
    """ASGI middleware: answer 413 from ``Content-Length`` before reading a byte of an oversized body.

    A body sent without ``Content-Length`` (chunked) is counted as it arrives and refused with 413
    once it passes the limit, so leaving the header out does not lift the cap.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware
    wraps every request in extra tasks, which measurably cut lookup throughput.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length":
                    if not value.isdigit() or int(value) > self.limit:
                        response = JSONResponse(
                            {
                                "detail": f"request body larger than {self.limit} bytes",
                                "error": "MediaTooLargeError",
                            },
                            413,
                        )
                        await response(scope, receive, send)
                        return
                    break
            else:
                # No Content-Length (chunked transfer): count the body as it arrives instead.
                await self._counted(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge(413, f"request body larger than {self.limit} bytes")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            response = JSONResponse(
                {"detail": f"request body larger than {self.limit} bytes", "error": "MediaTooLargeError"}, 413
            )
            await response(scope, receive, send)


class _BodyTooLarge(HTTPException):
    """Raised inside the app when a body without Content-Length passes the limit.

    An HTTPException, so FastAPI's body parsing passes it through as a 413 rather than a 400.
    """


def create_app(settings: Settings | None = None) -> FastAPI:
    """A ready API over ``settings.db_url``: the schema is brought to the newest Alembic revision first.

    ``app.state`` holds ``settings``, ``engine`` (an SQLAlchemy Engine) and ``uow`` (the registry's
    :class:`~mediamanager.registry.uow.UnitOfWork`).
    """
    settings = settings or Settings()
    engine = make_engine(settings.db_url)
    upgrade_schema(engine)
    app = FastAPI(
        title="Media Manager registry",
        version=__version__,
        description="Creators register works and their AI-usage preferences; AI builders look them up.",
        dependencies=[Depends(clean_parameters)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.uow = UnitOfWork(engine, settings)
    install_error_handlers(app)
    install_docs(app)  # /docs and /redoc from local assets: they render offline
    app.add_middleware(RefuseOversized, limit=settings.max_upload_bytes + _UPLOAD_OVERHEAD)
    app.add_middleware(
        RateLimit,
        signup=TokenBuckets(settings.signup_rate_per_minute, settings.signup_burst),
        lookup=TokenBuckets(settings.lookup_rate_per_minute, settings.lookup_burst),
    )

    for router in ROUTERS:
        app.include_router(router)
    from mediamanager.web.app import mount_portal  # the portal sits on the same app, at /

    mount_portal(app)
    return app


def create_app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory`` and multi-worker serving: settings from ``MEDIAMANAGER_*``."""
    return create_app(Settings())
