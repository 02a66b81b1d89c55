"""The registry's use cases: accounts and tokens, works, preferences, claims, lookup.

:class:`RegistryService` is the one entry point the API, the CLI and the
in-process client share. Every write runs in one transaction that first locks
the audit head (see :mod:`mediamanager.registry.audit`), appends its audit
entries and either commits whole or not at all. An owner only ever sees their
own records: another owner's work raises :class:`NotFoundError`, exactly like a
missing one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from mediamanager.errors import (
    AuthError,
    ConflictError,
    CorruptMediaError,
    InputError,
    InvalidFingerprintError,
    MediaManagerError,
    MediaTooLargeError,
    NotFoundError,
)
from mediamanager.lookup import LookupQuery, LookupResult, RegistryInfo, WorkMatch
from mediamanager.model import Fingerprint, MediaType, Preferences, Work, utcnow
from mediamanager.registry import audit
from mediamanager.registry.matching import EXACT_KINDS, NearDuplicateIndex, validate_fingerprints
from mediamanager.registry.resolve import (
    Level,
    domain_pattern_matches,
    normalise_domain_pattern,
    resolve_preferences,
    specificity,
)
from mediamanager.registry.store.engine import WRITE
from mediamanager.registry.store.tables import (
    disputes,
    domains,
    fingerprints,
    owners,
    preferences,
    tokens,
    works,
)
from mediamanager.settings import Settings

__all__ = [
    "DisputeRecord",
    "DomainRecord",
    "NewToken",
    "Owner",
    "PreferenceRecord",
    "Registration",
    "RegistryService",
    "TokenInfo",
    "WorkInput",
    "WorkRecord",
    "hash_token",
]

_CHUNK = 900  # stays under SQLite's bound-parameter limit on old builds
OWNER_KINDS = ("person", "organisation")
SCOPES = ("work", "collection", "domain")
TOKEN_PREFIX = "mm_"


def hash_token(secret: str) -> str:
    """The stored form of an API token: sha256 hex (the secret has 256 bits of entropy)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_id() -> str:
    return uuid.uuid4().hex


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _check_sha256(value: str) -> str:
    v = value.strip().lower()
    if len(v) != 64 or not _is_hex(v):
        raise InvalidFingerprintError(f"sha256 must be 64 hex characters, got {value[:80]!r}")
    return v


def _is_hex(value: str) -> bool:
    # bytes.fromhex is C-fast but tolerates spaces between byte pairs, hence the extra check.
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return " " not in value


def _text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise InputError(f"{name} is longer than {limit} characters")
    return value


