"""Fixtures for registry tests: a migrated unit of work on each database, owners, generated content."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from mediamanager.registry.accounts import AccountService
from mediamanager.registry.records import Owner
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.uow import UnitOfWork
from mediamanager.settings import Settings

_VOCAB = [f"w{i}x{(i * 7919) % 1000}" for i in range(3000)]


def make_text(seed: int, words: int = 400) -> str:
    """Seeded prose-like text with a large vocabulary, so unrelated texts share few shingles."""
    rng = random.Random(seed)
    return " ".join(rng.choice(_VOCAB) for _ in range(words))


def edit_text(text: str, seed: int, rate: float = 0.03, keep: float = 0.85) -> str:
    rng = random.Random(seed)
    words = text.split()
    words = [rng.choice(_VOCAB) if rng.random() < rate else w for w in words]
    return "header words here " + " ".join(words[: int(len(words) * keep)])


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        db_url=db_url,
        verification_scheme="http",
        verification_timeout_s=2.0,
        verification_allow_loopback=True,
    )


@pytest.fixture
def uow(settings: Settings) -> Iterator[UnitOfWork]:
    engine = make_engine(settings.db_url)
    upgrade_schema(engine)
    yield UnitOfWork(engine, settings)
    engine.dispose()


@pytest.fixture
def alice(uow: UnitOfWork) -> Owner:
    return AccountService(uow).create_owner("Alice", email="alice@example.org")[0]


@pytest.fixture
def bob(uow: UnitOfWork) -> Owner:
    return AccountService(uow).create_owner("Bob Org", kind="organisation")[0]


T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


class Clock:
    """A settable clock for a :class:`UnitOfWork` (dispute deadlines, expiry)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()
