"""Fixtures shared by the whole suite: where the third-party test data lives, and the databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.loopback import LiveServer, serve_registry

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = Path(os.environ.get("MEDIAMANAGER_TEST_DATA", REPO.parent / "shared" / "test-data")).resolve()
POSTGRES_ADMIN_URL = os.environ.get(
    "MEDIAMANAGER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The shared third-party test data (../shared/test-data), read in place, never copied."""
    if not TEST_DATA.is_dir():
        pytest.fail(f"third-party test data not found at {TEST_DATA}; set MEDIAMANAGER_TEST_DATA")
    return TEST_DATA


def _postgres_database() -> Iterator[str]:
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"mm_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the suite must say what is missing, not skip silently
        pytest.fail(f"PostgreSQL is required at {POSTGRES_ADMIN_URL} ({exc}); scripts/setup.sh starts it")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: an SQLite file, then a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def live_registry(db_url: str) -> Iterator[LiveServer]:
    """The real registry API on uvicorn at 127.0.0.1 over a fresh database (SQLite, then PostgreSQL)."""
    with serve_registry(db_url) as server:
        yield server
