"""Works: register (fingerprints, or uploaded content), read, change and withdraw an owner's works.

An owner only ever sees their own works: another owner's work raises :class:`NotFoundError`,
exactly like a missing one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mediamanager.errors import (
    ConflictError,
    CorruptMediaError,
    InputError,
    InvalidFingerprintError,
    MediaManagerError,
    MediaTooLargeError,
    NotFoundError,
)
from mediamanager.model import Fingerprint, MediaType, Preferences
from mediamanager.registry.disputes import DisputeService, open_disputes, refresh_work_status
from mediamanager.registry.matching import EXACT_KINDS, validate_fingerprints
from mediamanager.registry.preferences import put_preferences
from mediamanager.registry.records import (
    Owner,
    Registration,
    WorkInput,
    WorkRecord,
    check_sha256,
    clean_text,
)
from mediamanager.registry.store.tables import disputes, fingerprints, preferences, works
from mediamanager.registry.uow import UnitOfWork, new_id, require_own_work
from mediamanager.registry.work_urls import replace_work_urls
from mediamanager.settings import Settings

__all__ = ["WorkService", "compute_fingerprints", "load_work"]

_WORK_COLUMNS = [c for c in works.c if c.name != "content"] + [
    works.c.content.is_not(None).label("content_kept")
]


class WorkService:
    """Register, read, change and withdraw works."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

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
        data = _validated(data, self.uow.settings)
        with self.uow.write(owner.id) as tx:
            existing = tx.conn.execute(
                sa.select(works.c.id).where(works.c.owner_id == owner.id, works.c.sha256 == data.sha256)
            ).first()
            if existing is not None:
                if if_exists == "return":
                    return Registration(load_work(tx.conn, existing.id), created=False)
                raise ConflictError(f"you already registered this content as work {existing.id}")
            work_id = new_id()
            now = self.uow.now()
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
            replace_work_urls(tx.conn, work_id, data.source_urls)
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
                put_preferences(tx, owner.id, "work", work_id, data.preferences, now)
            open_disputes(self.uow, tx, owner.id, work_id, data, now)
            record = load_work(tx.conn, work_id)
        self.uow.sync_index()
        found = DisputeService(self.uow).list_disputes(owner, work_id=work_id)
        return Registration(record, created=True, disputes=tuple(found))

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
        if len(content) > self.uow.settings.max_upload_bytes:
            raise MediaTooLargeError(
                f"upload is {len(content)} bytes; the limit is {self.uow.settings.max_upload_bytes}"
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
        keep = self.uow.settings.keep_content_default if keep_content is None else keep_content
        return self.register_work(owner, data, if_exists=if_exists, content=content if keep else None)

    def get_work(self, owner: Owner, work_id: str) -> WorkRecord:
        """One of ``owner``'s works; another owner's work is :class:`NotFoundError` like a missing one."""
        with self.uow.read() as conn:
            require_own_work(conn, owner.id, work_id)
            return load_work(conn, work_id)

    def get_content(self, owner: Owner, work_id: str) -> bytes:
        with self.uow.read() as conn:
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
        with self.uow.read() as conn:
            rows = conn.execute(
                sa.select(*_WORK_COLUMNS)
                .where(works.c.owner_id == owner.id)
                .order_by(works.c.created_at, works.c.id)
                .limit(limit)
                .offset(max(0, offset))
            ).all()
        return [work_record(r, ()) for r in rows]

    def search_works(
        self,
        owner: Owner,
        *,
        query: str = "",
        media_type: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[WorkRecord], int]:
        """One page of ``owner``'s works, newest first, whose title, creator or collection contains
        ``query`` (case-insensitive), and how many match in all. Served by ``ix_works_owner_id_created_at``."""
        where = [works.c.owner_id == owner.id]
        text = query.strip()[:200]
        if text:
            like = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(
                sa.or_(
                    sa.func.lower(works.c.title).like(like, escape="\\"),
                    sa.func.lower(works.c.creator).like(like, escape="\\"),
                    sa.func.lower(sa.func.coalesce(works.c.collection, "")).like(like, escape="\\"),
                )
            )
        if media_type:
            where.append(works.c.media_type == media_type)
        with self.uow.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(works).where(*where)).scalar_one()
            rows = conn.execute(
                sa.select(*_WORK_COLUMNS)
                .where(*where)
                .order_by(works.c.created_at.desc(), works.c.id.desc())
                .limit(max(1, min(limit, 200)))
                .offset(max(0, offset))
            ).all()
        return [work_record(r, ()) for r in rows], int(total)

    def update_work(self, owner: Owner, work_id: str, changes: Mapping[str, Any]) -> WorkRecord:
        """Change a work's descriptive fields: title, creator, aliases, source_urls, collection."""
        allowed = {"title": 500, "creator": 300, "collection": 200}
        values: dict[str, Any] = {}
        for key, value in changes.items():
            if key in allowed:
                values[key] = None if value is None else clean_text(str(value), key, allowed[key])
            elif key == "aliases":
                if len(value) > 100:
                    raise InputError("too many aliases (max 100)")
                values[key] = json.dumps([clean_text(str(v), "alias", 300) for v in value])
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
        with self.uow.write(owner.id) as tx:
            require_own_work(tx.conn, owner.id, work_id)
            if values:
                tx.conn.execute(
                    sa.update(works).where(works.c.id == work_id).values(updated_at=self.uow.now(), **values)
                )
                if "source_urls" in values:
                    replace_work_urls(tx.conn, work_id, values["source_urls"])
                tx.log("work.update", "work", work_id, changes={k: changes[k] for k in values})
            return load_work(tx.conn, work_id)

    def delete_work(self, owner: Owner, work_id: str) -> None:
        """Withdraw a claim: the work, its fingerprints, preferences and disputes go; rivals return to active."""
        with self.uow.write(owner.id) as tx:
            require_own_work(tx.conn, owner.id, work_id)
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
            replace_work_urls(tx.conn, work_id, ())
            tx.conn.execute(
                sa.delete(preferences).where(
                    preferences.c.owner_id == owner.id,
                    preferences.c.scope == "work",
                    preferences.c.target == work_id,
                )
            )
            tx.conn.execute(sa.delete(works).where(works.c.id == work_id))
            tx.log("work.delete", "work", work_id, owner_id=owner.id, released_disputes=rivals)
            refresh_work_status(tx.conn, rivals, self.uow.now())
        self.uow.index.remove(work_id)


