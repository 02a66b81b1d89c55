"""A dispute's steps, read back from the audit chain: only the parties (and operators) may read them."""

from __future__ import annotations

import pytest

from mediamanager.errors import NotFoundError
from mediamanager.model import MediaType
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.disputes import DisputeService
from mediamanager.registry.records import WorkInput
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService


def test_history_lists_every_step_in_chain_order_for_the_parties_only(uow: UnitOfWork) -> None:
    accounts = AccountService(uow)
    ann, lee, eve = (accounts.create_owner(n)[0] for n in ("Ann", "Lee", "Eve"))
    WorkService(uow).register_work(ann, WorkInput(MediaType.TEXT, sha256="d" * 64, title="first"))
    WorkService(uow).register_work(eve, WorkInput(MediaType.TEXT, sha256="e" * 64, title="other"))
    reg = WorkService(uow).register_work(lee, WorkInput(MediaType.TEXT, sha256="d" * 64, title="second"))
    did = reg.disputes[0].id
    disputes = DisputeService(uow)
    disputes.respond(lee, did, "mine since 2019")
    disputes.resolve(ann, did, "shared")
    disputes.resolve(lee, did, "shared")

    steps = disputes.history(ann, did)
    assert [(e.action, e.actor) for e in steps] == [
        ("claim.dispute", lee.id),
        ("dispute.respond", lee.id),
        ("dispute.propose", ann.id),
        ("dispute.propose", lee.id),
        ("dispute.resolve", lee.id),
    ]
    assert steps[1].payload["evidence"] == "mine since 2019"
    seqs = [e.seq for e in steps]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    assert [e.seq for e in disputes.history(lee, did)] == [e.seq for e in steps]
    with pytest.raises(NotFoundError):
        disputes.history(eve, did)
    with pytest.raises(NotFoundError):
        disputes.history(ann, "0" * 32)
