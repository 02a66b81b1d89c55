"""Works: register (fingerprints only, or upload), read, change, withdraw; per-work preferences and disputes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from mediamanager.api.deps import (
    CurrentOwner,
    DisputesDep,
    ExistingWork,
    PreferencesDep,
    SettingsDep,
    WorksDep,
)
from mediamanager.api.schemas import (
    MAX_INT32,
    DisputePublic,
    EffectivePreferences,
    PreferencesIn,
    PreferencesPublic,
    Text,
    WorkCreate,
    WorkPublic,
    WorkRegistered,
    WorkUpdate,
)
from mediamanager.errors import InputError, MediaTooLargeError
from mediamanager.model import MediaType, parse_preference_spec
from mediamanager.registry.records import WorkInput

router = APIRouter(prefix="/works", tags=["works"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WorkRegistered)
def register_fingerprints(
    body: WorkCreate,
    owner: CurrentOwner,
    works: WorksDep,
    response: Response,
    if_exists: Annotated[str, Query(pattern="^(error|return)$")] = "error",
) -> WorkRegistered:
    """Register a work from fingerprints the client computed (`mediamanager register --fingerprints-only`)."""
    data = WorkInput(
        media_type=body.media_type,
        sha256=body.sha256,
        iscc=body.iscc,
        fingerprints=tuple(f.to_model() for f in body.fingerprints),
        title=body.title,
        creator=body.creator,
        aliases=tuple(body.aliases),
        source_urls=tuple(body.source_urls),
        collection=body.collection,
        size_bytes=body.size_bytes,
        preferences=None if body.preferences is None else body.preferences.to_model(),
    )
    result = works.register_work(owner, data, if_exists=if_exists)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return WorkRegistered.of(result)


@router.post("/upload", status_code=status.HTTP_201_CREATED, response_model=WorkRegistered)
def register_upload(
    owner: CurrentOwner,
    works: WorksDep,
    settings: SettingsDep,
    response: Response,
    file: Annotated[
        UploadFile, File(description="The work's content; fingerprinted here, kept only if asked.")
    ],
    media_type: Annotated[MediaType | None, Form()] = None,
    title: Annotated[Text, Form(max_length=500)] = "",
    creator: Annotated[Text, Form(max_length=300)] = "",
    aliases: Annotated[list[Text] | None, Form()] = None,
    source_urls: Annotated[list[Text] | None, Form()] = None,
    collection: Annotated[Text | None, Form(max_length=200)] = None,
    preferences: Annotated[Text | None, Form(max_length=10_000, description="e.g. genai-train=deny")] = None,
    keep_content: Annotated[bool | None, Form()] = None,
    if_exists: Annotated[str, Form(pattern="^(error|return)$")] = "error",
) -> WorkRegistered:
    """Upload content: the server computes sha256, ISCC and matching fingerprints, then discards the bytes
    unless `keep_content` is true."""
    prefs = parse_preference_spec(preferences, location="api") if preferences else None
    limit = settings.max_upload_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        raise MediaTooLargeError(f"upload is larger than the limit of {limit} bytes")
    if not content:
        raise InputError("the upload is empty")
    result = works.register_content(
        owner,
        content,
        filename=file.filename,
        media_type=media_type,
        keep_content=keep_content,
        title=title,
        creator=creator,
        aliases=aliases or (),
        source_urls=source_urls or (),
        collection=collection,
        preferences=prefs,
        if_exists=if_exists,
    )
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return WorkRegistered.of(result)


@router.get("", response_model=list[WorkPublic])
def list_works(
    owner: CurrentOwner,
    works: WorksDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT32)] = 0,
) -> list[WorkPublic]:
    return [WorkPublic.of(w) for w in works.list_works(owner, limit=limit, offset=offset)]


@router.get("/{work_id}", response_model=WorkPublic)
def get_work(work: ExistingWork) -> WorkPublic:
    return WorkPublic.of(work)


@router.patch("/{work_id}", response_model=WorkPublic)
def update_work(work: ExistingWork, body: WorkUpdate, owner: CurrentOwner, works: WorksDep) -> WorkPublic:
    return WorkPublic.of(works.update_work(owner, work.id, body.model_dump(exclude_unset=True)))


@router.delete("/{work_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_work(work: ExistingWork, owner: CurrentOwner, works: WorksDep) -> Response:
    """Withdraw the claim: the work, its fingerprints, preferences and disputes are removed."""
    works.delete_work(owner, work.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{work_id}/preferences", response_model=EffectivePreferences)
def effective_preferences(
    work: ExistingWork, owner: CurrentOwner, prefs: PreferencesDep
) -> EffectivePreferences:
    """The work's effective preferences; each rule's evidence names the level (work, collection, domain) that decided."""
    found = prefs.work_preferences(owner, work.id)
    return EffectivePreferences(work_id=work.id, rules=found.to_dict(effective=True)["rules"])


@router.put("/{work_id}/preferences", response_model=PreferencesPublic)
def set_work_preferences(
    work: ExistingWork, body: PreferencesIn, owner: CurrentOwner, prefs: PreferencesDep
) -> PreferencesPublic:
    return PreferencesPublic.of(
        prefs.set_preferences(owner, "work", work.id, body.to_model(f"work:{work.id}"))
    )


@router.get("/{work_id}/disputes", response_model=list[DisputePublic])
def work_disputes(work: ExistingWork, owner: CurrentOwner, disputes: DisputesDep) -> list[DisputePublic]:
    return [DisputePublic.of(d) for d in disputes.list_disputes(owner, work_id=work.id)]
