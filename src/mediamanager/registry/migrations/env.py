"""Alembic environment for the registry database: runs on a given connection or on sqlalchemy.url.

One database holds the registry's tables and the provenance manifest repository (revisions ``0002``
and ``0003``), so autogenerate and ``alembic check`` compare against both MetaData objects. Only this
migration script imports provenance; the registry library itself never does.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from mediamanager.provenance.repository import metadata as provenance_metadata
from mediamanager.registry.store.ledger_tables import ledger_metadata
from mediamanager.registry.store.tables import metadata as registry_metadata

config = context.config
target_metadata = [registry_metadata, provenance_metadata, ledger_metadata]


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs table rebuilds for ALTERs
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
