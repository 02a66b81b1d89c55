"""The usage ledger: submissions, hash-chained usage events, licences and grants.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_submissions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scan_id", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("builder_id", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("dataset", sa.String(300), nullable=False),
        sa.Column("dataset_version", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("scan_time", sa.String(40), nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_submissions")),
        sa.UniqueConstraint("scan_id", name=op.f("uq_ledger_submissions_scan_id")),
    )
    op.create_index(op.f("ix_ledger_submissions_builder_id"), "ledger_submissions", ["builder_id"])
    op.create_table(
        "ledger_events",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("submission_id", sa.String(32), nullable=False),
        sa.Column("scan_id", sa.String(64), nullable=False),
        sa.Column("builder_id", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("work_id", sa.String(32), nullable=False),
        sa.Column("dataset", sa.String(300), nullable=False),
        sa.Column("dataset_version", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("scan_time", sa.String(40), nullable=False),
        sa.Column("decision", sa.String(24), nullable=False),
        sa.Column("grant_id", sa.String(32), nullable=True),
        sa.Column("match_kind", sa.String(32), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("item_ids", sa.Text, nullable=False),
        sa.Column("conditions", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_events")),
    )
    for col in ("builder_id", "owner_id", "work_id"):
        op.create_index(op.f(f"ix_ledger_events_{col}"), "ledger_events", [col])
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.execute(sa.text("INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')"))
    op.create_table(
        "ledger_licences",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("builder_id", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("works", sa.Text, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("licensee_key_id", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("grant", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_licences")),
    )
    op.create_index(op.f("ix_ledger_licences_builder_id"), "ledger_licences", ["builder_id"])
    op.create_index(op.f("ix_ledger_licences_owner_id"), "ledger_licences", ["owner_id"])


def downgrade() -> None:
    op.drop_table("ledger_licences")
    op.drop_table("ledger_head")
    op.drop_table("ledger_events")
    op.drop_table("ledger_submissions")
