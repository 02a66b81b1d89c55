"""The dispute lifecycle on SQLite and PostgreSQL: respond, withdraw, resolve, lapse, who may act."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from tests.registry.conftest import T0, Clock

from mediamanager.errors import ConflictError, InputError, NotFoundError
from mediamanager.lookup import LookupQuery
from mediamanager.model import MediaType
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.disputes import DisputeService
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.records import Owner, WorkInput
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService
from mediamanager.settings import Settings

SHA = "c" * 64


@pytest.fixture
def cuow(settings: Settings, clock: Clock) -> Iterator[UnitOfWork]:
    engine = make_engine(settings.db_url)
    upgrade_schema(engine)
    yield UnitOfWork(engine, settings, clock=clock)
    engine.dispose()


def _parties(uow: UnitOfWork) -> tuple[Owner, Owner, str]:
    """Earlier (Ann) and later (Lee) registrants of the same content, and their dispute's id."""
    accounts = AccountService(uow)
    ann = accounts.create_owner("Ann")[0]
    lee = accounts.create_owner("Lee")[0]
    WorkService(uow).register_work(ann, WorkInput(MediaType.TEXT, sha256=SHA, title="first"))
    reg = WorkService(uow).register_work(lee, WorkInput(MediaType.TEXT, sha256=SHA, title="second"))
    assert len(reg.disputes) == 1
    return ann, lee, reg.disputes[0].id


def _disputed(uow: UnitOfWork) -> list[tuple[bool, int]]:
    [result] = LookupService(uow).lookup([LookupQuery("q", SHA)])
    return sorted((m.disputed, len(m.claimants)) for m in result.matches)


def _actions(uow: UnitOfWork) -> list[str]:
    return [e.action for e in LookupService(uow).audit_entries(limit=1000) if e.action.startswith("dispute.")]


def test_answer_then_both_parties_agree_resolves_it(cuow: UnitOfWork, clock: Clock) -> None:
    ann, lee, did = _parties(cuow)
    disputes = DisputeService(cuow)
    d = disputes.get_dispute(lee, did)
    assert (d.role, d.state, d.deadline_at) == ("later", "open", T0 + timedelta(days=30))
    assert _disputed(cuow) == [(True, 2), (True, 2)]
    clock.now = T0 + timedelta(days=3)
    d = disputes.respond(lee, did, "published it in 2019 at https://lee.example/p")
    assert (d.state, d.my_evidence) == ("answered", "published it in 2019 at https://lee.example/p")
    seen_by_ann = disputes.get_dispute(ann, did)
    assert (seen_by_ann.role, seen_by_ann.their_evidence) == ("earlier", d.my_evidence)
    assert disputes.resolve(ann, did, "shared").state == "answered"  # one proposal is not an agreement
    clock.now = T0 + timedelta(days=40)  # answered: the deadline no longer applies
    assert disputes.resolve(lee, did, "later").state == "answered"  # they disagree
    done = disputes.resolve(lee, did, "shared")
    assert (done.state, done.outcome, done.closed_at) == ("resolved", "shared", clock.now)
    assert _disputed(cuow) == [(False, 0), (False, 0)]
    assert {w.status for o in (ann, lee) for w in WorkService(cuow).list_works(o)} == {"active"}
    with pytest.raises(ConflictError):
        disputes.withdraw(ann, did)
    assert _actions(cuow) == [
        "dispute.respond",
        "dispute.propose",
        "dispute.propose",
        "dispute.propose",
        "dispute.resolve",
    ]
    assert LookupService(cuow).verify_audit().ok


def test_an_unanswered_claim_lapses_at_its_deadline(cuow: UnitOfWork, clock: Clock) -> None:
    ann, lee, did = _parties(cuow)
    disputes = DisputeService(cuow)
    disputes.respond(ann, did, "my original files")  # the earlier party's evidence does not answer it
    clock.now = T0 + timedelta(days=30)
    assert disputes.get_dispute(ann, did).state == "open"
    assert _disputed(cuow) == [(True, 2), (True, 2)]
    clock.now = T0 + timedelta(days=30, seconds=1)
    assert disputes.get_dispute(ann, did).state == "lapsed"
    assert [d.state for d in disputes.list_disputes(lee)] == ["lapsed"]
    assert _disputed(cuow) == [(False, 0), (False, 0)]
    for act in (
        lambda: disputes.respond(lee, did, "too late"),
        lambda: disputes.withdraw(lee, did),
        lambda: disputes.resolve(ann, did, "earlier"),
    ):
        with pytest.raises(ConflictError, match="lapsed"):
            act()


def test_withdrawing_ones_claim_lets_the_other_stand(cuow: UnitOfWork) -> None:
    _ann, lee, did = _parties(cuow)
    d = DisputeService(cuow).withdraw(lee, did)
    assert (d.state, d.outcome) == ("withdrawn", "earlier")
    assert _disputed(cuow) == [(False, 0), (False, 0)]
    assert _actions(cuow) == ["dispute.withdraw"]


def test_only_the_parties_or_an_operator_can_act(cuow: UnitOfWork) -> None:
    ann, _lee, did = _parties(cuow)
    accounts = AccountService(cuow)
    carol = accounts.create_owner("Carol")[0]
    disputes = DisputeService(cuow)
    for act in (
        lambda: disputes.get_dispute(carol, did),
        lambda: disputes.respond(carol, did, "mine"),
        lambda: disputes.withdraw(carol, did),
        lambda: disputes.resolve(carol, did, "later"),
        lambda: disputes.get_dispute(ann, "0" * 32),
    ):
        with pytest.raises(NotFoundError):
            act()
    assert disputes.list_disputes(carol) == []
    operator = accounts.set_operator(carol.id)
    assert operator.operator and accounts.get_owner(carol.id).operator
    with pytest.raises(ConflictError):
        disputes.respond(operator, did, "not a party")
    with pytest.raises(InputError):
        disputes.resolve(operator, did, "mine")
    d = disputes.resolve(operator, did, "later")
    assert (d.role, d.state, d.outcome) == ("operator", "resolved", "later")
    assert disputes.get_dispute(ann, did).state == "resolved"
    assert _actions(cuow) == ["dispute.resolve"]


def test_an_operator_may_settle_a_lapsed_dispute(cuow: UnitOfWork, clock: Clock) -> None:
    _ann, _lee, did = _parties(cuow)
    carol = AccountService(cuow).set_operator(AccountService(cuow).create_owner("Carol")[0].id)
    clock.now = T0 + timedelta(days=31)
    d = DisputeService(cuow).resolve(carol, did, "earlier")
    assert (d.state, d.outcome) == ("resolved", "earlier")
