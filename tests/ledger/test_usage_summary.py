"""``LedgerService.usage_summary``: the owner's usage totalled per scan and per work, in SQL.

Events are appended as scan submissions record them; every expected figure is summed by hand.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mediamanager.errors import NotFoundError
from mediamanager.ledger.events import WorkUsage
from mediamanager.model import MediaType
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.ledger import LedgerService
from mediamanager.registry.records import Owner, WorkInput
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService
from mediamanager.settings import Settings


@pytest.fixture
def uow(db_url: str) -> Iterator[UnitOfWork]:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    yield UnitOfWork(engine, Settings(db_url=db_url))
    engine.dispose()


def _submit(uow: UnitOfWork, builder: Owner, n: int, when: str, usage: list[WorkUsage]) -> None:
    sub = {"id": f"sub{n}", "scan_id": f"scan{n}", "builder_id": builder.id, "dataset": "photos",
           "dataset_version": f"v{n}", "purpose": "genai-train", "scan_time": when}  # fmt: skip
    with uow.write(builder.id) as tx:
        LedgerService.append_events(tx.conn, sub, usage)


def test_usage_summary_totals_per_scan_and_per_work(uow: UnitOfWork) -> None:
    accounts = AccountService(uow)
    alice, bob, lab = (accounts.create_owner(n)[0] for n in ("Alice", "Bob", "Lab"))
    w1 = (
        WorkService(uow).register_work(alice, WorkInput(MediaType.TEXT, sha256="1" * 64, title="One")).work.id
    )
    w2 = (
        WorkService(uow).register_work(alice, WorkInput(MediaType.TEXT, sha256="2" * 64, title="Two")).work.id
    )
    wb = (
        WorkService(uow).register_work(bob, WorkInput(MediaType.TEXT, sha256="3" * 64, title="Bob's")).work.id
    )

    def u(work: str, owner: Owner, decision: str, items: int) -> WorkUsage:
        return WorkUsage(work, owner.id, decision, None, "sha256", 1.0, None, [f"i{k}" for k in range(items)])

    _submit(uow, lab, 1, "2026-10-31T23:30:00-02:00", [  # 2026-11-01 01:30 UTC
        u(w1, alice, "kept-under-licence", 3), u(w2, alice, "kept-under-licence", 1), u(w2, alice, "dropped", 2),
        u(wb, bob, "dropped", 7),
    ])  # fmt: skip
    _submit(uow, lab, 2, "2026-12-02T10:00:00+00:00", [u(w1, alice, "kept-as-allowed", 4)])
    ledger = LedgerService(uow)
    s = ledger.usage_summary(alice)
    scans = [(r["scan_id"], r["dataset_version"], r["builder_name"], r["decision"], r["items"], r["works"])
             for r in s["scans"]]  # fmt: skip
    assert scans == [
        ("scan1", "v1", "Lab", "dropped", 2, 1),
        ("scan1", "v1", "Lab", "kept-under-licence", 4, 2),
        ("scan2", "v2", "Lab", "kept-as-allowed", 4, 1),
    ]
    works = [(r["work_id"], r["title"], r["decision"], r["items"], r["scans"]) for r in s["works"]]
    assert sorted(works) == sorted([
        (w1, "One", "kept-as-allowed", 4, 1), (w1, "One", "kept-under-licence", 3, 1),
        (w2, "Two", "dropped", 2, 1), (w2, "Two", "kept-under-licence", 1, 1),
    ])  # fmt: skip
    one = ledger.usage_summary(alice, work_id=w2)
    assert [(r["scan_id"], r["decision"], r["items"]) for r in one["scans"]] == [
        ("scan1", "dropped", 2),
        ("scan1", "kept-under-licence", 1),
    ]
    assert [r["work_id"] for r in one["works"]] == [w2, w2]
    with pytest.raises(NotFoundError):
        ledger.usage_summary(alice, work_id=wb)  # Bob's work: not Alice's to read
    assert ledger.usage_summary(lab) == {"scans": [], "works": []}  # a builder owns none of these works
