"""D13: collection names, domain patterns and work ids stay with the owner; snapshots export less."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from mediamanager.lookup import LookupQuery
from mediamanager.model import MediaType, Purpose, parse_preference_spec
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.preferences import PreferenceService
from mediamanager.registry.records import Owner, WorkInput
from mediamanager.registry.snapshot import export_snapshot
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService

SECRETS = ("a-private-coll", "alice.example", "private/")


def _private_work(uow: UnitOfWork, alice: Owner) -> str:
    prefs = PreferenceService(uow)
    prefs.set_preferences(alice, "collection", "a-private-coll", parse_preference_spec("genai-train=deny"))
    prefs.set_preferences(alice, "domain", "alice.example/private/*", parse_preference_spec("search=allow"))
    data = WorkInput(
        MediaType.TEXT,
        sha256="e" * 64,
        title="Notes",
        collection="a-private-coll",
        source_urls=("https://alice.example/private/notes.txt",),
    )
    return WorkService(uow).register_work(alice, data).work.id


def test_anonymous_lookup_names_levels_not_targets(uow: UnitOfWork, alice: Owner) -> None:
    work_id = _private_work(uow, alice)
    [result] = LookupService(uow).lookup([LookupQuery("q", "e" * 64)])
    [match] = result.matches
    rules = match.preferences.rules
    assert [e.location for e in rules[Purpose.GENAI_TRAIN].evidence] == ["collection"]
    assert [e.location for e in rules[Purpose.SEARCH].evidence] == ["domain"]
    text = json.dumps(match.to_dict())
    assert [s for s in SECRETS if s in text] == []
    own = PreferenceService(uow).work_preferences(alice, work_id).rules
    assert [e.location for e in own[Purpose.GENAI_TRAIN].evidence] == ["collection:a-private-coll"]
    assert [e.location for e in own[Purpose.SEARCH].evidence] == ["domain:alice.example/private/*"]


def test_snapshot_hides_targets_exports_only_owners_with_works_and_dedupes(
    uow: UnitOfWork, alice: Owner, bob: Owner, tmp_path: Path
) -> None:
    _private_work(uow, alice)
    for i in range(5):  # same work-level preferences on five works, stated one by one
        data = WorkInput(
            MediaType.TEXT, sha256=f"{i:064x}", preferences=parse_preference_spec("ai-train=deny")
        )
        WorkService(uow).register_work(alice, data)
    AccountService(uow).create_owner("Bot with no works")
    out = tmp_path / "snap"
    export_snapshot(uow, out)
    owners = [json.loads(line)["display_name"] for line in (out / "owners.jsonl").read_text().splitlines()]
    assert owners == ["Alice"]  # bob and the bot registered nothing
    table = pa.ipc.open_file(str(out / "preferences.arrow")).read_all()
    docs = table.column("json").to_pylist()
    assert len(docs) == 2  # the private work's, and one shared by the five
    assert [s for s in SECRETS if any(s in d for d in docs)] == []
    assert sorted(
        {e["location"] for d in docs for r in json.loads(d)["rules"].values() for e in r["evidence"]}
    ) == [
        "collection",
        "domain",
        "work",
    ]
    assert bob.id not in (out / "owners.jsonl").read_text()
