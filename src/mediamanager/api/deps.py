"""Typed dependencies: each route declares what it needs and gets it validated, or a 4xx, before it runs."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mediamanager.registry.service import Owner, RegistryService, WorkRecord
from mediamanager.settings import Settings
from mediamanager.values import clean_text

__all__ = ["CurrentOwner", "EngineDep", "ExistingWork", "ServiceDep", "SettingsDep", "clean_parameters"]

# The plain accessors are async so that FastAPI resolves them on the event loop instead of
# hopping to its thread pool for a dictionary read.
_bearer = HTTPBearer(auto_error=False, description="An API token from POST /owners or POST /tokens.")


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> sa.Engine:
    engine: sa.Engine = request.app.state.engine
    return engine


async def get_service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.service
    return service


async def clean_parameters(request: Request) -> None:
    """App-wide: path and query parameters with a NUL (``%00``) or a lone surrogate answer 422 on
    every backend (PostgreSQL cannot store a NUL; SQLite would)."""
    for name, value in request.path_params.items():
        if isinstance(value, str):
            clean_text(value, f"path parameter {name}")
    for name, value in request.query_params.multi_items():
        clean_text(value, f"query parameter {name[:40]}")


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[sa.Engine, Depends(get_engine)]
ServiceDep = Annotated[RegistryService, Depends(get_service)]


def get_current_owner(
    service: ServiceDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Owner:
    """The owner whose token came in ``Authorization: Bearer``; AuthError (401) otherwise."""
    return service.authenticate(None if credentials is None else credentials.credentials)


CurrentOwner = Annotated[Owner, Depends(get_current_owner)]


def get_existing_work(work_id: str, owner: CurrentOwner, service: ServiceDep) -> WorkRecord:
    """The caller's work ``work_id``; another owner's work answers 404 exactly like a missing one."""
    return service.get_work(owner, work_id)


ExistingWork = Annotated[WorkRecord, Depends(get_existing_work)]
