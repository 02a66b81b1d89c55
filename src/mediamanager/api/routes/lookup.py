"""Batch lookup: which registered works match each item, and what their owners prefer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mediamanager.api.deps import ServiceDep
from mediamanager.api.schemas import AuditReportPublic, LookupRequest, LookupResponse, RegistryInfoPublic
from mediamanager.lookup import LookupQuery

router = APIRouter(tags=["lookup"])


@router.post("/lookup", response_model=LookupResponse)
def lookup(body: LookupRequest, service: ServiceDep) -> JSONResponse:
    """Up to 10,000 items (sha256 and/or fingerprints) per call. Each result lists the matched works, best
    first, with score, effective preferences and evidence, and whether the claim is disputed."""
    queries = [
        LookupQuery(
            item_id=i.id,
            sha256=None if i.sha256 is None else i.sha256.lower(),
            media_type=i.media_type,
            fingerprints=tuple(f.to_model() for f in i.fingerprints),
        )
        for i in body.items
    ]
    results = service.lookup(queries)
    info = service.info()
    # Built as plain JSON: validating 10,000 nested results again would cost more than the lookup.
    return JSONResponse(
        {
            "registry": {"source": info.source, "version": info.version, "sha256": info.sha256},
            "results": [{"id": r.item_id, "matches": [m.to_dict() for m in r.matches]} for r in results],
        }
    )


@router.get("/info", response_model=RegistryInfoPublic, tags=["registry"])
def info(service: ServiceDep) -> RegistryInfoPublic:
    """Which registry answers: its version (audit sequence) and head hash."""
    i = service.info()
    return RegistryInfoPublic(source=i.source, version=i.version, sha256=i.sha256)


@router.get("/audit/verify", response_model=AuditReportPublic, tags=["registry"])
def audit_verify(service: ServiceDep) -> AuditReportPublic:
    """Check the audit log's hash chain end to end."""
    r = service.verify_audit()
    return AuditReportPublic(
        ok=r.ok, entries=r.entries, head_hash=r.head_hash, first_bad_seq=r.first_bad_seq, problem=r.problem
    )


@router.get("/healthz", tags=["registry"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}
