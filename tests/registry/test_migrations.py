"""The Alembic history matches the code's tables: no drift after ``upgrade head`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.util.exc import CommandError

from mediamanager.provenance.repository import metadata as provenance_metadata
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.store.engine import MIGRATIONS_DIR
from mediamanager.registry.store.ledger_tables import ledger_metadata
from mediamanager.registry.store.tables import metadata as registry_metadata


def _config(engine: sa.Engine, conn: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["connection"] = conn
    return cfg


def test_no_drift_after_upgrade_head(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_schema(engine)
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn), [registry_metadata, provenance_metadata, ledger_metadata]
            )
            assert diff == [], f"schema drift between the migrations and the tables: {diff}"
            tables = set(sa.inspect(conn).get_table_names())
        assert {"owners", "works", "provenance_manifests", "provenance_soft_bindings"} <= tables
        with engine.begin() as conn:
            command.check(_config(engine, conn))  # env.py's target_metadata: both MetaData objects
    finally:
        engine.dispose()


def test_check_detects_drift_when_a_migration_is_missing(db_url: str) -> None:
    """At revision 0002 the ``owner_id`` column is missing: the comparison must say so (it can fail)."""
    engine = make_engine(db_url)
    try:
        upgrade_schema(engine, "0002")
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn), [registry_metadata, provenance_metadata, ledger_metadata]
            )
        assert any(d[0] == "add_column" and d[3].name == "owner_id" for d in diff if isinstance(d, tuple)), (
            diff
        )
        with engine.begin() as conn, pytest.raises(CommandError, match="not up to date"):
            command.check(_config(engine, conn))
        upgrade_schema(engine)  # and 0003 applies on top of a real 0002 database
    finally:
        engine.dispose()


def test_downgrade_to_0002_and_back(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_schema(engine)
        with engine.begin() as conn:
            command.downgrade(_config(engine, conn), "0002")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("provenance_manifests")}
        assert "owner_id" not in columns
        upgrade_schema(engine)
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("provenance_manifests")}
        assert "owner_id" in columns
    finally:
        engine.dispose()


def test_0004_gives_existing_disputes_a_deadline_and_owners_no_operator_role(db_url: str) -> None:
    """A dispute opened before 0004 is ``open`` with a deadline 30 days after it opened; downgrade drops it all."""
    from datetime import UTC, datetime, timedelta

    from mediamanager.registry.store.tables import disputes, owners, works

    engine = make_engine(db_url)
    opened = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    try:
        upgrade_schema(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO owners (id, kind, display_name, created_at) VALUES (:i, 'person', :i, :t)"
                ),
                [{"i": "o1", "t": opened}, {"i": "o2", "t": opened}],
            )
            for wid, oid in (("w1", "o1"), ("w2", "o2")):
                conn.execute(
                    sa.text(
                        "INSERT INTO works (id, owner_id, media_type, sha256, created_at, updated_at)"
                        " VALUES (:w, :o, 'text', :s, :t, :t)"
                    ),
                    {"w": wid, "o": oid, "s": "f" * 64, "t": opened},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO disputes (id, work_a, work_b, kind, score, created_at)"
                    " VALUES ('d1', 'w2', 'w1', 'sha256', 1.0, :t)"
                ),
                {"t": opened},
            )
        upgrade_schema(engine)
        with engine.connect() as conn:
            row = conn.execute(sa.select(disputes.c.status, disputes.c.deadline_at)).one()
            flags = conn.execute(sa.select(owners.c.operator)).scalars().all()
            assert conn.execute(sa.select(sa.func.count()).select_from(works)).scalar_one() == 2
        assert (row.status, row.deadline_at) == ("open", opened + timedelta(days=30))
        assert flags == [False, False]
        with engine.begin() as conn:
            command.downgrade(_config(engine, conn), "0003")
        with engine.connect() as conn:
            assert "deadline_at" not in {c["name"] for c in sa.inspect(conn).get_columns("disputes")}
            assert "operator" not in {c["name"] for c in sa.inspect(conn).get_columns("owners")}
    finally:
        engine.dispose()


def test_0007_backfills_the_url_index_of_existing_works(db_url: str) -> None:
    """Works registered at 0006 are found by URL after 0007; a non-http URL is kept but not indexed."""
    import hashlib
    import json
    from datetime import UTC, datetime

    engine = make_engine(db_url)
    t = datetime(2026, 6, 1, tzinfo=UTC)
    urls = {
        "w1": ["https://www.Example.org/a/?b=2&a=1", "mailto:x@example.org"],
        "w2": ["http://example.org/a?a=1&b=2"],  # the same page as w1's first URL
        "w3": [],
    }
    try:
        upgrade_schema(engine, "0006")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO owners (id, kind, display_name, created_at) VALUES ('o1', 'person', 'O', :t)"
                ),
                {"t": t},
            )
            for i, (wid, u) in enumerate(urls.items()):
                conn.execute(
                    sa.text(
                        "INSERT INTO works (id, owner_id, media_type, sha256, source_urls, created_at, updated_at)"
                        " VALUES (:w, 'o1', 'text', :s, :u, :t, :t)"
                    ),
                    {"w": wid, "s": str(i) * 64, "u": json.dumps(u), "t": t},
                )
        upgrade_schema(engine, "0007")
        with engine.connect() as conn:
            rows = sorted(conn.execute(sa.text("SELECT work_id, url_hash FROM work_urls")).all())
        page = hashlib.sha256(b"http://example.org/a?a=1&b=2").hexdigest()
        assert [tuple(r) for r in rows] == [("w1", page), ("w2", page)]
        with engine.begin() as conn:
            command.downgrade(_config(engine, conn), "0006")
        with engine.connect() as conn:
            assert "work_urls" not in sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()