@dataclass(frozen=True)
class Owner:
    """A person or organisation that registers works."""

    id: str
    kind: str
    display_name: str
    email: str | None
    created_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """An API token as the owner may see it (never the secret)."""

    id: str
    owner_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A freshly issued token: the only time its secret is visible."""

    info: TokenInfo
    secret: str


@dataclass(frozen=True)
class WorkInput:
    """What a caller states when registering a work (fingerprints already computed)."""

    media_type: MediaType
    sha256: str
    iscc: str = ""
    fingerprints: tuple[Fingerprint, ...] = ()
    title: str = ""
    creator: str = ""
    aliases: tuple[str, ...] = ()
    source_urls: tuple[str, ...] = ()
    collection: str | None = None
    size_bytes: int | None = None
    preferences: Preferences | None = None


@dataclass(frozen=True)
class WorkRecord:
    """A registered work as its owner sees it."""

    id: str
    owner_id: str
    media_type: MediaType
    title: str
    creator: str
    aliases: tuple[str, ...]
    source_urls: tuple[str, ...]
    collection: str | None
    sha256: str
    iscc: str
    size_bytes: int | None
    status: str
    content_kept: bool
    created_at: datetime
    updated_at: datetime
    fingerprints: tuple[Fingerprint, ...] = ()

    def to_work(self) -> Work:
        return Work(
            id=self.id,
            owner_id=self.owner_id,
            media_type=self.media_type,
            title=self.title,
            creator=self.creator,
            aliases=self.aliases,
            source_urls=self.source_urls,
            sha256=self.sha256,
            iscc=self.iscc,
            fingerprints=self.fingerprints,
        )


@dataclass(frozen=True)
class DisputeRecord:
    """Two owners claiming the same content, seen from one side."""

    id: str
    work_id: str
    other_work_id: str
    other_owner_id: str
    other_owner_name: str
    kind: str
    score: float
    created_at: datetime


@dataclass(frozen=True)
class Registration:
    """The result of registering one work."""

    work: WorkRecord
    created: bool
    disputes: tuple[DisputeRecord, ...] = ()


@dataclass(frozen=True)
class PreferenceRecord:
    """Preferences an owner stated at one level."""

    id: str
    owner_id: str
    scope: str
    target: str
    preferences: Preferences
    updated_at: datetime


@dataclass(frozen=True)
class DomainRecord:
    """A domain an owner claims, and whether the claim is verified."""

    id: str
    owner_id: str
    domain: str
    token: str
    created_at: datetime
    verified_at: datetime | None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


@dataclass
class _Tx:
    conn: sa.Connection
    actor: str
    entries: list[audit.AuditEntry] = field(default_factory=list)

    def log(self, action: str, entity: str, entity_id: str, **payload: Any) -> None:
        self.entries.append(
            audit.append(
                self.conn,
                actor=self.actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                payload=payload,
            )
        )


def _owner(row: Any) -> Owner:
    return Owner(row.id, row.kind, row.display_name, row.email, row.created_at)


def _token(row: Any) -> TokenInfo:
    return TokenInfo(row.id, row.owner_id, row.label, row.created_at, row.revoked_at)


def _domain(row: Any) -> DomainRecord:
    return DomainRecord(row.id, row.owner_id, row.domain, row.token, row.created_at, row.verified_at)


# Everything a lookup reports about a matched work. Owners' names are fetched separately:
# given a join, SQLite's planner chose to scan owners and probe works per owner.
_MATCH_SQL = "SELECT id, sha256, owner_id, collection, source_urls, title, iscc, status FROM works"

_WORK_COLUMNS = [c for c in works.c if c.name != "content"] + [
    works.c.content.is_not(None).label("content_kept")
]


class RegistryService:
    """Every registry use case, over one SQLAlchemy engine."""

    def __init__(
        self, engine: sa.Engine, settings: Settings | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.settings = settings or Settings()
        self.index = NearDuplicateIndex()
        # Lookups decide every rule at this clock's time (an expired permission is unknown); injectable for tests.
        self.clock = clock

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _write(self, actor: str) -> Iterator[_Tx]:
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            audit.lock_head(conn)
            yield _Tx(conn, actor)

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            yield conn

    # ------------------------------------------------------------ owners, tokens
    def create_owner(
        self,
        display_name: str,
        *,
        kind: str = "person",
        email: str | None = None,
        token_label: str = "default",
    ) -> tuple[Owner, NewToken]:
        """Create an account and its first API token."""
        name = _text(display_name, "display_name", 200)
        if not name:
            raise InputError("display_name must not be empty")
        if kind not in OWNER_KINDS:
            raise InputError(f"owner kind must be one of {', '.join(OWNER_KINDS)}, got {kind!r}")
        if email is not None and (len(email) > 320 or "@" not in email):
            raise InputError("email is not an e-mail address")
        owner = Owner(_new_id(), kind, name, email, utcnow())
        with self._write(owner.id) as tx:
            tx.conn.execute(sa.insert(owners).values(**owner.__dict__))
            tx.log("owner.create", "owner", owner.id, kind=kind, display_name=name)
            token = self._issue_token(tx, owner.id, token_label)
        return owner, token

    def _issue_token(self, tx: _Tx, owner_id: str, label: str) -> NewToken:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        info = TokenInfo(_new_id(), owner_id, _text(label, "label", 200), utcnow(), None)
        tx.conn.execute(sa.insert(tokens).values(token_hash=hash_token(secret), **info.__dict__))
        tx.log("token.create", "token", info.id, owner_id=owner_id, label=info.label)
        return NewToken(info, secret)

    def authenticate(self, secret: str | None) -> Owner:
        """The owner holding ``secret``; :class:`AuthError` for a missing, unknown or revoked token."""
        if not secret:
            raise AuthError("an API token is required: send 'Authorization: Bearer <token>'")
        digest = hash_token(secret.strip())
        with self._read() as conn:
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
        return Owner(row.id, row.kind, row.display_name, row.email, row.created_at)

    def get_owner(self, owner_id: str) -> Owner:
        with self._read() as conn:
            row = conn.execute(sa.select(owners).where(owners.c.id == owner_id)).first()
        if row is None:
            raise NotFoundError(f"no owner {owner_id!r}")
        return _owner(row)

    def create_token(self, owner: Owner, label: str = "") -> NewToken:
        with self._write(owner.id) as tx:
            return self._issue_token(tx, owner.id, label)

    def list_tokens(self, owner: Owner) -> list[TokenInfo]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(tokens).where(tokens.c.owner_id == owner.id).order_by(tokens.c.created_at)
            ).all()
        return [_token(r) for r in rows]

    def revoke_token(self, owner: Owner, token_id: str) -> TokenInfo:
        with self._write(owner.id) as tx:
            row = tx.conn.execute(
                sa.select(tokens).where(tokens.c.id == token_id, tokens.c.owner_id == owner.id)
            ).first()
            if row is None:
                raise NotFoundError(f"no token {token_id!r}")
            if row.revoked_at is None:
                now = utcnow()
                tx.conn.execute(sa.update(tokens).where(tokens.c.id == token_id).values(revoked_at=now))
                tx.log("token.revoke", "token", token_id, owner_id=owner.id)
                return TokenInfo(row.id, row.owner_id, row.label, row.created_at, now)
            return _token(row)

    # -------------------------------------------------------------------- works
    def register_work(
        self, owner: Owner, data: WorkInput, *, if_exists: str = "error", content: bytes | None = None
    ) -> Registration:
        """Register a work from its fingerprints. ``if_exists="return"`` makes re-registration a no-op.

        Claims by other owners on the same sha256, or on a near-duplicate scoring
        at least ``settings.dispute_min_score``, put both works in the
        ``disputed`` state.
        """
        if if_exists not in ("error", "return"):
            raise InputError(f"if_exists must be 'error' or 'return', got {if_exists!r}")
        data = self._validated(data)
        with self._write(owner.id) as tx:
            existing = tx.conn.execute(
                sa.select(works.c.id).where(works.c.owner_id == owner.id, works.c.sha256 == data.sha256)
            ).first()
            if existing is not None:
                if if_exists == "return":
                    return Registration(self._load_work(tx.conn, existing.id), created=False)
                raise ConflictError(f"you already registered this content as work {existing.id}")
            work_id = _new_id()
            now = utcnow()
            tx.conn.execute(
                sa.insert(works).values(
                    id=work_id,
                    owner_id=owner.id,
                    media_type=data.media_type.value,
                    title=data.title,
                    creator=data.creator,
                    aliases=json.dumps(list(data.aliases)),
                    source_urls=json.dumps(list(data.source_urls)),
                    collection=data.collection,
                    sha256=data.sha256,
                    iscc=data.iscc,
                    size_bytes=data.size_bytes,
                    content=content,
                    status="active",
                    created_at=now,
                    updated_at=now,
                )
            )
            matching = [f for f in data.fingerprints if f.kind not in EXACT_KINDS]
            if matching:
                tx.conn.execute(
                    sa.insert(fingerprints),
                    [
                        {"work_id": work_id, "kind": f.kind, "value": f.value, "size": f.size, "part": f.part}
                        for f in matching
                    ],
                )
            tx.log(
                "work.create",
                "work",
                work_id,
                owner_id=owner.id,
                media_type=data.media_type.value,
                sha256=data.sha256,
                iscc=data.iscc,
                title=data.title,
                fingerprints=len(matching),
                content_kept=content is not None,
            )
            if data.preferences is not None and data.preferences.rules:
                self._put_preferences(tx, owner.id, "work", work_id, data.preferences)
            self._open_disputes(tx, owner.id, work_id, data)
            record = self._load_work(tx.conn, work_id)
        self._sync_index()
        return Registration(record, created=True, disputes=tuple(self.disputes_for(owner, work_id=work_id)))

    def register_content(
        self,
        owner: Owner,
        content: bytes,
        *,
        filename: str | None = None,
        media_type: MediaType | None = None,
        keep_content: bool | None = None,
        title: str = "",
        creator: str = "",
        aliases: Sequence[str] = (),
        source_urls: Sequence[str] = (),
        collection: str | None = None,
        preferences: Preferences | None = None,
        if_exists: str = "error",
    ) -> Registration:
        """Register uploaded content: fingerprint it here, keep it only if asked."""
        if len(content) > self.settings.max_upload_bytes:
            raise MediaTooLargeError(
                f"upload is {len(content)} bytes; the limit is {self.settings.max_upload_bytes}"
            )
        if not content:
            raise InputError("the upload is empty")
        fp = compute_fingerprints(content, media_type=media_type, filename=filename)
        data = WorkInput(
            media_type=fp.media_type,
            sha256=fp.sha256,
            iscc=fp.iscc,
            fingerprints=tuple(fp.fingerprints),
            title=title,
            creator=creator,
            aliases=tuple(aliases),
            source_urls=tuple(source_urls),
            collection=collection,
            size_bytes=fp.size_bytes,
            preferences=preferences,
        )
        keep = self.settings.keep_content_default if keep_content is None else keep_content
        return self.register_work(owner, data, if_exists=if_exists, content=content if keep else None)

    def _validated(self, data: WorkInput) -> WorkInput:
        if not isinstance(data.media_type, MediaType):
            raise InputError(f"unknown media type {data.media_type!r}")
        sha = _check_sha256(data.sha256)
        if len(data.fingerprints) > self.settings.max_fingerprints_per_work:
            raise InvalidFingerprintError(
                f"{len(data.fingerprints)} fingerprints; at most {self.settings.max_fingerprints_per_work} per work"
            )
        iscc = data.iscc.strip()
        if iscc:
            _check_iscc(iscc)
        validate_fingerprints(data.media_type, data.fingerprints)
        if len(data.aliases) > 100 or len(data.source_urls) > 1000:
            raise InputError("too many aliases (max 100) or source URLs (max 1000)")
        for url in data.source_urls:
            if len(url) > 2048 or any(c.isspace() for c in url) or not url:
                raise InputError(f"bad source URL {url[:100]!r}")
        collection = None if data.collection is None else _text(data.collection, "collection", 200) or None
        return WorkInput(
            media_type=data.media_type,
            sha256=sha,
            iscc=iscc,
            fingerprints=tuple(data.fingerprints),
            title=_text(data.title, "title", 500),
            creator=_text(data.creator, "creator", 300),
            aliases=tuple(_text(a, "alias", 300) for a in data.aliases),
            source_urls=tuple(u.strip() for u in data.source_urls),
            collection=collection,
            size_bytes=data.size_bytes,
            preferences=data.preferences,
        )

    def _open_disputes(self, tx: _Tx, owner_id: str, work_id: str, data: WorkInput) -> None:
        rivals: dict[str, tuple[str, float]] = {}
        for row in tx.conn.execute(
            sa.select(works.c.id).where(works.c.sha256 == data.sha256, works.c.owner_id != owner_id)
        ):
            rivals[row.id] = ("sha256", 1.0)
        matching = [f for f in data.fingerprints if f.kind not in EXACT_KINDS]
        if matching:
            self.index.sync(tx.conn)
            hits = [
                m
                for m in self.index.search(data.media_type, matching, self.settings.match_limit)
                if m.score >= self.settings.dispute_min_score and m.key not in rivals
            ]
            if hits:
                others = {
                    r.id
                    for r in tx.conn.execute(
                        sa.select(works.c.id).where(
                            works.c.id.in_([m.key for m in hits]), works.c.owner_id != owner_id
                        )
                    )
                }
                for m in hits:
                    if m.key in others:
                        rivals[m.key] = (m.kind, float(m.score))
        if not rivals:
            return
        now = utcnow()
        for other, (kind, score) in rivals.items():
            dispute_id = _new_id()
            tx.conn.execute(
                sa.insert(disputes).values(
                    id=dispute_id, work_a=work_id, work_b=other, kind=kind, score=score, created_at=now
                )
            )
            tx.log(
                "claim.dispute", "dispute", dispute_id, work_a=work_id, work_b=other, kind=kind, score=score
            )
        tx.conn.execute(
            sa.update(works)
            .where(works.c.id.in_([work_id, *rivals]))
            .values(status="disputed", updated_at=now)
        )

    def _sync_index(self) -> None:
        if self.index.loaded:
            with self._read() as conn:
                self.index.sync(conn)

    def _load_work(self, conn: sa.Connection, work_id: str) -> WorkRecord:
        row = conn.execute(sa.select(*_WORK_COLUMNS).where(works.c.id == work_id)).one()
        fps = conn.execute(
            sa.select(fingerprints).where(fingerprints.c.work_id == work_id).order_by(fingerprints.c.id)
        ).all()
        return _work_record(row, tuple(Fingerprint(f.kind, f.value, f.size, f.part) for f in fps))

    def _own_work_row(self, conn: sa.Connection, owner: Owner, work_id: str) -> Any:
        row = conn.execute(
            sa.select(works.c.id).where(works.c.id == work_id, works.c.owner_id == owner.id)
        ).first()
        if row is None:
            raise NotFoundError(f"no work {work_id!r}")
        return row

    def get_work(self, owner: Owner, work_id: str) -> WorkRecord:
        """One of ``owner``'s works; another owner's work is :class:`NotFoundError` like a missing one."""
        with self._read() as conn:
            self._own_work_row(conn, owner, work_id)
            return self._load_work(conn, work_id)

    def get_content(self, owner: Owner, work_id: str) -> bytes:
        with self._read() as conn:
            row = conn.execute(
                sa.select(works.c.content).where(works.c.id == work_id, works.c.owner_id == owner.id)
            ).first()
        if row is None:
            raise NotFoundError(f"no work {work_id!r}")
        if row.content is None:
            raise NotFoundError(f"work {work_id!r} was registered without keeping its content")
        return bytes(row.content)

    def list_works(self, owner: Owner, *, limit: int = 100, offset: int = 0) -> list[WorkRecord]:
        limit = max(1, min(limit, 1000))
        with self._read() as conn:
            rows = conn.execute(
                sa.select(*_WORK_COLUMNS)
                .where(works.c.owner_id == owner.id)
                .order_by(works.c.created_at, works.c.id)
                .limit(limit)
                .offset(max(0, offset))
            ).all()
        return [_work_record(r, ()) for r in rows]

    def update_work(self, owner: Owner, work_id: str, changes: Mapping[str, Any]) -> WorkRecord:
        """Change a work's descriptive fields: title, creator, aliases, source_urls, collection."""
        allowed = {"title": 500, "creator": 300, "collection": 200}
        values: dict[str, Any] = {}
        for key, value in changes.items():
            if key in allowed:
                values[key] = None if value is None else _text(str(value), key, allowed[key])
            elif key == "aliases":
                if len(value) > 100:
                    raise InputError("too many aliases (max 100)")
                values[key] = json.dumps([_text(str(v), "alias", 300) for v in value])
            elif key == "source_urls":
                # The same limits as registration (_validated): a PATCH must not bypass them.
                if len(value) > 1000:
                    raise InputError("too many source URLs (max 1000)")
                for url in value:
                    if not url or len(str(url)) > 2048 or any(c.isspace() for c in str(url)):
                        raise InputError(f"bad source URL {str(url)[:100]!r}")
                values[key] = json.dumps([str(v).strip() for v in value])
            else:
                raise InputError(f"cannot change {key!r}")
        if "title" in values and values["title"] is None:
            values["title"] = ""
        if "creator" in values and values["creator"] is None:
            values["creator"] = ""
        with self._write(owner.id) as tx:
            self._own_work_row(tx.conn, owner, work_id)
            if values:
                tx.conn.execute(
                    sa.update(works).where(works.c.id == work_id).values(updated_at=utcnow(), **values)
                )
                tx.log("work.update", "work", work_id, changes={k: changes[k] for k in values})
            return self._load_work(tx.conn, work_id)

    def delete_work(self, owner: Owner, work_id: str) -> None:
        """Withdraw a claim: the work, its fingerprints, preferences and disputes go; rivals return to active."""
        with self._write(owner.id) as tx:
            self._own_work_row(tx.conn, owner, work_id)
            rivals = [
                r.work_b if r.work_a == work_id else r.work_a
                for r in tx.conn.execute(
                    sa.select(disputes.c.work_a, disputes.c.work_b).where(
                        sa.or_(disputes.c.work_a == work_id, disputes.c.work_b == work_id)
                    )
                )
            ]
            tx.conn.execute(
                sa.delete(disputes).where(sa.or_(disputes.c.work_a == work_id, disputes.c.work_b == work_id))
            )
            tx.conn.execute(sa.delete(fingerprints).where(fingerprints.c.work_id == work_id))
            tx.conn.execute(
                sa.delete(preferences).where(
                    preferences.c.owner_id == owner.id,
                    preferences.c.scope == "work",
                    preferences.c.target == work_id,
                )
            )
            tx.conn.execute(sa.delete(works).where(works.c.id == work_id))
            tx.log("work.delete", "work", work_id, owner_id=owner.id, released_disputes=rivals)
            for rival in rivals:
                still = tx.conn.execute(
                    sa.select(sa.func.count())
                    .select_from(disputes)
                    .where(sa.or_(disputes.c.work_a == rival, disputes.c.work_b == rival))
                ).scalar_one()
                if not still:
                    tx.conn.execute(sa.update(works).where(works.c.id == rival).values(status="active"))
        self.index.remove(work_id)

    # -------------------------------------------------------------- preferences
    def set_preferences(self, owner: Owner, scope: str, target: str, prefs: Preferences) -> PreferenceRecord:
        """State preferences for one of the owner's works, a collection, or a host/path pattern."""
        scope, target = self._check_target(owner, scope, target)
        with self._write(owner.id) as tx:
            if scope == "work":
                self._own_work_row(tx.conn, owner, target)
            return self._put_preferences(tx, owner.id, scope, target, prefs)

    def _check_target(self, owner: Owner, scope: str, target: str) -> tuple[str, str]:
        if scope not in SCOPES:
            raise InputError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
        if scope == "domain":
            return scope, normalise_domain_pattern(target)
        target = _text(target, scope, 200)
        if not target:
            raise InputError(f"{scope} must not be empty")
        return scope, target

    def _put_preferences(
        self, tx: _Tx, owner_id: str, scope: str, target: str, prefs: Preferences
    ) -> PreferenceRecord:
        doc = prefs.to_dict()
        now = utcnow()
        row = tx.conn.execute(
            sa.select(preferences.c.id).where(
                preferences.c.owner_id == owner_id,
                preferences.c.scope == scope,
                preferences.c.target == target,
            )
        ).first()
        pref_id = row.id if row is not None else _new_id()
        if row is None:
            tx.conn.execute(
                sa.insert(preferences).values(
                    id=pref_id,
                    owner_id=owner_id,
                    scope=scope,
                    target=target,
                    document=json.dumps(doc),
                    updated_at=now,
                )
            )
        else:
            tx.conn.execute(
                sa.update(preferences)
                .where(preferences.c.id == pref_id)
                .values(document=json.dumps(doc), updated_at=now)
            )
        tx.log(
            "preferences.set",
            "preferences",
            pref_id,
            owner_id=owner_id,
            scope=scope,
            target=target,
            rules=prefs.simple(),
        )
        return PreferenceRecord(pref_id, owner_id, scope, target, prefs, now)

    def delete_preferences(self, owner: Owner, scope: str, target: str) -> None:
        scope, target = self._check_target(owner, scope, target)
        with self._write(owner.id) as tx:
            row = tx.conn.execute(
                sa.select(preferences.c.id).where(
                    preferences.c.owner_id == owner.id,
                    preferences.c.scope == scope,
                    preferences.c.target == target,
                )
            ).first()
            if row is None:
                raise NotFoundError(f"no {scope} preferences for {target!r}")
            tx.conn.execute(sa.delete(preferences).where(preferences.c.id == row.id))
            tx.log("preferences.delete", "preferences", row.id, owner_id=owner.id, scope=scope, target=target)

    def list_preferences(self, owner: Owner) -> list[PreferenceRecord]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(preferences)
                .where(preferences.c.owner_id == owner.id)
                .order_by(preferences.c.scope, preferences.c.target)
            ).all()
        return [_pref_record(r) for r in rows]

    def work_preferences(self, owner: Owner, work_id: str) -> Preferences:
        """The effective preferences of one of the owner's works, with evidence naming the deciding level."""
        with self._read() as conn:
            self._own_work_row(conn, owner, work_id)
            return self._effective(conn, [work_id])[work_id]

    def _effective(self, conn: sa.Connection, work_ids: Sequence[str]) -> dict[str, Preferences]:
        rows: list[Any] = []
        for chunk in _chunks(list(work_ids)):
            rows.extend(
                conn.execute(
                    sa.select(works.c.id, works.c.owner_id, works.c.collection, works.c.source_urls).where(
                        works.c.id.in_(chunk)
                    )
                ).all()
            )
        return self._effective_for_rows(conn, rows)

    def _effective_for_rows(self, conn: sa.Connection, rows: Sequence[Any]) -> dict[str, Preferences]:
        """Effective preferences for work rows (``id, owner_id, collection, source_urls``).

        Works whose levels are the same documents share one resolved (cached) Preferences object.
        """
        if not rows:
            return {}
        work_level: dict[str, tuple[str, str, str]] = {}
        for target, document in _select_in(
            conn,
            "SELECT target, document FROM preferences WHERE scope = 'work' AND target",
            [r.id for r in rows],
        ):
            work_level[target] = ("work", target, document)
        collection_level: dict[tuple[str, str], tuple[str, str, str]] = {}
        with_collections = sorted({r.owner_id for r in rows if r.collection})
        for owner_id, target, document in _select_in(
            conn,
            "SELECT owner_id, target, document FROM preferences WHERE scope = 'collection' AND owner_id",
            with_collections,
        ):
            collection_level[(owner_id, target)] = ("collection", target, document)
        domain_level: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        with_urls = sorted({r.owner_id for r in rows if r.source_urls not in ("[]", "", None)})
        for owner_id, target, document in _select_in(
            conn,
            "SELECT owner_id, target, document FROM preferences WHERE scope = 'domain' AND owner_id",
            with_urls,
        ):
            domain_level[owner_id].append(("domain", target, document))
        out: dict[str, Preferences] = {}
        for r in rows:
            key: list[tuple[str, str, str]] = []
            if r.id in work_level:
                key.append(work_level[r.id])
            if r.collection and (r.owner_id, r.collection) in collection_level:
                key.append(collection_level[(r.owner_id, r.collection)])
            domains = domain_level.get(r.owner_id)
            if domains:
                urls = json.loads(r.source_urls) if r.source_urls else []
                matching = [d for d in domains if any(domain_pattern_matches(d[1], u) for u in urls)]
                key.extend(sorted(matching, key=lambda d: specificity(d[1]), reverse=True))
            out[r.id] = _resolved(tuple(key))
        return out

    # ------------------------------------------------------------------ disputes
    def disputes_for(self, owner: Owner, *, work_id: str | None = None) -> list[DisputeRecord]:
        """Open disputes on the owner's works (optionally one work), seen from the owner's side."""
        mine = works.alias("mine")
        theirs = works.alias("theirs")
        out: list[DisputeRecord] = []
        with self._read() as conn:
            for mine_col, theirs_col in (
                (disputes.c.work_a, disputes.c.work_b),
                (disputes.c.work_b, disputes.c.work_a),
            ):
                q = (
                    sa.select(
                        disputes,
                        mine.c.id.label("my_work"),
                        theirs.c.id.label("their_work"),
                        owners.c.id.label("their_owner"),
                        owners.c.display_name,
                    )
                    .join(mine, mine.c.id == mine_col)
                    .join(theirs, theirs.c.id == theirs_col)
                    .join(owners, owners.c.id == theirs.c.owner_id)
                    .where(mine.c.owner_id == owner.id)
                )
                if work_id is not None:
                    q = q.where(mine.c.id == work_id)
                for r in conn.execute(q):
                    out.append(
                        DisputeRecord(
                            r.id,
                            r.my_work,
                            r.their_work,
                            r.their_owner,
                            r.display_name,
                            r.kind,
                            r.score,
                            r.created_at,
                        )
                    )
        return sorted(out, key=lambda d: (d.created_at, d.id))

    # -------------------------------------------------------------------- lookup
    def lookup(self, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        """Matches (exact sha256, then near-duplicates) and effective preferences for each query."""
        with self._read() as conn:
            return self._lookup(conn, queries)

    def lookup_with_info(self, queries: Sequence[LookupQuery]) -> tuple[list[LookupResult], RegistryInfo]:
        """:meth:`lookup` plus :meth:`info`, read in one transaction (one consistent view)."""
        with self._read() as conn:
            results = self._lookup(conn, queries)
            seq, head = audit.read_head(conn)
        return results, self._info(seq, head)

    def _lookup(self, conn: sa.Connection, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        if len(queries) > self.settings.max_lookup_batch:
            raise InputError(f"{len(queries)} items; at most {self.settings.max_lookup_batch} per lookup")
        found: list[dict[str, tuple[float, str]]] = [{} for _ in queries]
        sha_of: dict[str, list[int]] = defaultdict(list)
        for i, q in enumerate(queries):
            sha = q.sha256 or next((f.value for f in q.fingerprints if f.kind == "sha256"), None)
            if sha:
                sha_of[_check_sha256(sha)].append(i)
        rows = {r.id: r for r in _select_in(conn, _MATCH_SQL + " WHERE sha256", list(sha_of))}
        for r in rows.values():
            for i in sha_of[r.sha256]:
                found[i][r.id] = (1.0, "sha256")
        near = [i for i, q in enumerate(queries) if any(f.kind not in EXACT_KINDS for f in q.fingerprints)]
        if near:
            self.index.sync(conn)
            for i in near:
                q = queries[i]
                for m in self.index.search(q.media_type, q.fingerprints, self.settings.match_limit):
                    if m.key not in found[i]:
                        found[i][m.key] = (float(m.score), m.kind)
            more = sorted({w for f in found for w in f} - rows.keys())
            rows.update((r.id, r) for r in _select_in(conn, _MATCH_SQL + " WHERE id", more))
        matches = self._matches_from_rows(conn, list(rows.values()))
        results: list[LookupResult] = []
        for q, hits in zip(queries, found, strict=True):
            ms = [
                _with_score(matches[w], score, kind) for w, (score, kind) in hits.items() if w in matches
            ]  # a hit whose work is gone (deleted elsewhere) is dropped here
            ms.sort(key=lambda m: (-m.score, m.work_id))
            results.append(LookupResult(q.item_id, tuple(ms)))
        return results

    def _matches_from_rows(self, conn: sa.Connection, rows: Sequence[Any]) -> dict[str, WorkMatch]:
        now = self.clock()
        at_now: dict[int, Preferences] = {}  # works sharing one resolved Preferences share its decision too
        prefs: dict[str, Preferences] = {}
        for w, p in self._effective_for_rows(conn, rows).items():
            if id(p) not in at_now:
                at_now[id(p)] = p.at(now)
            prefs[w] = at_now[id(p)]
        claimants = self._claimants(conn, [r.id for r in rows if r.status == "disputed"])
        names = dict(
            _select_in(
                conn, "SELECT id, display_name FROM owners WHERE id", sorted({r.owner_id for r in rows})
            )
        )
        return {
            r.id: WorkMatch(
                work_id=r.id,
                score=1.0,
                kind="",
                owner_id=r.owner_id,
                owner_name=names.get(r.owner_id, ""),
                title=r.title,
                iscc=r.iscc,
                preferences=prefs[r.id],
                disputed=r.status == "disputed",
                claimants=claimants.get(r.id, ()),
            )
            for r in rows
        }

    def _claimants(self, conn: sa.Connection, work_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """For each disputed work: every owner claiming it (its own owner included), sorted."""
        if not work_ids:
            return {}
        pairs: dict[str, set[str]] = defaultdict(set)
        for chunk in _chunks(list(work_ids), _CHUNK // 2):
            for r in conn.execute(
                sa.select(disputes.c.work_a, disputes.c.work_b).where(
                    sa.or_(disputes.c.work_a.in_(chunk), disputes.c.work_b.in_(chunk))
                )
            ):
                pairs[r.work_a].add(r.work_b)
                pairs[r.work_b].add(r.work_a)
        involved = sorted({w for k, v in pairs.items() for w in (k, *v)})
        owner_of: dict[str, str] = {}
        for chunk in _chunks(involved):
            for r in conn.execute(sa.select(works.c.id, works.c.owner_id).where(works.c.id.in_(chunk))):
                owner_of[r.id] = r.owner_id
        return {
            w: tuple(sorted({owner_of[x] for x in (w, *pairs.get(w, ())) if x in owner_of})) for w in work_ids
        }

    def info(self) -> RegistryInfo:
        """Which registry this is: its backend, audit sequence (version) and head hash."""
        with self._read() as conn:
            seq, head = audit.read_head(conn)
        return self._info(seq, head)

    def _info(self, seq: int, head: str) -> RegistryInfo:
        return RegistryInfo(
            source=f"registry:{self.engine.url.get_backend_name()}", version=f"audit-{seq}", sha256=head
        )

    # ------------------------------------------------------------------- domains
    def add_domain(self, owner: Owner, domain: str) -> DomainRecord:
        """Claim a domain: returns the token to publish at ``/.well-known/mediamanager-verification.txt``."""
        from mediamanager.registry.verify import normalise_domain

        name = normalise_domain(domain)
        with self._write(owner.id) as tx:
            row = tx.conn.execute(
                sa.select(domains).where(domains.c.owner_id == owner.id, domains.c.domain == name)
            ).first()
            if row is not None:
                return _domain(row)
            rec = DomainRecord(
                _new_id(), owner.id, name, "mm-verify-" + secrets.token_hex(16), utcnow(), None
            )
            tx.conn.execute(sa.insert(domains).values(**rec.__dict__))
            tx.log("domain.claim", "domain", rec.id, owner_id=owner.id, domain=name)
            return rec

    def list_domains(self, owner: Owner) -> list[DomainRecord]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(domains).where(domains.c.owner_id == owner.id).order_by(domains.c.domain)
            ).all()
        return [_domain(r) for r in rows]

    def verified_domains(self, owner_id: str) -> list[DomainRecord]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(domains)
                .where(domains.c.owner_id == owner_id, domains.c.verified_at.is_not(None))
                .order_by(domains.c.domain)
            ).all()
        return [_domain(r) for r in rows]

    def verify_domain(self, owner: Owner, domain: str) -> DomainRecord:
        """Fetch the domain's verification file; mark the claim verified when it holds the token."""
        from mediamanager.registry.verify import check_domain_token, normalise_domain

        name = normalise_domain(domain)
        with self._read() as conn:
            row = conn.execute(
                sa.select(domains).where(domains.c.owner_id == owner.id, domains.c.domain == name)
            ).first()
        if row is None:
            raise NotFoundError(f"no claim on domain {name!r}; add it first")
        check_domain_token(
            name,
            row.token,
            scheme=self.settings.verification_scheme,
            timeout_s=self.settings.verification_timeout_s,
            max_bytes=self.settings.verification_max_bytes,
            allow_loopback=self.settings.verification_allow_loopback,
        )
        with self._write(owner.id) as tx:
            now = utcnow()
            tx.conn.execute(sa.update(domains).where(domains.c.id == row.id).values(verified_at=now))
            tx.log("domain.verify", "domain", row.id, owner_id=owner.id, domain=name)
        return DomainRecord(row.id, row.owner_id, row.domain, row.token, row.created_at, now)

    def domain_preferences(self, owner_id: str, domain: str) -> list[PreferenceRecord]:
        """The owner's domain-level preferences whose pattern is on ``domain``."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(preferences).where(
                    preferences.c.owner_id == owner_id, preferences.c.scope == "domain"
                )
            ).all()
        return [_pref_record(r) for r in rows if r.target.split("/", 1)[0] == domain.split(":")[0]]

    # --------------------------------------------------------------------- audit
    def verify_audit(self) -> audit.AuditReport:
        with self._read() as conn:
            return audit.verify_chain(conn)

    def audit_entries(self, *, after: int = 0, limit: int = 100) -> list[audit.AuditEntry]:
        with self._read() as conn:
            return audit.read_entries(conn, after=after, limit=limit)

    # ------------------------------------------------------------------ snapshot
    def iter_public_works(
        self, *, batch: int = 5000
    ) -> Iterator[tuple[Any, tuple[Fingerprint, ...], Preferences, tuple[str, ...]]]:
        """Every work's public fields, matching fingerprints, effective preferences and claimants, in id order."""
        last = ""
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    sa.select(
                        works.c.id,
                        works.c.owner_id,
                        works.c.media_type,
                        works.c.title,
                        works.c.sha256,
                        works.c.iscc,
                        works.c.status,
                        works.c.collection,
                        works.c.source_urls,
                    )
                    .where(works.c.id > last)
                    .order_by(works.c.id)
                    .limit(batch)
                ).all()
                if not rows:
                    return
                ids = [r.id for r in rows]
                fps: dict[str, list[Fingerprint]] = defaultdict(list)
                for chunk in _chunks(ids):
                    for f in conn.execute(
                        sa.select(fingerprints)
                        .where(fingerprints.c.work_id.in_(chunk))
                        .order_by(fingerprints.c.id)
                    ):
                        fps[f.work_id].append(Fingerprint(f.kind, f.value, f.size, f.part))
                prefs = self._effective_for_rows(conn, rows)
                claimants = self._claimants(conn, [r.id for r in rows if r.status == "disputed"])
            for r in rows:
                yield r, tuple(fps.get(r.id, ())), prefs[r.id], claimants.get(r.id, ())
            last = rows[-1].id

    def iter_owners(self) -> Iterable[Owner]:
        with self._read() as conn:
            rows = conn.execute(sa.select(owners).order_by(owners.c.id)).all()
        return [_owner(r) for r in rows]


def _with_score(m: WorkMatch, score: float, kind: str) -> WorkMatch:
    return WorkMatch(
        m.work_id,
        round(score, 6),
        kind,
        m.owner_id,
        m.owner_name,
        m.title,
        m.iscc,
        m.preferences,
        m.disputed,
        m.claimants,
    )


@lru_cache(maxsize=65536)
def _prefs(document: str) -> Preferences:
    """A stored preference document, parsed once (documents are immutable text; an update is a new text)."""
    return Preferences.from_dict(json.loads(document))


@lru_cache(maxsize=65536)
def _resolved(levels: tuple[tuple[str, str, str], ...]) -> Preferences:
    """Effective preferences for ``(scope, target, document)`` levels, most specific first (memoised)."""
    return resolve_preferences([Level(scope, target, _prefs(doc)) for scope, target, doc in levels])


def _select_in(conn: sa.Connection, sql: str, values: Sequence[str], tail: str = "") -> list[Any]:
    """Run ``sql + " IN (...)" + tail`` over ``values`` as plain driver SQL (chunks on SQLite, ``= ANY`` on PostgreSQL).

    Hot lookup paths use this instead of SQLAlchemy's expanding IN, whose per-call
    compilation cost more than the query itself on a 10,000-item batch.
    """
    if not values:
        return []
    if conn.dialect.name == "postgresql":
        # One round trip with an array parameter instead of one per chunk.
        return list(conn.exec_driver_sql(f"{sql} = ANY(%s){tail}", (list(values),)).all())
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    out: list[Any] = []
    for chunk in _chunks(list(values)):
        out.extend(
            conn.exec_driver_sql(f"{sql} IN ({','.join([mark] * len(chunk))}){tail}", tuple(chunk)).all()
        )
    return out


def _pref_record(r: Any) -> PreferenceRecord:
    return PreferenceRecord(r.id, r.owner_id, r.scope, r.target, _prefs(r.document), r.updated_at)


def _work_record(row: Any, fps: tuple[Fingerprint, ...]) -> WorkRecord:
    return WorkRecord(
        id=row.id,
        owner_id=row.owner_id,
        media_type=MediaType(row.media_type),
        title=row.title,
        creator=row.creator,
        aliases=tuple(json.loads(row.aliases)),
        source_urls=tuple(json.loads(row.source_urls)),
        collection=row.collection,
        sha256=row.sha256,
        iscc=row.iscc,
        size_bytes=row.size_bytes,
        status=row.status,
        content_kept=bool(row.content_kept),
        created_at=row.created_at,
        updated_at=row.updated_at,
        fingerprints=fps,
    )


def _check_iscc(code: str) -> None:
    import iscc_core

    try:
        ok = iscc_core.iscc_validate(code, strict=False)
    except Exception:  # iscc-core raises assorted errors for garbage: all mean "not an ISCC"
        ok = False
    if not ok:
        raise InvalidFingerprintError(f"not a valid ISCC code: {code[:80]!r}")


def compute_fingerprints(content: bytes, *, media_type: MediaType | None, filename: str | None) -> Any:
    """Fingerprint uploaded content with the fingerprint package; undecodable content is a 4xx, never a 500."""
    from mediamanager.fingerprint import fingerprint_content

    try:
        return fingerprint_content(content, media_type=media_type, filename=filename)
    except MediaManagerError:
        raise
    except Exception as exc:  # a decoder crashing on hostile bytes means the content is corrupt
        raise CorruptMediaError(f"cannot read the content: {type(exc).__name__}: {exc}") from None
