"""Every lookup answer reports each matched work's dispute state, the same in process, over HTTP and in a snapshot.

One database holds a pair of claims (earlier: Ann, later: Lee) in each state, plus a work that was
never disputed; the expectations are written out by hand from the lifecycle rules (30-day deadline,
lapsed only when unanswered past it, outcomes relative to the earlier/later registration).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.loopback import serve_registry
from tests.registry.conftest import T0, Clock

from mediamanager.client import RegistryApi
from mediamanager.errors import RegistryUnavailableError
from mediamanager.lookup import LookupQuery, LookupResult
from mediamanager.model import MediaType
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.client import LocalRegistryClient
from mediamanager.registry.disputes import DisputeService
from mediamanager.registry.records import WorkInput
from mediamanager.registry.snapshot import export_snapshot
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService
from mediamanager.scan.clients import SnapshotRegistryClient
from mediamanager.settings import Settings

LOOKUP_AT = T0 + timedelta(days=31)  # one day past the deadline of the pairs opened at T0
SHA = {
    name: c * 64
    for name, c in zip(("open", "answered", "lapsed", "withdrawn", "resolved", "none"), "abcdef", strict=True)
}
EVIDENCE = "private: my negatives are in the safe"

D30 = "2026-02-09T12:00:00+00:00"  # T0 + 30 days
D40 = "2026-02-19T12:00:00+00:00"  # the open pair was registered 10 days later

# item -> owner name -> (disputed, claimants, dispute)
EXPECTED: dict[str, dict[str, tuple[bool, int, dict[str, Any] | None]]] = {
    "open": {
        "Ann": (True, 2, {"state": "open", "deadline_at": D40, "role": "earlier", "outcome": None}),
        "Lee": (True, 2, {"state": "open", "deadline_at": D40, "role": "later", "outcome": None}),
    },
    "answered": {
        "Ann": (True, 2, {"state": "answered", "deadline_at": D30, "role": "earlier", "outcome": None}),
        "Lee": (True, 2, {"state": "answered", "deadline_at": D30, "role": "later", "outcome": None}),
    },
    "lapsed": {
        "Ann": (False, 0, {"state": "lapsed", "deadline_at": D30, "role": "earlier", "outcome": None}),
        "Lee": (False, 0, {"state": "lapsed", "deadline_at": D30, "role": "later", "outcome": None}),
    },
    "withdrawn": {
        "Ann": (
            False,
            0,
            {"state": "withdrawn", "deadline_at": D30, "role": "earlier", "outcome": "earlier"},
        ),
        "Lee": (False, 0, {"state": "withdrawn", "deadline_at": D30, "role": "later", "outcome": "earlier"}),
    },
    "resolved": {
        "Ann": (False, 0, {"state": "resolved", "deadline_at": D30, "role": "earlier", "outcome": "later"}),
        "Lee": (False, 0, {"state": "resolved", "deadline_at": D30, "role": "later", "outcome": "later"}),
    },
    "none": {"Ann": (False, 0, None)},
}
QUERIES = [LookupQuery(name, sha256=sha) for name, sha in SHA.items()]


@pytest.fixture
def cuow(db_url: str, clock: Clock) -> Iterator[UnitOfWork]:
    settings = Settings(db_url=db_url)
    engine = make_engine(db_url)
    upgrade_schema(engine)
    uow = UnitOfWork(engine, settings, clock=clock)
    _populate(uow, clock)
    clock.now = LOOKUP_AT
    yield uow
    engine.dispose()


def _populate(uow: UnitOfWork, clock: Clock) -> None:
    accounts, works, disputes = AccountService(uow), WorkService(uow), DisputeService(uow)
    ann, lee = accounts.create_owner("Ann")[0], accounts.create_owner("Lee")[0]
    ids = {}
    for name in ("answered", "lapsed", "withdrawn", "resolved", "open", "none"):
        clock.now = T0 + timedelta(days=10) if name == "open" else T0
        works.register_work(ann, WorkInput(MediaType.TEXT, sha256=SHA[name], title=name))
        if name != "none":
            [d] = works.register_work(lee, WorkInput(MediaType.TEXT, sha256=SHA[name], title=name)).disputes
            ids[name] = d.id
    clock.now = T0 + timedelta(days=2)
    disputes.respond(lee, ids["answered"], EVIDENCE)
    disputes.respond(ann, ids["lapsed"], EVIDENCE)  # the earlier party's evidence does not answer it
    disputes.withdraw(lee, ids["withdrawn"])
    disputes.resolve(ann, ids["resolved"], "later")
    disputes.resolve(lee, ids["resolved"], "later")


def _seen(results: list[LookupResult]) -> dict[str, dict[str, tuple[bool, int, dict[str, Any] | None]]]:
    return {
        r.item_id: {
            m.owner_name: (
                m.disputed,
                len(m.claimants),
                None if m.dispute is None else m.dispute.to_dict(),
            )
            for m in r.matches
        }
        for r in results
    }


def test_local_http_and_snapshot_lookups_report_each_dispute_state(
    cuow: UnitOfWork, clock: Clock, db_url: str, tmp_path: Path
) -> None:
    local = LocalRegistryClient(cuow).lookup(QUERIES)
    assert _seen(local) == EXPECTED

    with serve_registry(db_url) as server:
        app = server.app
        app.state.uow = UnitOfWork(app.state.engine, app.state.settings, clock=clock)  # the lookup's clock
        with RegistryApi(server.url, "") as anon:  # anonymous: what anyone may learn
            remote = anon.lookup(QUERIES)
        raw = httpx.post(f"{server.url}/lookup", json={"items": [{"id": "x", "sha256": SHA["answered"]}]})
    assert _seen(remote) == EXPECTED
    assert [[m.to_dict() for m in r.matches] for r in remote] == [
        [m.to_dict() for m in r.matches] for r in local
    ]
    wire = {m["owner_name"]: m["dispute"] for m in raw.json()["results"][0]["matches"]}
    assert wire == {"Ann": EXPECTED["answered"]["Ann"][2], "Lee": EXPECTED["answered"]["Lee"][2]}
    assert EVIDENCE not in raw.text and "proposal" not in raw.text and "closed" not in raw.text

    out = tmp_path / "snap"
    export_snapshot(cuow, out)  # the states as of the export (LOOKUP_AT): the lapsed pair has lapsed
    clock.now = T0  # a snapshot does not change with the reader's clock
    snap = SnapshotRegistryClient(out).lookup(QUERIES)
    assert _seen(snap) == EXPECTED
    assert [[m.to_dict() for m in r.matches] for r in snap] == [
        [m.to_dict() for m in r.matches] for r in local
    ]


def test_a_snapshot_without_the_dispute_column_is_refused(cuow: UnitOfWork, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    export_snapshot(cuow, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format_version"] == 4
    manifest["format_version"] = 2  # a version-2 snapshot has no dispute column: never read as "no dispute"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegistryUnavailableError, match="format version 2 is not supported"):
        SnapshotRegistryClient(out).lookup(QUERIES)


def test_a_live_dispute_is_reported_before_a_newer_closed_one(db_url: str, clock: Clock) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    uow = UnitOfWork(engine, Settings(db_url=db_url), clock=clock)
    try:
        accounts, works = AccountService(uow), WorkService(uow)
        ann, lee, max_ = (accounts.create_owner(n)[0] for n in ("Ann", "Lee", "Max"))
        sha = "9" * 64
        works.register_work(ann, WorkInput(MediaType.TEXT, sha256=sha))
        works.register_work(lee, WorkInput(MediaType.TEXT, sha256=sha))  # Ann-Lee, open
        clock.now = T0 + timedelta(days=1)
        later = works.register_work(max_, WorkInput(MediaType.TEXT, sha256=sha)).disputes
        for d in later:  # Max withdraws from both of his (newer) disputes
            DisputeService(uow).withdraw(max_, d.id)
        [result] = LocalRegistryClient(uow).lookup([LookupQuery("q", sha256=sha)])
        seen = {
            m.owner_name: (m.disputed, m.claimants == (), m.dispute and m.dispute.state)
            for m in result.matches
        }
        assert seen == {
            "Ann": (True, False, "open"),
            "Lee": (True, False, "open"),
            "Max": (False, True, "withdrawn"),
        }
    finally:
        engine.dispose()
