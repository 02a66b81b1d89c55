"""The audit chain binds the state tables (D10), on SQLite and PostgreSQL; checkpoints are published."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from mediamanager.api.app import create_app
from mediamanager.model import MediaType, parse_preference_spec
from mediamanager.registry.checkpoint import check_checkpoint
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.preferences import PreferenceService
from mediamanager.registry.records import Owner, WorkInput
from mediamanager.registry.snapshot import export_snapshot
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService
from mediamanager.settings import Settings


def _two_claims(uow: UnitOfWork, alice: Owner, bob: Owner) -> tuple[str, str]:
    works = WorkService(uow)
    a = works.register_work(alice, WorkInput(MediaType.TEXT, sha256="c" * 64, title="a"))
    b = works.register_work(bob, WorkInput(MediaType.TEXT, sha256="c" * 64, title="b"))
    PreferenceService(uow).set_preferences(
        alice, "work", a.work.id, parse_preference_spec("genai-train=deny")
    )
    return a.work.id, b.work.id


def test_legitimate_changes_keep_the_state_bound(uow: UnitOfWork, alice: Owner, bob: Owner) -> None:
    a, b = _two_claims(uow, alice, bob)
    works, audit = WorkService(uow), LookupService(uow)
    works.update_work(alice, a, {"title": "new"})
    assert audit.verify_audit().ok, audit.verify_audit()
    works.delete_work(alice, a)  # removes its preferences and the dispute; b returns to active
    report = audit.verify_audit()
    assert report.ok, report
    assert works.get_work(bob, b).status == "active"


def test_state_edits_outside_the_registry_are_detected(uow: UnitOfWork, alice: Owner, bob: Owner) -> None:
    _a, b = _two_claims(uow, alice, bob)
    audit = LookupService(uow)
    with uow.engine.begin() as conn:
        conn.execute(sa.text("UPDATE preferences SET document = replace(document, '\"deny\"', '\"allow\"')"))
    report = audit.verify_audit()
    assert not report.ok and "differs from its audit entry" in (report.problem or "")
    with uow.engine.begin() as conn:
        conn.execute(sa.text("UPDATE preferences SET document = replace(document, '\"allow\"', '\"deny\"')"))
    assert audit.verify_audit().ok
    with uow.engine.begin() as conn:
        conn.execute(sa.text("UPDATE works SET status = 'active' WHERE id = :b"), {"b": b})
    report = audit.verify_audit()
    assert not report.ok and "disputes say otherwise" in (report.problem or "")


def test_checkpoint_from_api_and_snapshot(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"registry_key_path": str(tmp_path / "k.pem")})
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.post("/owners", json={"display_name": "A"}).status_code == 201
        cp = client.get("/audit/checkpoint").json()
    assert cp["format"] == "mediamanager-audit-checkpoint" and cp["seq"] == 2
    snap = export_snapshot(UnitOfWork(app.state.engine, settings), tmp_path / "snap")
    from_snapshot = json.loads((snap.path / "checkpoint.json").read_text())
    assert from_snapshot["public_key"] == cp["public_key"]  # one registry key, generated once
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    with app.state.engine.connect() as conn:
        check_checkpoint(conn, cp)
        check_checkpoint(conn, from_snapshot)
    app.state.engine.dispose()
