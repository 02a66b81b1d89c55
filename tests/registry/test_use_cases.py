"""The registry's use cases on SQLite and PostgreSQL: tokens, works, preferences, lookup, disputes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from tests.registry.conftest import edit_text, make_text

from mediamanager.errors import AuthError, ConflictError, InputError, InvalidFingerprintError, NotFoundError
from mediamanager.fingerprint import fingerprint_content
from mediamanager.lookup import LookupQuery
from mediamanager.model import Fingerprint, MediaType, Purpose, Use, parse_preference_spec
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.client import LocalRegistryClient
from mediamanager.registry.disputes import DisputeService
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.preferences import PreferenceService
from mediamanager.registry.records import Owner, WorkInput
from mediamanager.registry.store import upgrade_schema
from mediamanager.registry.store.engine import MIGRATIONS_DIR
from mediamanager.registry.store.tables import tokens, works
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService


def _count(uow: UnitOfWork, table: sa.Table) -> int:
    with uow.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _input(text: str, **kw: object) -> WorkInput:
    fp = fingerprint_content(text.encode(), filename="w.txt")
    return WorkInput(
        media_type=fp.media_type, sha256=fp.sha256, iscc=fp.iscc, fingerprints=fp.fingerprints, **kw
    )  # type: ignore[arg-type]


def test_alembic_creates_schema_at_0001_and_upgrade_is_idempotent(uow: UnitOfWork) -> None:
    upgrade_schema(uow.engine)  # second run: nothing to do, no error
    with uow.engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
        names = set(sa.inspect(conn).get_table_names())
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert set(heads) == set(script.get_heads())
    first = script.get_revision("0001")
    assert first is not None and first.down_revision is None
    assert {
        "owners",
        "tokens",
        "works",
        "fingerprints",
        "preferences",
        "disputes",
        "domains",
        "audit_log",
    } <= names


def test_tokens_are_stored_hashed_and_can_be_revoked(uow: UnitOfWork) -> None:
    owner, token = AccountService(uow).create_owner("Carol")
    assert AccountService(uow).authenticate(token.secret).id == owner.id
    with uow.engine.connect() as conn:
        stored = conn.execute(sa.select(tokens.c.token_hash)).scalars().all()
    assert token.secret not in stored and all(len(h) == 64 for h in stored)
    second = AccountService(uow).create_token(owner, "laptop")
    AccountService(uow).revoke_token(owner, token.info.id)
    try:
        AccountService(uow).authenticate(token.secret)
        raise AssertionError("a revoked token must not authenticate")
    except AuthError as exc:
        assert "revoked" in str(exc)
    assert AccountService(uow).authenticate(second.secret).id == owner.id
    for bad in (None, "", "mm_not-a-token"):
        try:
            AccountService(uow).authenticate(bad)
            raise AssertionError("invalid token accepted")
        except AuthError:
            pass


def test_register_then_exact_and_near_duplicate_lookup(uow: UnitOfWork, alice: Owner) -> None:
    text = make_text(1)
    prefs = parse_preference_spec("genai-train=deny,ai-input=allow-if:attribution")
    reg = WorkService(uow).register_work(alice, _input(text, title="Essay", preferences=prefs))
    assert reg.created and reg.work.iscc.startswith("ISCC:") and reg.work.fingerprints
    other = WorkService(uow).register_work(alice, _input(make_text(2), title="Other"))
    copy = fingerprint_content(edit_text(text, 5).encode(), filename="copy.txt")
    results = LocalRegistryClient(uow).lookup(
        [
            LookupQuery("exact", sha256=reg.work.sha256),
            LookupQuery("near", media_type=MediaType.TEXT, fingerprints=copy.fingerprints),
            LookupQuery("none", sha256="0" * 64),
        ]
    )
    assert [m.work_id for m in results[0].matches] == [reg.work.id]
    assert results[0].matches[0].score == 1.0 and results[0].matches[0].kind == "sha256"
    near = results[1].matches
    assert (
        near and near[0].work_id == reg.work.id and near[0].kind == "minhash" and 0.5 < near[0].score <= 1.0
    )
    assert other.work.id not in {m.work_id for m in near}
    assert results[2].matches == ()
    m = results[0].matches[0]
    assert m.owner_name == "Alice" and m.title == "Essay" and not m.disputed
    assert m.preferences.effective(Purpose.GENAI_TRAIN).use is Use.DENY
    rule = m.preferences.effective(Purpose.AI_INPUT)
    assert rule.use is Use.ALLOW_IF and rule.conditions.attribution
    assert rule.evidence[0].source == "registry:work"
    assert m.preferences.effective(Purpose.TDM).use is Use.UNKNOWN  # never a silent allow


def test_another_owners_work_is_not_found(uow: UnitOfWork, alice: Owner, bob: Owner) -> None:
    reg = WorkService(uow).register_work(alice, _input(make_text(3)))
    for call in (
        lambda: WorkService(uow).get_work(bob, reg.work.id),
        lambda: WorkService(uow).update_work(bob, reg.work.id, {"title": "mine now"}),
        lambda: WorkService(uow).delete_work(bob, reg.work.id),
        lambda: PreferenceService(uow).set_preferences(
            bob, "work", reg.work.id, parse_preference_spec("tdm=allow")
        ),
    ):
        try:
            call()
            raise AssertionError("another owner's work must answer NotFound")
        except NotFoundError:
            pass
    assert WorkService(uow).get_work(alice, reg.work.id).title == ""


def test_most_specific_level_wins_with_evidence(uow: UnitOfWork, alice: Owner) -> None:
    PreferenceService(uow).set_preferences(
        alice, "domain", "example.com", parse_preference_spec("tdm=deny,search=allow")
    )
    PreferenceService(uow).set_preferences(
        alice, "domain", "example.com/photos/*", parse_preference_spec("search=deny")
    )
    PreferenceService(uow).set_preferences(
        alice, "collection", "poems", parse_preference_spec("ai-input=allow")
    )
    reg = WorkService(uow).register_work(
        alice,
        _input(make_text(4), collection="poems", source_urls=("https://example.com/photos/1.html",)),
    )
    PreferenceService(uow).set_preferences(alice, "work", reg.work.id, parse_preference_spec("ai-input=deny"))
    eff = PreferenceService(uow).work_preferences(alice, reg.work.id)
    assert eff.effective(Purpose.AI_INPUT).use is Use.DENY
    assert eff.effective(Purpose.AI_INPUT).evidence[0].location == f"work:{reg.work.id}"
    assert eff.effective(Purpose.SEARCH).use is Use.DENY
    assert eff.effective(Purpose.SEARCH).evidence[0].location == "domain:example.com/photos/*"
    assert eff.effective(Purpose.TDM).evidence[0].location == "domain:example.com"
    assert eff.effective(Purpose.GENAI_TRAIN).use is Use.DENY  # tdm deny nests down
    # Removing the work level lets the collection level decide.
    PreferenceService(uow).delete_preferences(alice, "work", reg.work.id)
    eff = PreferenceService(uow).work_preferences(alice, reg.work.id)
    assert eff.effective(Purpose.AI_INPUT).use is Use.ALLOW
    assert eff.effective(Purpose.AI_INPUT).evidence[0].source == "registry:collection"


def test_conflicting_claims_are_disputed_and_visible_to_both(
    uow: UnitOfWork, alice: Owner, bob: Owner
) -> None:
    text = make_text(6)
    a = WorkService(uow).register_work(alice, _input(text))
    b = WorkService(uow).register_work(bob, _input(text))  # exact copy
    c = WorkService(uow).register_work(bob, _input(edit_text(make_text(7), 1, rate=0.0, keep=1.0)))
    near = WorkService(uow).register_work(
        alice, _input(edit_text(make_text(7), 2, rate=0.0, keep=0.98))
    )  # near-duplicate
    assert b.disputes and b.disputes[0].other_owner_name == "Alice" and b.disputes[0].kind == "sha256"
    assert [d.other_work_id for d in DisputeService(uow).list_disputes(alice, work_id=a.work.id)] == [
        b.work.id
    ]
    assert WorkService(uow).get_work(alice, a.work.id).status == "disputed"
    assert (
        near.disputes and near.disputes[0].other_work_id == c.work.id and near.disputes[0].kind == "minhash"
    )
    [res] = LookupService(uow).lookup([LookupQuery("q", sha256=a.work.sha256)])
    assert {m.work_id for m in res.matches} == {a.work.id, b.work.id}
    assert all(m.disputed and set(m.claimants) == {alice.id, bob.id} for m in res.matches)
    WorkService(uow).delete_work(bob, b.work.id)  # Bob withdraws: Alice's claim is no longer disputed
    assert WorkService(uow).get_work(alice, a.work.id).status == "active"
    assert DisputeService(uow).list_disputes(alice, work_id=a.work.id) == []


def test_same_owner_registering_twice_is_a_conflict_or_idempotent(uow: UnitOfWork, alice: Owner) -> None:
    data = _input(make_text(8))
    first = WorkService(uow).register_work(alice, data)
    try:
        WorkService(uow).register_work(alice, data)
        raise AssertionError("duplicate registration must conflict")
    except ConflictError:
        pass
    again = WorkService(uow).register_work(alice, data, if_exists="return")
    assert not again.created and again.work.id == first.work.id
    assert _count(uow, works) == 1


def test_malformed_fingerprints_are_rejected_without_partial_write(uow: UnitOfWork, alice: Owner) -> None:
    good = _input(make_text(9))
    bad_inputs = [
        WorkInput(MediaType.TEXT, sha256="xyz"),
        WorkInput(MediaType.TEXT, sha256=good.sha256, iscc="ISCC:NOTACODE"),
        WorkInput(
            MediaType.TEXT, sha256=good.sha256, fingerprints=(Fingerprint("minhash", "%%%not base64%%%", 10),)
        ),
        WorkInput(MediaType.TEXT, sha256=good.sha256, fingerprints=(Fingerprint("pdq", "ab" * 32),)),
    ]
    before = LookupService(uow).audit_entries(limit=10_000)
    for data in bad_inputs:
        try:
            WorkService(uow).register_work(alice, data)
            raise AssertionError(f"accepted malformed input {data}")
        except InvalidFingerprintError:
            pass
    assert _count(uow, works) == 0
    assert len(LookupService(uow).audit_entries(limit=10_000)) == len(before)


def test_lookup_batch_limit_and_bad_sha(uow: UnitOfWork) -> None:
    uow.settings.max_lookup_batch = 5
    try:
        LookupService(uow).lookup([LookupQuery(str(i), sha256="0" * 64) for i in range(6)])
        raise AssertionError("oversized batch accepted")
    except InputError:
        pass
    try:
        LookupService(uow).lookup([LookupQuery("x", sha256="nothex")])
        raise AssertionError("bad sha accepted")
    except InvalidFingerprintError:
        pass
    client_results = LocalRegistryClient(uow).lookup(
        [LookupQuery(str(i), sha256="0" * 64) for i in range(12)]
    )
    assert len(client_results) == 12  # the in-process client splits big batches


def test_index_loads_works_whole_across_batches(uow: UnitOfWork, alice: Owner) -> None:
    from mediamanager.registry.matching import NearDuplicateIndex

    parts = [fingerprint_content(make_text(60 + i).encode(), filename="p.txt") for i in range(6)]
    ids = []
    for k in range(3):  # each work: two passages, stored as parts 0 and 1
        a, b = parts[2 * k], parts[2 * k + 1]
        fps = (
            Fingerprint(a.fingerprints[0].kind, a.fingerprints[0].value, a.fingerprints[0].size, 0),
            Fingerprint(b.fingerprints[0].kind, b.fingerprints[0].value, b.fingerprints[0].size, 1),
        )
        ids.append(
            WorkService(uow)
            .register_work(alice, WorkInput(MediaType.TEXT, a.sha256, fingerprints=fps))
            .work.id
        )
    for batch in (1, 3, 5, 100):
        index = NearDuplicateIndex()
        with uow.engine.connect() as conn:
            index.sync(conn, batch=batch)
        for k, wid in enumerate(ids):
            for p in (parts[2 * k], parts[2 * k + 1]):
                hits = index.search(MediaType.TEXT, p.fingerprints, 5)
                assert hits and hits[0].key == wid, (batch, k)
