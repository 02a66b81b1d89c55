"""The registry's SQL schema as SQLAlchemy Core tables (Alembic revision ``0001`` creates them).

Identifiers are 32-character hex strings (uuid4) chosen by the service, so that
rows can be created without a round trip and never reveal how many exist.
Times are timezone-aware UTC. Lists and preference documents are JSON text.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

__all__ = [
    "audit_head",
    "audit_log",
    "credentials",
    "disputes",
    "domains",
    "fingerprints",
    "metadata",
    "owners",
    "portal_sessions",
    "preferences",
    "tokens",
    "work_urls",
    "works",
]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the offset; we put it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


ID = sa.String(32)
TS = UTCDateTime()

owners = sa.Table(
    "owners",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # person | organisation
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),  # private: never exported
    sa.Column("created_at", TS, nullable=False),
    sa.Column("operator", sa.Boolean, nullable=False, server_default=sa.false()),  # may settle any dispute
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("owner_id", ID, sa.ForeignKey("owners.id"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex of the secret
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
)

works = sa.Table(
    "works",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("owner_id", ID, sa.ForeignKey("owners.id"), nullable=False, index=True),
    sa.Column("media_type", sa.String(16), nullable=False),
    sa.Column("title", sa.String(500), nullable=False, server_default=""),
    sa.Column("creator", sa.String(300), nullable=False, server_default=""),
    sa.Column("aliases", sa.Text, nullable=False, server_default="[]"),  # JSON list
    sa.Column("source_urls", sa.Text, nullable=False, server_default="[]"),  # JSON list
    sa.Column("collection", sa.String(200), nullable=True, index=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("iscc", sa.String(120), nullable=False, server_default=""),
    sa.Column("size_bytes", sa.BigInteger, nullable=True),
    sa.Column("content", sa.LargeBinary, nullable=True),  # kept only when the owner asks; never exported
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),  # active | disputed
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("owner_id", "sha256"),  # one claim per owner per content: bulk runs are idempotent
    sa.Index("ix_works_owner_id_created_at", "owner_id", "created_at"),  # revision 0008: the portal's list
)

fingerprints = sa.Table(
    "fingerprints",
    metadata,
    # The autoincrementing id lets a process load only rows added since it last looked.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("work_id", ID, sa.ForeignKey("works.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("size", sa.Integer, nullable=True),
    sa.Column("part", sa.Integer, nullable=False, server_default="0"),
)

# Derived from works.source_urls (revision 0007): the sha256 of each normalised http(s) source URL
# (mediamanager.urlnorm.url_hash), so a lookup by URL is one index probe. Rewritten with the work.
work_urls = sa.Table(
    "work_urls",
    metadata,
    sa.Column("work_id", ID, sa.ForeignKey("works.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("url_hash", sa.String(64), primary_key=True),
    sa.Index("ix_work_urls_url_hash", "url_hash"),
)

preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("owner_id", ID, sa.ForeignKey("owners.id"), nullable=False, index=True),
    sa.Column("scope", sa.String(16), nullable=False),  # work | collection | domain
    sa.Column("target", sa.String(500), nullable=False),  # work id | collection name | host/path pattern
    sa.Column("document", sa.Text, nullable=False),  # Preferences.to_dict() as JSON
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("owner_id", "scope", "target"),
    # Lookups fetch work-level documents by target across owners.
    sa.Index("ix_preferences_scope_target", "scope", "target"),
)

disputes = sa.Table(
    "disputes",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("work_a", ID, sa.ForeignKey("works.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("work_b", ID, sa.ForeignKey("works.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),  # how the two claims matched: sha256, pdq, minhash...
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    # Lifecycle (0004): work_a is the later registration, work_b the earlier one.
    sa.Column(
        "status", sa.String(16), nullable=False, server_default="open"
    ),  # open|answered|withdrawn|resolved
    sa.Column("deadline_at", TS, nullable=True),  # an open dispute lapses after this (evaluated when read)
    sa.Column("evidence_a", sa.Text, nullable=True),
    sa.Column("evidence_b", sa.Text, nullable=True),
    sa.Column(
        "proposal_a", sa.String(16), nullable=True
    ),  # outcome each party proposes: earlier|later|shared
    sa.Column("proposal_b", sa.String(16), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=True),
    sa.Column("closed_at", TS, nullable=True),
    sa.Column("closed_by", ID, nullable=True),
    sa.UniqueConstraint("work_a", "work_b"),
)

domains = sa.Table(
    "domains",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("owner_id", ID, sa.ForeignKey("owners.id"), nullable=False, index=True),
    sa.Column("domain", sa.String(255), nullable=False),
    sa.Column("token", sa.String(64), nullable=False),  # published by the owner, so not a secret
    sa.Column("created_at", TS, nullable=False),
    sa.Column("verified_at", TS, nullable=True),
    sa.UniqueConstraint("owner_id", "domain"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    sa.Column("at", sa.String(40), nullable=False),  # ISO 8601 text: hashed exactly as stored
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(500), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # canonical JSON
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # Revision 0005: sha256 of the entity's row after the change ("absent" once deleted); NULL on
    # older entries and on entities with no state table. Hashed into ``hash`` when present.
    sa.Column("state", sa.String(64), nullable=True),
)

# One row (id = 1): the chain's head. Every write transaction locks it first, which
# serialises writers on every backend and lets verification notice a cut-off tail.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Revision 0008: the creators' portal. A login is a password on an owner account; a session is
# stored by the sha256 of its id (like API tokens), so a database leak hands out no live session.
credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("owner_id", ID, sa.ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),  # lower-cased
    sa.Column("password_hash", sa.String(200), nullable=False),  # argon2id encoded string
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

portal_sessions = sa.Table(
    "portal_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),  # sha256 hex of the cookie value
    sa.Column("owner_id", ID, sa.ForeignKey("owners.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
)