def load_work(conn: sa.Connection, work_id: str) -> WorkRecord:
    row = conn.execute(sa.select(*_WORK_COLUMNS).where(works.c.id == work_id)).one()
    fps = conn.execute(
        sa.select(fingerprints).where(fingerprints.c.work_id == work_id).order_by(fingerprints.c.id)
    ).all()
    return work_record(row, tuple(Fingerprint(f.kind, f.value, f.size, f.part) for f in fps))


def _validated(data: WorkInput, settings: Settings) -> WorkInput:
    if not isinstance(data.media_type, MediaType):
        raise InputError(f"unknown media type {data.media_type!r}")
    sha = check_sha256(data.sha256)
    if len(data.fingerprints) > settings.max_fingerprints_per_work:
        raise InvalidFingerprintError(
            f"{len(data.fingerprints)} fingerprints; at most {settings.max_fingerprints_per_work} per work"
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
    collection = None if data.collection is None else clean_text(data.collection, "collection", 200) or None
    return WorkInput(
        media_type=data.media_type,
        sha256=sha,
        iscc=iscc,
        fingerprints=tuple(data.fingerprints),
        title=clean_text(data.title, "title", 500),
        creator=clean_text(data.creator, "creator", 300),
        aliases=tuple(clean_text(a, "alias", 300) for a in data.aliases),
        source_urls=tuple(u.strip() for u in data.source_urls),
        collection=collection,
        size_bytes=data.size_bytes,
        preferences=data.preferences,
    )


def work_record(row: Any, fps: tuple[Fingerprint, ...]) -> WorkRecord:
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
