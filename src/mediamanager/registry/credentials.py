"""Portal logins: a password on an owner account, server-side sessions, signed password-reset links.

A credential is an argon2id hash (``argon2-cffi``) bound to one owner account, so a portal user
*is* a registry owner and every use case applies unchanged. A session id is 256 random bits handed
to the browser; only its sha256 is stored, with the session's CSRF token and expiry. A reset link
is an ``itsdangerous`` signature over the owner id and a fingerprint of the current password hash:
it expires, and it is one-time because using it changes the hash it was signed over.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from argon2.exceptions import VerificationError as PasswordCheckError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mediamanager.errors import AuthError, ConflictError, InputError
from mediamanager.registry.accounts import AccountService, owner_from_row
from mediamanager.registry.records import Owner
from mediamanager.registry.store.tables import credentials, owners, portal_sessions
from mediamanager.registry.uow import UnitOfWork

__all__ = ["MIN_PASSWORD", "CredentialService", "PortalSession"]

MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(days=14)
RESET_LIFETIME_S = 3600
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so an unknown address costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class PortalSession:
    """A live session: who it is, its CSRF token and when it ends."""

    owner: Owner
    csrf: str
    expires_at: datetime


def _email(email: str) -> str:
    e = email.strip().lower()
    if len(e) > 320 or "@" not in e or e.startswith("@") or e.endswith("@") or any(c.isspace() for c in e):
        raise InputError("enter a valid e-mail address")
    return e


def _password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password must be at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise InputError("the password is too long")
    return password


class CredentialService:
    """Sign up, log in, sessions and password reset for the portal."""

    def __init__(self, uow: UnitOfWork, secret_key: str) -> None:
        self.uow = uow
        self._signer = URLSafeTimedSerializer(secret_key, salt="mediamanager.password-reset")

    def sign_up(self, email: str, password: str, display_name: str) -> Owner:
        """A new owner account (with its first API token) and its password."""
        address, pw = _email(email), _password(password)
        with self.uow.read() as conn:
            taken = conn.execute(
                sa.select(credentials.c.owner_id).where(credentials.c.email == address)
            ).first()
        if taken is not None:
            raise ConflictError("an account with this e-mail address exists already; log in instead")
        owner, _token = AccountService(self.uow).create_owner(display_name or address, email=address)
        now = self.uow.now()
        with self.uow.write(owner.id) as tx:
            tx.conn.execute(
                sa.insert(credentials).values(
                    owner_id=owner.id,
                    email=address,
                    password_hash=_hasher.hash(pw),
                    created_at=now,
                    updated_at=now,
                )
            )
            tx.log("credential.create", "owner", owner.id)
        return owner

    def check_password(self, email: str, password: str) -> Owner:
        """The owner whose e-mail and password these are; :class:`AuthError` otherwise (same message either way)."""
        address = email.strip().lower()
        with self.uow.read() as conn:
            row = conn.execute(
                sa.select(credentials.c.password_hash, owners)
                .join(owners, owners.c.id == credentials.c.owner_id)
                .where(credentials.c.email == address)
            ).first()
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerifyMismatchError, PasswordCheckError, InvalidHashError):
            row = None
        if row is None:
            raise AuthError("wrong e-mail address or password")
        return owner_from_row(row)

    def open_session(self, owner: Owner) -> tuple[str, PortalSession]:
        """A fresh session id (the cookie value) and its session; called at every login (no fixation)."""
        sid = secrets.token_urlsafe(32)
        now = self.uow.now()
        session = PortalSession(owner, secrets.token_urlsafe(32), now + SESSION_LIFETIME)
        with self.uow.write(owner.id) as tx:
            tx.conn.execute(sa.delete(portal_sessions).where(portal_sessions.c.expires_at < now))
            tx.conn.execute(
                sa.insert(portal_sessions).values(
                    id_hash=_digest(sid),
                    owner_id=owner.id,
                    csrf=session.csrf,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        return sid, session

    def session(self, sid: str | None) -> PortalSession | None:
        """The live session for cookie value ``sid``, or None (missing, unknown or expired)."""
        if not sid or len(sid) > 200:
            return None
        with self.uow.read() as conn:
            row = conn.execute(
                sa.select(portal_sessions.c.csrf, portal_sessions.c.expires_at, owners)
                .join(owners, owners.c.id == portal_sessions.c.owner_id)
                .where(portal_sessions.c.id_hash == _digest(sid))
            ).first()
        if row is None or row.expires_at <= self.uow.now():
            return None
        return PortalSession(owner_from_row(row), row.csrf, row.expires_at)

    def close_session(self, sid: str | None) -> None:
        if sid:
            with self.uow.write("portal") as tx:
                tx.conn.execute(sa.delete(portal_sessions).where(portal_sessions.c.id_hash == _digest(sid)))

    def reset_token(self, email: str) -> str | None:
        """A signed one-time reset token for ``email``'s account, or None when there is no such account."""
        with self.uow.read() as conn:
            row = conn.execute(
                sa.select(credentials.c.owner_id, credentials.c.password_hash).where(
                    credentials.c.email == email.strip().lower()
                )
            ).first()
        if row is None:
            return None
        return self._signer.dumps([row.owner_id, _digest(row.password_hash)[:16]])

    def reset_password(self, token: str, password: str) -> Owner:
        """Set a new password from a reset token; every session of the account ends."""
        pw = _password(password)
        try:
            owner_id, fingerprint = self._signer.loads(token, max_age=RESET_LIFETIME_S)
        except (BadSignature, ValueError, TypeError) as exc:
            raise AuthError("this reset link is invalid or has expired") from exc
        with self.uow.write(str(owner_id)) as tx:
            row = tx.conn.execute(
                sa.select(credentials.c.password_hash).where(credentials.c.owner_id == owner_id)
            ).first()
            if row is None or not secrets.compare_digest(_digest(row.password_hash)[:16], str(fingerprint)):
                raise AuthError("this reset link is invalid or has been used already")
            tx.conn.execute(
                sa.update(credentials)
                .where(credentials.c.owner_id == owner_id)
                .values(password_hash=_hasher.hash(pw), updated_at=self.uow.now())
            )
            tx.conn.execute(sa.delete(portal_sessions).where(portal_sessions.c.owner_id == owner_id))
            tx.log("credential.reset", "owner", str(owner_id))
        return AccountService(self.uow).get_owner(str(owner_id))
