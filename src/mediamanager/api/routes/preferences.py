"""Preferences at the collection and domain levels (per-work preferences live under /works)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from mediamanager.api.deps import CurrentOwner, PreferencesDep
from mediamanager.api.schemas import DomainPreferencesIn, PreferencesIn, PreferencesPublic

router = APIRouter(prefix="/preferences", tags=["preferences"])


@router.get("", response_model=list[PreferencesPublic])
def list_preferences(owner: CurrentOwner, prefs: PreferencesDep) -> list[PreferencesPublic]:
    return [PreferencesPublic.of(p) for p in prefs.list_preferences(owner)]


@router.put("/collections/{name}", response_model=PreferencesPublic)
def set_collection(
    name: str, body: PreferencesIn, owner: CurrentOwner, prefs: PreferencesDep
) -> PreferencesPublic:
    return PreferencesPublic.of(
        prefs.set_preferences(owner, "collection", name, body.to_model(f"collection:{name}"))
    )


@router.delete("/collections/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_collection(name: str, owner: CurrentOwner, prefs: PreferencesDep) -> Response:
    prefs.delete_preferences(owner, "collection", name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/domains", response_model=PreferencesPublic)
def set_domain(body: DomainPreferencesIn, owner: CurrentOwner, prefs: PreferencesDep) -> PreferencesPublic:
    """Preferences for every work whose source URL falls under a host/path pattern (`example.com/photos/*`)."""
    stated = body.to_model(f"domain:{body.pattern}")
    return PreferencesPublic.of(prefs.set_preferences(owner, "domain", body.pattern, stated))


@router.delete("/domains", status_code=status.HTTP_204_NO_CONTENT)
def delete_domain(
    pattern: Annotated[str, Query(min_length=1, max_length=500)], owner: CurrentOwner, prefs: PreferencesDep
) -> Response:
    prefs.delete_preferences(owner, "domain", pattern)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
