"""Accounts: owners, their API tokens, and authenticating a token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import sqlalchemy as sa

from mediamanager.errors import AuthError, ConflictError, InputError, NotFoundError
from mediamanager.registry.records import NewToken, Owner, TokenInfo, clean_text
from mediamanager.registry.store.tables import owners, tokens
from mediamanager.registry.uow import Tx, UnitOfWork, new_id

__all__ = ["OWNER_KINDS", "TOKEN_PREFIX", "AccountService", "hash_token", "owner_from_row"]

OWNER_KINDS = ("person", "organisation")
TOKEN_PREFIX = "mm_"


def hash_token(secret: str) -> str:
    """The stored form of an API token: sha256 hex (the secret has 256 bits of entropy)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def owner_from_row(row: Any) -> Owner:
    return Owner(row.id, row.kind, row.display_name, row.email, row.created_at, bool(row.operator))


def _token(row: Any) -> TokenInfo:
    return TokenInfo(row.id, row.owner_id, row.label, row.created_at, row.revoked_at)


class AccountService:
    """Sign-up, tokens and authentication."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def create_owner(
        self,
        display_name: str,
        *,
        kind: str = "person",
        email: str | None = None,
        token_label: str = "default",
    ) -> tuple[Owner, NewToken]:
        """Create an account and its first API token."""
        name = clean_text(display_name, "display_name", 200)
        if not name:
            raise InputError("display_name must not be empty")
        if kind not in OWNER_KINDS:
            raise InputError(f"owner kind must be one of {', '.join(OWNER_KINDS)}, got {kind!r}")
        if email is not None and (len(email) > 320 or "@" not in email):
            raise InputError("email is not an e-mail address")
        owner = Owner(new_id(), kind, name, email, self.uow.now())
        with self.uow.write(owner.id) as tx:
            tx.conn.execute(
                sa.insert(owners).values(
                    id=owner.id, kind=kind, display_name=name, email=email, created_at=owner.created_at
                )
            )
            tx.log("owner.create", "owner", owner.id, kind=kind, display_name=name)
            token = self._issue_token(tx, owner.id, token_label)
        return owner, token

    def _issue_token(self, tx: Tx, owner_id: str, label: str) -> NewToken:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        info = TokenInfo(new_id(), owner_id, clean_text(label, "label", 200), self.uow.now(), None)
        tx.conn.execute(sa.insert(tokens).values(token_hash=hash_token(secret), **info.__dict__))
        tx.log("token.create", "token", info.id, owner_id=owner_id, label=info.label)
        return NewToken(info, secret)

    def authenticate(self, secret: str | None) -> Owner:
        """The owner holding ``secret``; :class:`AuthError` for a missing, unknown or revoked token."""
        if not secret:
            raise AuthError("an API token is required: send 'Authorization: Bearer <token>'")
        digest = hash_token(secret.strip())
        with self.uow.read() as conn:
            row = conn.execute(
                sa.select(tokens.c.token_hash, tokens.c.revoked_at, owners)
                .join(owners, owners.c.id == tokens.c.owner_id)
                .where(tokens.c.token_hash == digest)
            ).first()
        # The lookup is by hash; compare_digest keeps the final check constant-time anyway.
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            raise AuthError("invalid API token")
        if row.revoked_at is not None:
            raise AuthError("this API token has been revoked")
        return owner_from_row(row)

    def get_owner(self, owner_id: str) -> Owner:
        with self.uow.read() as conn:
            row = conn.execute(sa.select(owners).where(owners.c.id == owner_id)).first()
        if row is None:
            raise NotFoundError(f"no owner {owner_id!r}")
        return owner_from_row(row)

    def set_operator(self, owner_id: str, operator: bool = True, *, actor: str = "cli") -> Owner:
        """Grant or withdraw the registry-operator role (settles any dispute); run against the database, not the API."""
        with self.uow.write(actor) as tx:
            found = tx.conn.execute(sa.select(owners.c.id).where(owners.c.id == owner_id)).first()
            if found is None:
                raise NotFoundError(f"no owner {owner_id!r}")
            tx.conn.execute(sa.update(owners).where(owners.c.id == owner_id).values(operator=operator))
            tx.log("owner.operator", "owner", owner_id, operator=operator)
            row = tx.conn.execute(sa.select(owners).where(owners.c.id == owner_id)).one()
        return owner_from_row(row)

    def create_token(self, owner: Owner, label: str = "") -> NewToken:
        with self.uow.write(owner.id) as tx:
            return self._issue_token(tx, owner.id, label)

    def list_tokens(self, owner: Owner) -> list[TokenInfo]:
        with self.uow.read() as conn:
            rows = conn.execute(
                sa.select(tokens).where(tokens.c.owner_id == owner.id).order_by(tokens.c.created_at)
            ).all()
        return [_token(r) for r in rows]

    def revoke_token(self, owner: Owner, token_id: str) -> TokenInfo:
        with self.uow.write(owner.id) as tx:
            row = tx.conn.execute(
                sa.select(tokens).where(tokens.c.id == token_id, tokens.c.owner_id == owner.id)
            ).first()
            if row is None:
                raise NotFoundError(f"no token {token_id!r}")
            if row.revoked_at is None:
                active = tx.conn.execute(
                    sa.select(sa.func.count())
                    .select_from(tokens)
                    .where(tokens.c.owner_id == owner.id, tokens.c.revoked_at.is_(None))
                ).scalar_one()
                if active <= 1:
                    # There is no other way back into an account: refuse rather than lock it for good.
                    raise ConflictError(
                        "this is your last active token; create another (POST /tokens) before revoking it"
                    )
                now = self.uow.now()
                tx.conn.execute(sa.update(tokens).where(tokens.c.id == token_id).values(revoked_at=now))
                tx.log("token.revoke", "token", token_id, owner_id=owner.id)
                return TokenInfo(row.id, row.owner_id, row.label, row.created_at, now)
            return _token(row)
