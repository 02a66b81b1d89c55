"""Lookup by source URL: the ``work_urls`` index (sha256 of each normalised URL), backfilled.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "work_urls",
        sa.Column("work_id", sa.String(32), nullable=False),
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_id"], ["works.id"], name=op.f("fk_work_urls_work_id_works"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("work_id", "url_hash", name=op.f("pk_work_urls")),
    )
    op.create_index("ix_work_urls_url_hash", "work_urls", ["url_hash"])
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    # The normaliser as of this revision; imported here so the migration runs the code it ships with.
    from mediamanager.registry.work_urls import hashes_of

    table = sa.table("work_urls", sa.column("work_id"), sa.column("url_hash"))
    last = ""
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, source_urls FROM works WHERE id > :last AND source_urls <> '[]' ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        values = [{"work_id": r.id, "url_hash": h} for r in rows for h in sorted(hashes_of(r.source_urls))]
        if values:
            conn.execute(sa.insert(table), values)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_work_urls_url_hash", table_name="work_urls")
    op.drop_table("work_urls")
