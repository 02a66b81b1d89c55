"""The creators' portal: password credentials on owner accounts and server-side sessions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_credentials_owner_id_owners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("email", name=op.f("uq_credentials_email")),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_portal_sessions_owner_id_owners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_portal_sessions")),
    )
    op.create_index("ix_portal_sessions_owner_id", "portal_sessions", ["owner_id"])
    # My works pages through an owner's works newest first: one index serves the filter and the order.
    op.create_index("ix_works_owner_id_created_at", "works", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_works_owner_id_created_at", table_name="works")
    op.drop_index("ix_portal_sessions_owner_id", table_name="portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_table("credentials")
