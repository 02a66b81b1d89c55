"""The audit log: every change is chained; editing, deleting or cutting off a row is detected."""

from __future__ import annotations

import sqlalchemy as sa

from mediamanager.model import MediaType, parse_preference_spec
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.preferences import PreferenceService
from mediamanager.registry.records import Owner, WorkInput
from mediamanager.registry.store.tables import audit_log
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService


def _populate(uow: UnitOfWork, alice: Owner, bob: Owner) -> None:
    w = WorkService(uow).register_work(alice, WorkInput(MediaType.TEXT, sha256="a" * 64, title="t"))
    WorkService(uow).register_work(bob, WorkInput(MediaType.TEXT, sha256="a" * 64))  # a disputed claim
    PreferenceService(uow).set_preferences(
        alice, "work", w.work.id, parse_preference_spec("genai-train=deny")
    )
    token = AccountService(uow).create_token(alice, "x")
    AccountService(uow).revoke_token(alice, token.info.id)


def test_every_kind_of_change_is_logged_and_chain_verifies(uow: UnitOfWork, alice: Owner, bob: Owner) -> None:
    _populate(uow, alice, bob)
    actions = [e.action for e in LookupService(uow).audit_entries(limit=1000)]
    for expected in (
        "owner.create",
        "token.create",
        "work.create",
        "claim.dispute",
        "preferences.set",
        "token.revoke",
    ):
        assert expected in actions
    report = LookupService(uow).verify_audit()
    assert report.ok and report.entries == len(actions)


def test_editing_a_row_is_detected(uow: UnitOfWork, alice: Owner, bob: Owner) -> None:
    _populate(uow, alice, bob)
    target = next(e for e in LookupService(uow).audit_entries(limit=1000) if e.action == "preferences.set")
    with uow.engine.begin() as conn:
        conn.execute(
            sa.update(audit_log)
            .where(audit_log.c.seq == target.seq)
            .values(payload=target.to_dict()["payload"].__repr__())
        )
    report = LookupService(uow).verify_audit()
    assert not report.ok and report.first_bad_seq == target.seq and "altered" in (report.problem or "")


def test_deleting_a_row_or_the_tail_is_detected(uow: UnitOfWork, alice: Owner, bob: Owner) -> None:
    _populate(uow, alice, bob)
    entries = LookupService(uow).audit_entries(limit=1000)
    with uow.engine.begin() as conn:
        conn.execute(sa.delete(audit_log).where(audit_log.c.seq == entries[-1].seq))
    report = LookupService(uow).verify_audit()
    assert not report.ok and report.first_bad_seq == entries[-1].seq
    with uow.engine.begin() as conn:
        conn.execute(sa.delete(audit_log).where(audit_log.c.seq == 2))
    report = LookupService(uow).verify_audit()
    assert not report.ok and report.first_bad_seq == 2 and "missing" in (report.problem or "")
