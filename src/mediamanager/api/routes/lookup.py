"""Batch lookup: which registered works match each item, and what their owners prefer."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mediamanager.api.deps import AccountsDep, LookupDep, SettingsDep
from mediamanager.api.schemas import AuditReportPublic, LookupRequest, LookupResponse, RegistryInfoPublic
from mediamanager.errors import MediaTooLargeError
from mediamanager.fingerprint.check import EXACT_KINDS
from mediamanager.lookup import LookupQuery, WorkMatch
from mediamanager.registry.lookup import LookupService

router = APIRouter(tags=["lookup"])
_bearer = HTTPBearer(auto_error=False, description="Optional: an API token lifts the anonymous limits.")


# Small exact (sha256) batches are answered on the event loop: well under a millisecond of
# indexed SQL, cheaper than the thread-pool hop. Bigger batches and near-duplicate searches
# (whose first use loads the index) go to the thread pool so they never stall other requests.
INLINE_BATCH = 16


@router.post("/lookup", response_model=LookupResponse)
async def lookup(
    body: LookupRequest,
    service: LookupDep,
    accounts: AccountsDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """Up to 10,000 items (sha256, a source `url` and/or fingerprints) per call. Each result lists the matched works, best
    first, with score, effective preferences and evidence, whether the claim is disputed, and where
    its dispute stands (`dispute`: state, deadline, this work's role and the outcome; null if none).

    Anonymous calls are rate-limited per client and may carry at most
    `anonymous_lookup_max_fingerprints` near-duplicate fingerprints; a token lifts both."""
    if credentials is not None:
        # A token lifts the limits, so it must be a real one (the rate limiter skipped this call).
        await run_in_threadpool(accounts.authenticate, credentials.credentials)
    else:
        cost = sum(1 for i in body.items for f in i.fingerprints if f.kind not in EXACT_KINDS)
        if cost > settings.anonymous_lookup_max_fingerprints:
            raise MediaTooLargeError(
                f"{cost} near-duplicate fingerprints; anonymous lookups may carry at most "
                f"{settings.anonymous_lookup_max_fingerprints} (send an API token for more)"
            )
    queries = [
        LookupQuery(
            item_id=i.id,
            sha256=None if i.sha256 is None else i.sha256.lower(),
            media_type=i.media_type,
            fingerprints=tuple(f.to_model() for f in i.fingerprints),
            url=i.url,
        )
        for i in body.items
    ]
    if len(queries) <= INLINE_BATCH and not any(q.fingerprints for q in queries):
        return _answer(service, queries)
    return await run_in_threadpool(_answer, service, queries)


def _answer(service: LookupService, queries: list[LookupQuery]) -> Response:
    """The lookup response, serialised by hand.

    Matches of works that share resolved preferences share one Preferences object, so
    each distinct one is rendered to JSON once and spliced in. On a 10,000-item batch
    that is most of the response, and re-encoding it per match cost more than the lookup.
    The shape is exactly ``WorkMatch.to_dict()``.
    """
    results, info = service.lookup_with_info(queries)
    rendered: dict[int, str] = {}
    dumps = json.dumps

    def match(m: WorkMatch) -> str:
        prefs = rendered.get(id(m.preferences))
        if prefs is None:
            prefs = rendered[id(m.preferences)] = dumps(m.preferences.to_dict(effective=True))
        head = dumps(
            {
                "work_id": m.work_id,
                "score": m.score,
                "kind": m.kind,
                "owner_id": m.owner_id,
                "owner_name": m.owner_name,
                "title": m.title,
                "iscc": m.iscc,
            }
        )
        return (
            f'{head[:-1]}, "preferences": {prefs}, "disputed": {"true" if m.disputed else "false"}, '
            f'"claimants": {dumps(list(m.claimants))}, '
            f'"dispute": {"null" if m.dispute is None else dumps(m.dispute.to_dict())}}}'
        )

    registry = dumps({"source": info.source, "version": info.version, "sha256": info.sha256})
    items = ", ".join(
        f'{{"id": {dumps(r.item_id)}, "matches": [{", ".join(match(m) for m in r.matches)}]}}'
        for r in results
    )
    return Response(f'{{"registry": {registry}, "results": [{items}]}}', media_type="application/json")


@router.get("/info", response_model=RegistryInfoPublic, tags=["registry"])
def info(service: LookupDep) -> RegistryInfoPublic:
    """Which registry answers: its version (audit sequence) and head hash."""
    i = service.info()
    return RegistryInfoPublic(source=i.source, version=i.version, sha256=i.sha256)


@router.get("/audit/verify", response_model=AuditReportPublic, tags=["registry"])
def audit_verify(service: LookupDep) -> AuditReportPublic:
    """Check the audit log's hash chain end to end."""
    r = service.verify_audit()
    return AuditReportPublic(
        ok=r.ok, entries=r.entries, head_hash=r.head_hash, first_bad_seq=r.first_bad_seq, problem=r.problem
    )


@router.get("/audit/checkpoint", tags=["registry"])
def audit_checkpoint(service: LookupDep, settings: SettingsDep) -> dict[str, Any]:
    """The audit chain's head signed with the registry's Ed25519 key. Keep it: later,
    `mediamanager audit verify --checkpoint FILE` proves the log was not cut or re-chained since."""
    from mediamanager.registry.checkpoint import current_checkpoint

    with service.uow.read() as conn:
        return current_checkpoint(conn, settings)


@router.get("/healthz", tags=["registry"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}
