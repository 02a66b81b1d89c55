"""The router every page module builds: session loaded and CSRF token ready before any route runs."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from mediamanager.web.session import portal_context

__all__ = ["page_router"]


def page_router() -> APIRouter:
    return APIRouter(dependencies=[Depends(portal_context)])
