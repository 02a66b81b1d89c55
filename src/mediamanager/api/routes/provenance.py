"""Soft-binding resolution routes, shaped like the C2PA Soft Binding Resolution API (1.0.0).

* ``GET /matches/byBinding?alg=&value=``: manifest ids stored under a soft binding.
* ``POST /matches/byContent``: upload an image (raw body); the server reads its watermark, then falls
  back to its PDQ fingerprint.
* ``GET /manifests/{manifest_id}``: the manifest (JSON; the raw C2PA manifest store with
  ``Accept: application/c2pa`` when it was stored).
* ``POST /manifests``: store a manifest (JSON body); ``DELETE /manifests/{manifest_id}``: withdraw one.
  Writes take the registry's own API tokens (``Authorization: Bearer mm_...``, checked by
  :data:`mediamanager.api.deps.CurrentOwner`: stored hashed, revoked tokens answer 401). The manifest
  row records its owner, and another owner's manifest answers 404 exactly like a missing one.

Errors are raised as the domain's typed exceptions and mapped to HTTP statuses in one place,
:mod:`mediamanager.api.errors`. Reads are public, as in the C2PA Soft Binding Resolution API. The routes read
``request.app.state.engine`` (schema at Alembic revision ``0003``) and, for writes,
``request.app.state.uow`` (a :class:`~mediamanager.registry.uow.UnitOfWork`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from mediamanager.api.deps import CurrentOwner
from mediamanager.api.schemas import Text
from mediamanager.errors import InputError, MediaTooLargeError
from mediamanager.provenance.repository import ManifestRecord, ManifestRepository, SoftBinding
from mediamanager.values import check_json_value

__all__ = ["MAX_CONTENT_BYTES", "router"]

MAX_CONTENT_BYTES = 32 * 1024 * 1024

router = APIRouter(tags=["provenance"])


def get_repository(request: Request) -> ManifestRepository:
    return ManifestRepository(request.app.state.engine)


RepositoryDep = Annotated[ManifestRepository, Depends(get_repository)]


class Match(BaseModel):
    manifestId: str
    method: str | None = None
    similarityScore: float | None = None


class MatchList(BaseModel):
    matches: list[Match]


class SoftBindingIn(BaseModel):
    alg: Text = Field(min_length=1, max_length=128)
    value: Text = Field(min_length=1, max_length=512)


class ManifestCreate(BaseModel):
    manifestId: Text = Field(min_length=1, max_length=255)
    format: Text = Field(min_length=1, max_length=100)
    manifest: dict[str, Any]
    manifestBytes: str | None = Field(default=None, description="base64 of the C2PA manifest store")
    pdq: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    pdqQuality: int | None = Field(default=None, ge=0, le=100)
    softBindings: list[SoftBindingIn] = Field(default_factory=list, max_length=64)

    @model_validator(mode="after")
    def _storable(self) -> ManifestCreate:
        # Stored as JSON and served back: NaN, NUL or a lone surrogate would fail on the way out.
        check_json_value(self.manifest, "manifest")
        return self


@router.get("/matches/byBinding", response_model=MatchList)
def matches_by_binding(
    repo: RepositoryDep,
    alg: Annotated[str, Query(min_length=1, max_length=128)],
    value: Annotated[str, Query(min_length=1, max_length=512)],
) -> MatchList:
    """Manifest ids stored under the soft binding ``alg``/``value`` (value base64, as in the assertion)."""
    return MatchList(matches=[Match(manifestId=m, method="binding") for m in repo.by_binding(alg, value)])


@router.post("/matches/byContent", response_model=MatchList)
async def matches_by_content(request: Request, repo: RepositoryDep) -> MatchList:
    """Find manifests for an uploaded image: watermark first, PDQ fingerprint second."""
    from starlette.concurrency import run_in_threadpool

    from mediamanager.provenance.resolve import resolve_image_bytes

    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_CONTENT_BYTES:
        raise MediaTooLargeError(f"content larger than {MAX_CONTENT_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_CONTENT_BYTES:
            raise MediaTooLargeError(f"content larger than {MAX_CONTENT_BYTES} bytes")
    if not body:
        raise InputError("empty body: send the asset bytes")
    # UnsupportedMediaError (415), CorruptMediaError and other InputErrors (422) map in api/errors.py.
    found = await run_in_threadpool(resolve_image_bytes, bytes(body), repo)
    score = None if found.pdq_distance is None else round(1.0 - found.pdq_distance / 256, 4)
    return MatchList(
        matches=[Match(manifestId=m, method=found.method, similarityScore=score) for m in found.manifest_ids]
    )


@router.get("/manifests/{manifest_id:path}", response_model=None)
def get_manifest(manifest_id: str, repo: RepositoryDep, request: Request) -> Response | dict[str, Any]:
    """The stored manifest: JSON, or the C2PA manifest store bytes when asked for ``application/c2pa``."""
    record = repo.get(manifest_id)  # NotFoundError: 404
    if "application/c2pa" in request.headers.get("accept", "") and record.manifest_bytes:
        return Response(record.manifest_bytes, media_type="application/c2pa")
    return record.public()


@router.post("/manifests", status_code=201)
def create_manifest(body: ManifestCreate, repo: RepositoryDep, owner: CurrentOwner) -> dict[str, str]:
    """Store a manifest and its soft bindings under the calling owner (registry API token required)."""
    try:
        raw = base64.b64decode(body.manifestBytes, validate=True) if body.manifestBytes else None
    except (binascii.Error, ValueError):
        raise InputError("manifestBytes is not base64") from None
    record = ManifestRecord(
        manifest_id=body.manifestId,
        format=body.format,
        manifest_json=body.manifest,
        manifest_bytes=raw,
        pdq=body.pdq,
        pdq_quality=body.pdqQuality,
        bindings=tuple(SoftBinding(b.alg, b.value) for b in body.softBindings),
        owner_id=owner.id,
    )
    repo.add(record)  # ConflictError: 409, InputError: 422
    return {"manifestId": record.manifest_id}


@router.delete("/manifests/{manifest_id:path}", status_code=204)
def delete_manifest(manifest_id: str, repo: RepositoryDep, owner: CurrentOwner) -> Response:
    """Withdraw one of the caller's manifests; another owner's answers 404 like a missing one."""
    repo.delete(manifest_id, owner_id=owner.id)  # another owner's or a missing one: NotFoundError, 404
    return Response(status_code=204)
