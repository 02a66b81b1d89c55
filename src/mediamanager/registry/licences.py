"""Licences: a builder asks an owner to license works; the owner accepts (a signed grant) or declines.

One request covers one or more works of one owner, for one purpose, and only works whose
effective preference for that purpose is ``allow-if`` (their conditions are the terms).
The terms are fixed when the request is made, so what the owner accepts is what they saw.
An accepted licence carries a grant document signed with the registry's Ed25519 key
(:mod:`mediamanager.ledger.grants`); the owner may revoke it later. Only the two parties
see a licence: anyone else gets :class:`NotFoundError`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mediamanager.errors import ConflictError, InputError, NotFoundError
from mediamanager.ledger import LedgerError
from mediamanager.ledger.grants import public_key_b64, sign_grant
from mediamanager.ledger.terms import terms_from_conditions
from mediamanager.model import Purpose, Use, utcnow
from mediamanager.registry.ledger import LedgerService
from mediamanager.registry.preferences import effective_for_rows
from mediamanager.registry.records import Owner
from mediamanager.registry.store.ledger_tables import licences
from mediamanager.registry.store.tables import owners, works

__all__ = ["GRANT_BUNDLE", "LicenceService", "default_grant_key_path", "ledger_services", "load_grant_key"]

GRANT_BUNDLE = "mediamanager-grants/1"
MAX_WORKS = 1000
_KEY_ID = 16


def default_grant_key_path() -> Path:
    return Path.home() / ".config" / "mediamanager" / "registry-grant-ed25519.pem"


def load_grant_key(path: str | None) -> Ed25519PrivateKey:
    from mediamanager.scan.attest import load_or_create_key

    return load_or_create_key(Path(path) if path else default_grant_key_path())


def ledger_services(state: Any) -> tuple[LedgerService, LicenceService]:
    """An app's ledger and licence services, made once from ``state.uow`` and ``state.settings`` and kept on ``state``.

    The API and the portal share them, so both sign grants with the one key.
    """
    if getattr(state, "licences", None) is None:
        state.ledger = LedgerService(state.uow)
        state.licences = LicenceService(state.ledger, load_grant_key(state.settings.grant_key_path))
    return state.ledger, state.licences


def _licence(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "builder_id": row.builder_id,
        "owner_id": row.owner_id,
        "purpose": row.purpose,
        "works": json.loads(row.works),
        "terms": json.loads(row.terms),
        "licensee_key_id": row.licensee_key_id,
        "status": row.status,
        "requested_at": row.requested_at.isoformat(),
        "decided_at": None if row.decided_at is None else row.decided_at.isoformat(),
        "expires_at": None if row.expires_at is None else row.expires_at.isoformat(),
        "grant": None if row.grant is None else json.loads(row.grant),
    }


class LicenceService:
    """Licence requests, decisions, revocations and the grant bundles scanners read."""

    def __init__(self, ledger: LedgerService, key: Ed25519PrivateKey) -> None:
        self.ledger = ledger
        self.key = key

    def public_key(self) -> str:
        return public_key_b64(self.key)

    def request(
        self,
        builder: Owner,
        work_ids: Sequence[str],
        *,
        purpose: str,
        licensee_key_id: str,
        expires_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Ask the works' owner for a licence; the terms are each work's current conditions."""
        ids = sorted(set(work_ids))
        if not ids or len(ids) > MAX_WORKS:
            raise InputError(f"a licence request names 1 to {MAX_WORKS} works")
        p = Purpose.parse(purpose)
        key_id = licensee_key_id.strip().lower()
        if len(key_id) != _KEY_ID or any(c not in "0123456789abcdef" for c in key_id):
            raise InputError("licensee_key_id must be the 16-hex key id of the builder's scan key")
        if expires_at is not None and expires_at.tzinfo is None:
            raise InputError("expires_at needs a time zone")
        with self.ledger.uow.read() as conn:
            rows = conn.execute(
                sa.select(works.c.id, works.c.owner_id, works.c.collection, works.c.source_urls).where(
                    works.c.id.in_(ids)
                )
            ).all()
            found = {r.id: r.owner_id for r in rows}
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFoundError(f"no work {missing[0]!r}")
            owner_ids = set(found.values())
            if len(owner_ids) != 1:
                raise InputError("one licence request covers works of one owner; send one request per owner")
            now = self.ledger.uow.now()  # an expired permission offers no licence
            prefs = {w: p.at(now) for w, p in effective_for_rows(conn, rows).items()}
        terms: dict[str, Any] = {}
        ends = [expires_at] if expires_at else []
        for wid in ids:
            rule = prefs[wid].effective(p)
            if rule.use is not Use.ALLOW_IF:
                raise LedgerError(
                    f"work {wid} is not offered under licence for {p.value} (its use is {rule.use.value})"
                )
            t = terms_from_conditions(rule.conditions.to_dict(), where=f"work {wid}")
            terms[wid] = t.to_dict()
            if t.expires is not None:
                ends.append(t.expires)
        (owner_id,) = owner_ids
        lid = uuid.uuid4().hex
        row = {
            "id": lid,
            "builder_id": builder.id,
            "owner_id": owner_id,
            "purpose": p.value,
            "works": json.dumps(ids),
            "terms": json.dumps(terms, sort_keys=True),
            "licensee_key_id": key_id,
            "status": "requested",
            "requested_at": utcnow(),
            "expires_at": min(ends) if ends else None,
        }
        with self.ledger.uow.write(builder.id) as tx:
            tx.conn.execute(sa.insert(licences).values(**row))
            tx.log("licence.request", "licence", lid, owner_id=owner_id, works=ids, purpose=p.value)
        return self.get(builder, lid)

    def _row(self, conn: sa.Connection, account: Owner, licence_id: str) -> Any:
        row = conn.execute(sa.select(licences).where(licences.c.id == licence_id)).first()
        if row is None or account.id not in (row.owner_id, row.builder_id):
            raise NotFoundError(f"no licence {licence_id!r}")
        return row

    def get(self, account: Owner, licence_id: str) -> dict[str, Any]:
        with self.ledger.uow.read() as conn:
            return _licence(self._row(conn, account, licence_id))

    def list_for(self, account: Owner, *, status: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(licences).where(
            sa.or_(licences.c.owner_id == account.id, licences.c.builder_id == account.id)
        )
        if status is not None:
            q = q.where(licences.c.status == status)
        with self.ledger.uow.read() as conn:
            return [_licence(r) for r in conn.execute(q.order_by(licences.c.requested_at)).all()]

    def decide(self, owner: Owner, licence_id: str, *, accept: bool) -> dict[str, Any]:
        """The owner accepts (the grant is signed now) or declines a requested licence."""
        with self.ledger.uow.write(owner.id) as tx:
            row = self._row(tx.conn, owner, licence_id)
            if row.owner_id != owner.id:
                raise NotFoundError(f"no licence {licence_id!r}")  # the builder cannot decide its own request
            if row.status != "requested":
                raise ConflictError(f"licence {licence_id} is already {row.status}")
            # Whole seconds: scans stamp whole seconds, so one started the same second is covered.
            now = utcnow().replace(microsecond=0)
            values: dict[str, Any] = {"status": "accepted" if accept else "declined", "decided_at": now}
            if accept:
                names = dict(
                    tx.conn.execute(
                        sa.select(owners.c.id, owners.c.display_name).where(
                            owners.c.id.in_([row.owner_id, row.builder_id])
                        )
                    ).all()
                )
                grant = sign_grant(
                    {
                        "grant_id": row.id,
                        "licence_id": row.id,
                        "licensor": {"owner_id": row.owner_id, "name": names.get(row.owner_id, "")},
                        "licensee": {
                            "builder_id": row.builder_id,
                            "name": names.get(row.builder_id, ""),
                            "key_id": row.licensee_key_id,
                        },
                        "purpose": row.purpose,
                        "works": json.loads(row.works),
                        "terms": json.loads(row.terms),
                        "issued_at": now.isoformat(),
                        "expires_at": None if row.expires_at is None else row.expires_at.isoformat(),
                    },
                    self.key,
                )
                values["grant"] = json.dumps(grant, sort_keys=True)
            tx.conn.execute(sa.update(licences).where(licences.c.id == row.id).values(**values))
            tx.log("licence.accept" if accept else "licence.decline", "licence", row.id)
        return self.get(owner, licence_id)

    def revoke(self, owner: Owner, licence_id: str) -> dict[str, Any]:
        """The owner withdraws an accepted licence: its grant stops applying to new scans."""
        with self.ledger.uow.write(owner.id) as tx:
            row = self._row(tx.conn, owner, licence_id)
            if row.owner_id != owner.id:
                raise NotFoundError(f"no licence {licence_id!r}")
            if row.status != "accepted":
                raise ConflictError(f"licence {licence_id} is {row.status}, not accepted")
            tx.conn.execute(
                sa.update(licences)
                .where(licences.c.id == row.id)
                .values(status="revoked", decided_at=utcnow())
            )
            tx.log("licence.revoke", "licence", row.id)
        return self.get(owner, licence_id)

    def grants_bundle(self, builder: Owner) -> dict[str, Any]:
        """The builder's accepted grants, for ``scan --grants``, with the registry key to verify them."""
        with self.ledger.uow.read() as conn:
            rows = conn.execute(
                sa.select(licences.c.grant)
                .where(licences.c.builder_id == builder.id, licences.c.status == "accepted")
                .order_by(licences.c.id)
            ).all()
        return {
            "format": GRANT_BUNDLE,
            "registry_key": self.public_key(),
            "grants": [json.loads(r.grant) for r in rows],
        }

    def revoked(self) -> list[str]:
        """Ids of every revoked grant (public: a revoked grant must be refusable by anyone holding it)."""
        with self.ledger.uow.read() as conn:
            return [
                r.id
                for r in conn.execute(
                    sa.select(licences.c.id).where(licences.c.status == "revoked").order_by(licences.c.id)
                )
            ]
