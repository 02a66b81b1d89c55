"""The registry's SQL store: tables, engine construction and schema migration."""

from mediamanager.registry.store.engine import make_engine, upgrade_schema

__all__ = ["make_engine", "upgrade_schema"]
