"""A real registry (SQLite) of State of the Union addresses and e-mails, exported as a snapshot."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Owner terms for ai-input, written from the rules (docs/guard.md), one owner each.
TERMS = {
    "deny": "ai-input=deny",
    "cite": "ai-input=allow-if:attribution",
    "allow": "ai-input=allow",
    "unknown": "genai-train=deny",  # says nothing about ai-input
}

# Where the denying and the citing owners published their texts (matched by URL, in normal form).
SOURCE_URLS = {
    "deny": ("https://speeches.example.org/sotu/deny?year=1&lang=en",),
    "cite": ("https://speeches.example.org/sotu/cite/",),
}


@dataclass
class GuardRegistry:
    snapshot: Path
    db_url: str
    texts: dict[str, str]  # term -> registered text
    works: dict[str, str]  # term -> work id
    owners: dict[str, str]  # term -> owner display name
    sotu: list[dict[str, Any]]
    mails: list[dict[str, Any]]


def load_jsonl_gz(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="session")
def sotu(test_data: Path) -> list[dict[str, Any]]:
    return load_jsonl_gz(test_data / "text-sotu" / "corpus.jsonl.gz")


@pytest.fixture(scope="session")
def mails(test_data: Path) -> list[dict[str, Any]]:
    return load_jsonl_gz(test_data / "text-spamassassin" / "corpus.jsonl.gz")


@pytest.fixture(scope="session")
def guard_registry(
    tmp_path_factory: pytest.TempPathFactory, sotu: list[dict[str, Any]], mails: list[dict[str, Any]]
) -> GuardRegistry:
    from mediamanager.model import parse_preference_spec
    from mediamanager.registry.accounts import AccountService
    from mediamanager.registry.snapshot import export_snapshot
    from mediamanager.registry.store.engine import make_engine, upgrade_schema
    from mediamanager.registry.uow import UnitOfWork
    from mediamanager.registry.works import WorkService

    tmp = tmp_path_factory.mktemp("guard-registry")
    db_url = f"sqlite:///{tmp / 'registry.db'}"
    engine = make_engine(db_url)
    upgrade_schema(engine)
    uow = UnitOfWork(engine)
    picks = {"deny": sotu[200], "cite": sotu[210], "allow": sotu[220], "unknown": sotu[230]}
    texts, works, owners = {}, {}, {}
    for term, doc in picks.items():
        name = f"{doc['president']} estate ({term})"
        owner, _ = AccountService(uow).create_owner(name)
        reg = WorkService(uow).register_content(
            owner, doc["text"].encode(), filename=f"{term}.txt", title=f"State of the Union {doc['year']}",
            preferences=parse_preference_spec(TERMS[term]), source_urls=SOURCE_URLS.get(term, ()),
        )  # fmt: skip
        texts[term], works[term], owners[term] = doc["text"], reg.work.id, name
    snapshot = tmp / "snapshot"
    export_snapshot(uow, snapshot)
    engine.dispose()
    return GuardRegistry(snapshot, db_url, texts, works, owners, sotu, mails)
