"""The one place domain errors become HTTP answers: every handler returns ``{"detail": message}``."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mediamanager.errors import (
    AuthError,
    ConflictError,
    InputError,
    IntegrityError,
    MediaManagerError,
    MediaTooLargeError,
    NotFoundError,
    RegistryUnavailableError,
    UnsupportedMediaError,
    VerificationError,
)

__all__ = ["STATUS_FOR", "install_error_handlers", "status_for"]

# Most specific class first: the first isinstance match decides.
STATUS_FOR: tuple[tuple[type[Exception], int], ...] = (
    (MediaTooLargeError, 413),
    (UnsupportedMediaError, 415),
    (InputError, 422),
    (AuthError, 401),
    (NotFoundError, 404),
    (ConflictError, 409),
    (VerificationError, 422),
    (RegistryUnavailableError, 503),
    (IntegrityError, 500),
    (MediaManagerError, 400),
)


def status_for(exc: Exception) -> int:
    for cls, status in STATUS_FOR:
        if isinstance(exc, cls):
            return status
    return 500


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on ``app``."""

    async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            {"detail": str(exc), "error": type(exc).__name__}, status_code=status, headers=headers
        )

    async def db_conflict(_request: Request, exc: Exception) -> JSONResponse:
        # A constraint tripped by a concurrent writer: the transaction rolled back whole.
        return JSONResponse({"detail": "conflicting concurrent change; retry", "error": "ConflictError"}, 409)

    app.add_exception_handler(MediaManagerError, domain_error)
    app.add_exception_handler(sa.exc.IntegrityError, db_conflict)
