"""The registry's HTTP API: ``create_app(settings)`` builds the engine, migrates, and mounts every router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from mediamanager import __version__
from mediamanager.api.errors import install_error_handlers
from mediamanager.api.routes import disputes, domains, lookup, owners, preferences, tokens, works
from mediamanager.api.routes import provenance as provenance_routes
from mediamanager.registry.service import RegistryService
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.settings import Settings

__all__ = ["ROUTERS", "create_app", "create_app_from_env"]

# Every router the app mounts; other parts append their own line here.
ROUTERS: list[APIRouter] = [
    owners.router,
    tokens.router,
    works.router,
    preferences.router,
    disputes.router,
    domains.router,
    lookup.router,
    provenance_routes.router,
]

# Multipart framing and form fields on top of the file itself.
_UPLOAD_OVERHEAD = 256 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    """A ready API over ``settings.db_url``: the schema is brought to the newest Alembic revision first.

    ``app.state`` holds ``settings``, ``engine`` (an SQLAlchemy Engine) and ``service``.
    """
    settings = settings or Settings()
    engine = make_engine(settings.db_url)
    upgrade_schema(engine)
    app = FastAPI(
        title="Media Manager registry",
        version=__version__,
        description="Creators register works and their AI-usage preferences; AI builders look them up.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.service = RegistryService(engine, settings)
    install_error_handlers(app)
    limit = settings.max_upload_bytes + _UPLOAD_OVERHEAD

    @app.middleware("http")
    async def refuse_oversized(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Refuse before reading a byte, rather than spooling a huge body to disk first.
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return JSONResponse(
                {"detail": f"request body larger than {limit} bytes", "error": "MediaTooLargeError"}, 413
            )
        return await call_next(request)

    for router in ROUTERS:
        app.include_router(router)
    return app


def create_app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory`` and multi-worker serving: settings from ``MEDIAMANAGER_*``."""
    return create_app(Settings())
