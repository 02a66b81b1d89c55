"""The one place domain errors become HTTP answers: every handler returns ``{"detail": message}``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
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

__all__ = ["STATUS_FOR", "install_error_handlers", "safe_message", "status_for"]

# No error answer echoes more than this much of what the caller sent.
MAX_MESSAGE = 300
MAX_ERRORS = 20

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


def safe_message(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters with anything that is not valid UTF-8 escaped."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _validation_errors(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's validation errors without the echoed input or context, which may hold NaN, lone
    surrogates or megabytes of the request and made the default handler fail with a 500."""
    out: list[dict[str, Any]] = []
    for e in list(errors)[:MAX_ERRORS]:
        loc = [x if isinstance(x, int) else safe_message(str(x), 80) for x in e.get("loc", ())][:10]
        out.append(
            {
                "loc": loc,
                "msg": safe_message(str(e.get("msg", ""))),
                "type": safe_message(str(e.get("type", "")), 60),
            }
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on ``app``."""

    async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            {"detail": safe_message(str(exc)), "error": type(exc).__name__},
            status_code=status,
            headers=headers,
        )

    async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": _validation_errors(exc.errors()), "error": "InputError"}, 422)

    async def db_refused(_request: Request, exc: Exception) -> JSONResponse:
        # The last line of defence (the schemas refuse these first): a value the database cannot
        # store, such as a NUL on PostgreSQL or an out-of-range number. The transaction rolled back.
        return JSONResponse(
            {"detail": "a value cannot be stored by the registry", "error": "InputError"}, 422
        )

    async def db_conflict(_request: Request, exc: Exception) -> JSONResponse:
        # A constraint tripped by a concurrent writer: the transaction rolled back whole.
        return JSONResponse({"detail": "conflicting concurrent change; retry", "error": "ConflictError"}, 409)

    app.add_exception_handler(MediaManagerError, domain_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(sa.exc.IntegrityError, db_conflict)
    app.add_exception_handler(sa.exc.DataError, db_refused)
