"""Typed dependencies: each route declares what it needs and gets it validated, or a 4xx, before it runs."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mediamanager.registry.accounts import AccountService
from mediamanager.registry.disputes import DisputeService
from mediamanager.registry.domains import DomainService
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.preferences import PreferenceService
from mediamanager.registry.records import Owner, WorkRecord
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService
from mediamanager.settings import Settings
from mediamanager.values import clean_text

__all__ = [
    "AccountsDep",
    "CurrentOwner",
    "DisputesDep",
    "DomainsDep",
    "EngineDep",
    "ExistingWork",
    "LookupDep",
    "PreferencesDep",
    "SettingsDep",
    "UowDep",
    "WorksDep",
    "clean_parameters",
]

# The plain accessors are async so that FastAPI resolves them on the event loop instead of
# hopping to its thread pool for a dictionary read. Use-case objects hold only the unit of
# work, so building one per request is free.
_bearer = HTTPBearer(auto_error=False, description="An API token from POST /owners or POST /tokens.")


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> sa.Engine:
    engine: sa.Engine = request.app.state.engine
    return engine


async def get_uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.uow
    return uow


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
UowDep = Annotated[UnitOfWork, Depends(get_uow)]


async def get_accounts(uow: UowDep) -> AccountService:
    return AccountService(uow)


async def get_works(uow: UowDep) -> WorkService:
    return WorkService(uow)


async def get_preferences(uow: UowDep) -> PreferenceService:
    return PreferenceService(uow)


async def get_disputes(uow: UowDep) -> DisputeService:
    return DisputeService(uow)


async def get_domains(uow: UowDep) -> DomainService:
    return DomainService(uow)


async def get_lookup(uow: UowDep) -> LookupService:
    return LookupService(uow)


AccountsDep = Annotated[AccountService, Depends(get_accounts)]
WorksDep = Annotated[WorkService, Depends(get_works)]
PreferencesDep = Annotated[PreferenceService, Depends(get_preferences)]
DisputesDep = Annotated[DisputeService, Depends(get_disputes)]
DomainsDep = Annotated[DomainService, Depends(get_domains)]
LookupDep = Annotated[LookupService, Depends(get_lookup)]


def get_current_owner(
    accounts: AccountsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Owner:
    """The owner whose token came in ``Authorization: Bearer``; AuthError (401) otherwise."""
    return accounts.authenticate(None if credentials is None else credentials.credentials)


CurrentOwner = Annotated[Owner, Depends(get_current_owner)]


def get_existing_work(work_id: str, owner: CurrentOwner, works: WorksDep) -> WorkRecord:
    """The caller's work ``work_id``; another owner's work answers 404 exactly like a missing one."""
    return works.get_work(owner, work_id)


ExistingWork = Annotated[WorkRecord, Depends(get_existing_work)]
