"""An owner's whole account as data: export it all (JSON-ready), or delete it leaving a tombstone.

Deleting withdraws every work through :meth:`WorkService.delete_work` (so rivals in a dispute go
back to active and each withdrawal is audited), then removes preferences, domains, tokens and the
portal login, and blanks the owner row: the row itself stays as the tombstone the audit chain and
the usage ledger point at (``display_name = "deleted account"``, no e-mail).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mediamanager.registry.accounts import AccountService
from mediamanager.registry.domains import DomainService
from mediamanager.registry.ledger import LedgerService
from mediamanager.registry.preferences import PreferenceService
from mediamanager.registry.records import Owner
from mediamanager.registry.store.tables import (
    credentials,
    domains,
    owners,
    portal_sessions,
    preferences,
    tokens,
    works,
)
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService

__all__ = ["TOMBSTONE_NAME", "delete_account", "export_account"]

TOMBSTONE_NAME = "deleted account"


def export_account(uow: UnitOfWork, owner: Owner) -> dict[str, Any]:
    """Account, works (with fingerprints, without kept bytes), preferences, domains, tokens (no secrets), usage."""
    service = WorkService(uow)
    with uow.read() as conn:
        ids = [
            r.id
            for r in conn.execute(
                sa.select(works.c.id).where(works.c.owner_id == owner.id).order_by(works.c.created_at)
            )
        ]
    all_works = [service.get_work(owner, work_id) for work_id in ids]
    usage = LedgerService(uow).usage_counts(owner, ids)
    return {
        "account": {
            "id": owner.id,
            "kind": owner.kind,
            "display_name": owner.display_name,
            "email": owner.email,
            "created_at": owner.created_at.isoformat(),
        },
        "works": [
            {
                "id": w.id,
                "media_type": w.media_type.value,
                "title": w.title,
                "creator": w.creator,
                "collection": w.collection,
                "sha256": w.sha256,
                "iscc": w.iscc,
                "source_urls": list(w.source_urls),
                "content_kept": w.content_kept,
                "status": w.status,
                "created_at": w.created_at.isoformat(),
                "fingerprints": [f.to_dict() for f in w.fingerprints],
                "usage_events": usage.get(w.id, 0),
            }
            for w in all_works
        ],
        "preferences": [
            {"scope": p.scope, "target": p.target, "preferences": p.preferences.to_dict()}
            for p in PreferenceService(uow).list_preferences(owner)
        ],
        "domains": [
            {"domain": d.domain, "verified_at": None if d.verified_at is None else d.verified_at.isoformat()}
            for d in DomainService(uow).list_domains(owner)
        ],
        "tokens": [
            {
                "id": t.id,
                "label": t.label,
                "created_at": t.created_at.isoformat(),
                "revoked": t.revoked_at is not None,
            }
            for t in AccountService(uow).list_tokens(owner)
        ],
    }


def delete_account(uow: UnitOfWork, owner: Owner) -> None:
    """Withdraw every work and preference, drop logins and tokens, and leave a tombstone owner row."""
    service = WorkService(uow)
    with uow.read() as conn:
        ids = [r.id for r in conn.execute(sa.select(works.c.id).where(works.c.owner_id == owner.id))]
    for work_id in ids:
        service.delete_work(owner, work_id)
    with uow.write(owner.id) as tx:
        for table in (preferences, domains, tokens, credentials, portal_sessions):
            tx.conn.execute(sa.delete(table).where(table.c.owner_id == owner.id))
        tx.conn.execute(
            sa.update(owners).where(owners.c.id == owner.id).values(display_name=TOMBSTONE_NAME, email=None)
        )
        tx.log("owner.delete", "owner", owner.id, works=len(ids))
