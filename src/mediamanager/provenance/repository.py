"""The manifest repository: C2PA manifests of generated media, findable by soft binding or PDQ.

A stripped or re-encoded image has lost its embedded manifest; what survives is the watermark in its
pixels and its look. This repository keeps, per manifest, the manifest store (JSON and, when given,
the raw bytes), its soft bindings (the watermark payload) and the image's PDQ hash, so that either key
leads back to the manifest.

Schema (created by Alembic revision ``0002``, ``registry/migrations/versions/v0002_manifests.py``):

``provenance_manifests``
    ``manifest_id`` (PK, the C2PA manifest label, e.g. ``urn:c2pa:...``), ``format`` (MIME type),
    ``manifest_json`` (the manifest store as c2pa-python reads it, JSON text), ``manifest_bytes``
    (the JUMBF manifest store, nullable), ``pdq`` (64 hex digits, nullable), ``pdq_quality``,
    ``created_at`` (UTC), ``owner_id`` (the registry owner who stored it through the API, 32 hex
    digits, nullable: added by revision ``0003``; indexed).
``provenance_soft_bindings``
    ``manifest_id`` (FK), ``alg`` (soft-binding algorithm id), ``value`` (as in the
    ``c2pa.soft-binding`` block: base64); unique on (alg, value, manifest_id), indexed on (alg, value).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mediamanager.errors import ConflictError, InputError, NotFoundError

__all__ = [
    "ManifestRecord",
    "ManifestRepository",
    "SoftBinding",
    "manifests",
    "metadata",
    "soft_bindings",
]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

manifests = sa.Table(
    "provenance_manifests",
    metadata,
    sa.Column("manifest_id", sa.String(255), primary_key=True),
    sa.Column("format", sa.String(100), nullable=False),
    sa.Column("manifest_json", sa.Text(), nullable=False),
    sa.Column("manifest_bytes", sa.LargeBinary(), nullable=True),
    sa.Column("pdq", sa.String(64), nullable=True, index=True),
    sa.Column("pdq_quality", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # no foreign key to the registry's owners: these tables keep their own MetaData (see revision 0003)
    sa.Column("owner_id", sa.String(32), nullable=True, index=True),
)

soft_bindings = sa.Table(
    "provenance_soft_bindings",
    metadata,
    sa.Column(
        "manifest_id",
        sa.String(255),
        sa.ForeignKey("provenance_manifests.manifest_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("alg", sa.String(128), nullable=False),
    sa.Column("value", sa.String(512), nullable=False),
    sa.UniqueConstraint("alg", "value", "manifest_id"),
    sa.Index("ix_provenance_soft_bindings_alg_value", "alg", "value"),
)

_MAX_MANIFEST_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SoftBinding:
    """One soft-binding key: algorithm id and value (base64, as in ``c2pa.soft-binding``)."""

    alg: str
    value: str


@dataclass(frozen=True)
class ManifestRecord:
    """One stored manifest and the keys that find it."""

    manifest_id: str
    format: str
    manifest_json: dict[str, Any]
    manifest_bytes: bytes | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    bindings: tuple[SoftBinding, ...] = ()
    owner_id: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def public(self) -> dict[str, Any]:
        """The JSON shape served by ``GET /manifests/{id}`` (bytes left out)."""
        return {
            "manifestId": self.manifest_id,
            "format": self.format,
            "manifest": self.manifest_json,
            "softBindings": [{"alg": b.alg, "value": b.value} for b in self.bindings],
            "pdq": self.pdq,
            "createdAt": self.created_at.isoformat(),
        }


def _validate(record: ManifestRecord) -> None:
    if not record.manifest_id or len(record.manifest_id) > 255:
        raise InputError("manifest_id must be 1 to 255 characters")
    if record.pdq is not None:
        try:
            if len(record.pdq) != 64:
                raise ValueError
            int(record.pdq, 16)
        except ValueError:
            raise InputError("pdq must be 64 hexadecimal digits") from None
    if record.manifest_bytes is not None and len(record.manifest_bytes) > _MAX_MANIFEST_BYTES:
        raise InputError(f"manifest bytes exceed {_MAX_MANIFEST_BYTES} bytes")
    for b in record.bindings:
        if not b.alg or len(b.alg) > 128 or not b.value or len(b.value) > 512:
            raise InputError("soft binding alg must be 1-128 and value 1-512 characters")


class ManifestRepository:
    """Store and find manifests in the registry database (SQLite or PostgreSQL)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def add(self, record: ManifestRecord) -> None:
        """Store ``record``; a second manifest with the same id is a :class:`ConflictError`."""
        _validate(record)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    manifests.insert().values(
                        manifest_id=record.manifest_id,
                        format=record.format,
                        manifest_json=json.dumps(record.manifest_json, sort_keys=True),
                        manifest_bytes=record.manifest_bytes,
                        pdq=record.pdq.lower() if record.pdq else None,
                        pdq_quality=record.pdq_quality,
                        created_at=record.created_at,
                        owner_id=record.owner_id,
                    )
                )
                if record.bindings:
                    conn.execute(
                        soft_bindings.insert(),
                        [
                            {"manifest_id": record.manifest_id, "alg": b.alg, "value": b.value}
                            for b in dict.fromkeys(record.bindings)
                        ],
                    )
        except sa.exc.IntegrityError:
            raise ConflictError(f"manifest {record.manifest_id!r} is already stored") from None

    def get(self, manifest_id: str) -> ManifestRecord:
        """The stored manifest, or :class:`NotFoundError`."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(manifests).where(manifests.c.manifest_id == manifest_id)).first()
            if row is None:
                raise NotFoundError(f"no manifest {manifest_id!r}")
            binds = conn.execute(
                sa.select(soft_bindings.c.alg, soft_bindings.c.value).where(
                    soft_bindings.c.manifest_id == manifest_id
                )
            ).all()
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        return ManifestRecord(
            manifest_id=row.manifest_id,
            format=row.format,
            manifest_json=json.loads(row.manifest_json),
            manifest_bytes=row.manifest_bytes,
            pdq=row.pdq,
            pdq_quality=row.pdq_quality,
            bindings=tuple(SoftBinding(a, v) for a, v in binds),
            owner_id=row.owner_id,
            created_at=created,
        )

    def delete(self, manifest_id: str, *, owner_id: str) -> None:
        """Remove ``owner_id``'s manifest and its soft bindings.

        Another owner's manifest (or one stored without an owner) raises :class:`NotFoundError`, exactly
        like a missing one, so that a caller learns nothing about manifests it does not own.
        """
        with self.engine.begin() as conn:
            mine = sa.and_(manifests.c.manifest_id == manifest_id, manifests.c.owner_id == owner_id)
            if conn.execute(sa.select(manifests.c.manifest_id).where(mine)).first() is None:
                raise NotFoundError(f"no manifest {manifest_id!r}")
            # explicit, because SQLite enforces ON DELETE CASCADE only with foreign_keys=ON
            conn.execute(soft_bindings.delete().where(soft_bindings.c.manifest_id == manifest_id))
            conn.execute(manifests.delete().where(mine))

    def by_binding(self, alg: str, value: str) -> list[str]:
        """Manifest ids stored under the soft binding ``(alg, value)``, oldest first."""
        query = (
            sa.select(soft_bindings.c.manifest_id)
            .join(manifests, manifests.c.manifest_id == soft_bindings.c.manifest_id)
            .where(soft_bindings.c.alg == alg, soft_bindings.c.value == value)
            .order_by(manifests.c.created_at, manifests.c.manifest_id)
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]

    def nearest_pdq(self, pdq: str, *, max_distance: int, limit: int = 10) -> list[tuple[str, int]]:
        """Manifests whose PDQ is within ``max_distance`` bits of ``pdq``, nearest first.

        A linear scan in batches: fine for the repository of one deployment (about a million rows a
        second); a large public repository would put the hashes in the FAISS binary index instead.
        """
        target = int(pdq, 16)
        found: list[tuple[str, int]] = []
        query = sa.select(manifests.c.manifest_id, manifests.c.pdq).where(manifests.c.pdq.is_not(None))
        with self.engine.connect() as conn:
            for manifest_id, other in conn.execute(query.execution_options(yield_per=10_000)):
                distance = (int(other, 16) ^ target).bit_count()
                if distance <= max_distance:
                    found.append((manifest_id, distance))
        found.sort(key=lambda item: (item[1], item[0]))
        return found[:limit]
