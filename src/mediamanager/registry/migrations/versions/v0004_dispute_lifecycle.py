"""Dispute lifecycle (respond, withdraw, resolve, lapse) and the registry-operator role.

``disputes`` gains its stored state (``open``, ``answered``, ``withdrawn``, ``resolved``; ``lapsed`` is
evaluated when read, from ``deadline_at``), each party's evidence and proposed outcome, the outcome, and
who closed it when. Existing disputes get ``created_at`` + 30 days as their deadline. ``owners`` gains
``operator``: an operator may resolve any dispute (set from the CLI against the database).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:15:00
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="open"))
        batch.add_column(sa.Column("deadline_at", _TS, nullable=True))
        batch.add_column(sa.Column("evidence_a", sa.Text, nullable=True))
        batch.add_column(sa.Column("evidence_b", sa.Text, nullable=True))
        batch.add_column(sa.Column("proposal_a", sa.String(16), nullable=True))
        batch.add_column(sa.Column("proposal_b", sa.String(16), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(16), nullable=True))
        batch.add_column(sa.Column("closed_at", _TS, nullable=True))
        batch.add_column(sa.Column("closed_by", sa.String(32), nullable=True))
    # Plain ADD COLUMN: a batch rebuild would drop owners, which other tables reference.
    op.add_column("owners", sa.Column("operator", sa.Boolean, nullable=False, server_default=sa.false()))
    conn = op.get_bind()
    table = sa.table("disputes", sa.column("id"), sa.column("created_at", _TS), sa.column("deadline_at", _TS))
    for row in conn.execute(sa.select(table.c.id, table.c.created_at)).all():
        conn.execute(
            table.update().where(table.c.id == row.id).values(deadline_at=row.created_at + timedelta(days=30))
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A batch rebuild of owners would drop a table other tables reference (foreign keys are on);
        # SQLite 3.35+ drops a plain column in place.
        op.execute("ALTER TABLE owners DROP COLUMN operator")
    else:
        op.drop_column("owners", "operator")
    with op.batch_alter_table("disputes") as batch:
        for name in (
            "closed_by",
            "closed_at",
            "outcome",
            "proposal_b",
            "proposal_a",
            "evidence_b",
            "evidence_a",
            "deadline_at",
            "status",
        ):
            batch.drop_column(name)
