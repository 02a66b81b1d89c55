"""One router per portal page module; every router loads the session first (``portal_context``)."""

from __future__ import annotations

from fastapi import APIRouter

from mediamanager.web.pages import (
    account,
    auth,
    disputes,
    domains,
    licences,
    preferences,
    register,
    statements,
    tokens,
    usage,
    works,
)

__all__ = ["PAGES"]

PAGES: list[APIRouter] = [
    auth.router,
    works.router,
    register.router,
    preferences.router,
    domains.router,
    tokens.router,
    account.router,
    disputes.router,
    usage.router,
    licences.router,
    statements.router,
]
