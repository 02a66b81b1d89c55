"""Build the registry's SQLAlchemy engine and bring its schema up to date with Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from mediamanager.errors import RegistryUnavailableError

__all__ = ["MIGRATIONS_DIR", "WRITE", "make_engine", "upgrade_schema"]

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"

# Execution option marking a connection that will write. On SQLite such a
# connection starts with BEGIN IMMEDIATE, so two writers queue on the busy
# timeout instead of failing when a read lock cannot be upgraded.
WRITE = "mediamanager_write"


def make_engine(url: str, *, echo: bool = False) -> sa.Engine:
    """An engine for ``url`` (SQLite file or ``postgresql+psycopg://``), tuned for concurrent use."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise RegistryUnavailableError(f"not a database URL: {url!r} ({exc})") from None
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
        engine = sa.create_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.update(pool_size=10, max_overflow=30, pool_pre_ping=True)
    return sa.create_engine(url, **kwargs)


def _tune_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see WRITE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


def upgrade_schema(engine: sa.Engine, revision: str = "head") -> None:
    """Create or upgrade the registry schema to ``revision`` with Alembic (SQLite and PostgreSQL)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except sa.exc.OperationalError as exc:
        raise RegistryUnavailableError(f"cannot open the registry database: {exc.orig}") from None
