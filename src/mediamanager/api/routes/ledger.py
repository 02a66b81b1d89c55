"""The usage ledger over HTTP: submit scans, read events, licences and grants, statements, work usage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from mediamanager.api.deps import CurrentOwner
from mediamanager.errors import MediaTooLargeError, NotFoundError
from mediamanager.ledger.exports import export_statement
from mediamanager.registry.ledger import LedgerService
from mediamanager.registry.licences import LicenceService, ledger_services

__all__ = ["router"]

router = APIRouter(tags=["ledger"])


def _services(request: Request) -> tuple[LedgerService, LicenceService]:
    """The ledger's services, made once per app (shared with the portal)."""
    return ledger_services(request.app.state)


def _read(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise MediaTooLargeError(f"{upload.filename} is larger than the limit of {limit} bytes")
    return data


@router.get("/ledger/key")
def grant_key(request: Request) -> dict[str, str]:
    """The registry's Ed25519 public key (base64 raw) that signs licence grants: what scanners pin."""
    return {"algorithm": "ed25519", "public_key": _services(request)[1].public_key()}


@router.post("/ledger/submissions", status_code=status.HTTP_201_CREATED)
def submit_scan(
    request: Request,
    owner: CurrentOwner,
    response: Response,
    attestation: Annotated[UploadFile, File(description="the scan's attestation.json")],
    decisions: Annotated[UploadFile, File(description="the scan's decisions.parquet")],
    report: Annotated[UploadFile, File(description="the scan's report.json")],
    dataset: Annotated[str, Form(max_length=300)] = "",
    dataset_version: Annotated[str, Form(max_length=200)] = "",
) -> dict[str, Any]:
    """Record a scan's usage of registered works; 200 with the earlier record when it was already submitted."""
    limit = request.app.state.settings.max_upload_bytes
    files = {"decisions.parquet": _read(decisions, limit), "report.json": _read(report, limit)}
    ledger, _ = _services(request)
    sub, created = ledger.submit(
        owner, _read(attestation, limit), files, dataset=dataset, dataset_version=dataset_version
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return {"submission": sub, "created": created}


@router.get("/ledger/submissions")
def list_submissions(request: Request, owner: CurrentOwner) -> list[dict[str, Any]]:
    return _services(request)[0].submissions_for(owner)


@router.get("/ledger/events")
def list_events(
    request: Request,
    owner: CurrentOwner,
    role: Annotated[str, Query(pattern="^(owner|builder)$")] = "owner",
    work_id: str | None = None,
    scan_id: str | None = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Events about the caller's works (role=owner) or from the caller's submissions (role=builder)."""
    return _services(request)[0].events_for(
        owner, role=role, work_id=work_id, scan_id=scan_id, after=after, limit=limit
    )


@router.get("/ledger/events/{seq}")
def get_event(request: Request, owner: CurrentOwner, seq: int) -> dict[str, Any]:
    return _services(request)[0].event(owner, seq)


@router.get("/ledger/verify")
def verify_ledger(request: Request) -> dict[str, Any]:
    """Recompute the ledger's hash chain (public, like the audit log's)."""
    return _services(request)[0].verify().to_dict()


@router.get("/ledger/statements", response_model=None)
def statement(
    request: Request,
    owner: CurrentOwner,
    period: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    owner_id: str | None = None,
    format: Annotated[str, Query(pattern="^(json|csv|dsr)$")] = "json",
) -> Any:
    """What the caller is owed for a period; ``owner_id`` of anyone else answers 404."""
    if owner_id is not None and owner_id != owner.id:
        raise NotFoundError(f"no owner {owner_id!r}")
    st = _services(request)[0].statement(owner.id, period)
    if format == "json":
        return st
    media = "text/csv" if format == "csv" else "text/tab-separated-values"
    return PlainTextResponse(export_statement(st, format), media_type=media)


class LicenceRequest(BaseModel):
    work_ids: list[str] = Field(min_length=1, max_length=1000)
    purpose: str = Field(max_length=40)
    licensee_key_id: str = Field(min_length=16, max_length=16)
    expires_at: datetime | None = None


@router.post("/ledger/licences", status_code=status.HTTP_201_CREATED)
def request_licence(request: Request, owner: CurrentOwner, body: LicenceRequest) -> dict[str, Any]:
    """Ask the owner of ``work_ids`` (one owner) for a licence on their conditions."""
    return _services(request)[1].request(
        owner,
        body.work_ids,
        purpose=body.purpose,
        licensee_key_id=body.licensee_key_id,
        expires_at=body.expires_at,
    )


@router.get("/ledger/licences")
def list_licences(
    request: Request, owner: CurrentOwner, status: Annotated[str | None, Query(max_length=16)] = None
) -> list[dict[str, Any]]:
    return _services(request)[1].list_for(owner, status=status)


@router.get("/ledger/licences/{licence_id}")
def get_licence(request: Request, owner: CurrentOwner, licence_id: str) -> dict[str, Any]:
    return _services(request)[1].get(owner, licence_id)


@router.post("/ledger/licences/{licence_id}/accept")
def accept_licence(request: Request, owner: CurrentOwner, licence_id: str) -> dict[str, Any]:
    return _services(request)[1].decide(owner, licence_id, accept=True)


@router.post("/ledger/licences/{licence_id}/decline")
def decline_licence(request: Request, owner: CurrentOwner, licence_id: str) -> dict[str, Any]:
    return _services(request)[1].decide(owner, licence_id, accept=False)


@router.post("/ledger/licences/{licence_id}/revoke")
def revoke_licence(request: Request, owner: CurrentOwner, licence_id: str) -> dict[str, Any]:
    return _services(request)[1].revoke(owner, licence_id)


@router.get("/ledger/grants")
def grants(request: Request, owner: CurrentOwner) -> dict[str, Any]:
    """The caller's accepted grants as a bundle for ``mediamanager scan --grants``."""
    return _services(request)[1].grants_bundle(owner)


@router.get("/ledger/grants/revoked")
def revoked_grants(request: Request) -> dict[str, list[str]]:
    return {"revoked": _services(request)[1].revoked()}


@router.get("/works/{work_id}/usage")
def work_usage(request: Request, owner: CurrentOwner, work_id: str) -> dict[str, Any]:
    """Where the caller's work was found: every ledger event about it (404 for another owner's work)."""
    return _services(request)[0].work_usage(owner, work_id)
