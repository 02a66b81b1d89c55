"""The ledger's tables (Alembic revision ``0006`` creates them), in their own MetaData.

Usage events are append-only and chained by sha256 (:mod:`mediamanager.ledger.chain`);
``ledger_head`` holds the chain's last sequence number and hash. Owner, builder and work
ids are the registry's 32-hex ids; no foreign keys, so events outlive a withdrawn work
(an owner is still owed for what was used before).
"""

from __future__ import annotations

import sqlalchemy as sa

from mediamanager.registry.store.tables import TS, UTCDateTime

__all__ = ["ledger_events", "ledger_head", "ledger_metadata", "licences", "submissions"]

ledger_metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)
ID = sa.String(32)
SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")

submissions = sa.Table(
    "ledger_submissions",
    ledger_metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("scan_id", sa.String(64), nullable=False, unique=True),  # sha256 of the signed attestation
    sa.Column("digest", sa.String(64), nullable=False),  # sha256 of decisions.parquet
    sa.Column("builder_id", ID, nullable=False, index=True),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("public_key", sa.String(64), nullable=False),
    sa.Column("dataset", sa.String(300), nullable=False),
    sa.Column("dataset_version", sa.String(200), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("scan_time", sa.String(40), nullable=False),
    sa.Column("events", sa.Integer, nullable=False),
    sa.Column("submitted_at", TS, nullable=False),
)

ledger_events = sa.Table(
    "ledger_events",
    ledger_metadata,
    sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),  # ISO text: hashed exactly as stored
    sa.Column("submission_id", ID, nullable=False),
    sa.Column("scan_id", sa.String(64), nullable=False),
    sa.Column("builder_id", ID, nullable=False, index=True),
    sa.Column("owner_id", ID, nullable=False, index=True),
    sa.Column("work_id", ID, nullable=False, index=True),
    sa.Column("dataset", sa.String(300), nullable=False),
    sa.Column("dataset_version", sa.String(200), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("scan_time", sa.String(40), nullable=False),
    sa.Column("decision", sa.String(24), nullable=False),  # kept-under-licence | dropped | kept-as-allowed
    sa.Column("grant_id", ID, nullable=True),
    sa.Column("match_kind", sa.String(32), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("item_ids", sa.Text, nullable=False),  # canonical JSON list
    sa.Column("conditions", sa.Text, nullable=False),  # canonical JSON (null when none)
    sa.Column("tokens", sa.BigInteger, nullable=True),  # cl100k_base tokens of the items (0008), if counted
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

ledger_head = sa.Table(
    "ledger_head",
    ledger_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

licences = sa.Table(
    "ledger_licences",
    ledger_metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("builder_id", ID, nullable=False, index=True),
    sa.Column("owner_id", ID, nullable=False, index=True),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("works", sa.Text, nullable=False),  # JSON list of work ids
    sa.Column("terms", sa.Text, nullable=False),  # JSON {work_id: Terms.to_dict()}
    sa.Column("licensee_key_id", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # requested | accepted | declined | revoked
    sa.Column("requested_at", TS, nullable=False),
    sa.Column("decided_at", UTCDateTime(), nullable=True),
    sa.Column("expires_at", UTCDateTime(), nullable=True),
    sa.Column("grant", sa.Text, nullable=True),  # the signed grant document (JSON) once accepted
)
