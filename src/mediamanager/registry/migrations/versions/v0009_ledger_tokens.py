"""Usage events carry the token count of their items (per-token licence terms are billed from it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: events recorded before (and scans that counted no tokens) keep NULL, and their
    # hashes stay valid because the chained body includes the count only when there is one.
    with op.batch_alter_table("ledger_events") as batch:
        batch.add_column(sa.Column("tokens", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_events") as batch:
        batch.drop_column("tokens")
