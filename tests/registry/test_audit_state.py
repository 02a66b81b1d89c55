"""The audit chain binds the state tables (D10), on SQLite and PostgreSQL; checkpoints are published."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from mediamanager.api.app import create_app
from mediamanager.model import MediaType, parse_preference_spec
from mediamanager.registry.checkpoint import check_checkpoint
from mediamanager.registry.service import Owner, RegistryService, WorkInput
from mediamanager.registry.snapshot import export_snapshot
from mediamanager.settings import Settings


def _two_claims(service: RegistryService, alice: Owner, bob: Owner) -> tuple[str, str]:
    a = service.register_work(alice, WorkInput(MediaType.TEXT, sha256="c" * 64, title="a"))
    b = service.register_work(bob, WorkInput(MediaType.TEXT, sha256="c" * 64, title="b"))
    service.set_preferences(alice, "work", a.work.id, parse_preference_spec("genai-train=deny"))
    return a.work.id, b.work.id


def test_legitimate_changes_keep_the_state_bound(service: RegistryService, alice: Owner, bob: Owner) -> None:
    a, b = _two_claims(service, alice, bob)
    service.update_work(alice, a, {"title": "new"})
    assert service.verify_audit().ok, service.verify_audit()
    service.delete_work(alice, a)  # removes its preferences and the dispute; b returns to active
    report = service.verify_audit()
    assert report.ok, report
    assert service.get_work(bob, b).status == "active"


def test_state_edits_outside_the_registry_are_detected(
    service: RegistryService, alice: Owner, bob: Owner
) -> None:
    _a, b = _two_claims(service, alice, bob)
    with service.engine.begin() as conn:
        conn.execute(sa.text("UPDATE preferences SET document = replace(document, '\"deny\"', '\"allow\"')"))
    report = service.verify_audit()
    assert not report.ok and "differs from its audit entry" in (report.problem or "")
    with service.engine.begin() as conn:
        conn.execute(sa.text("UPDATE preferences SET document = replace(document, '\"allow\"', '\"deny\"')"))
    assert service.verify_audit().ok
    with service.engine.begin() as conn:
        conn.execute(sa.text("UPDATE works SET status = 'active' WHERE id = :b"), {"b": b})
    report = service.verify_audit()
    assert not report.ok and "disputes say otherwise" in (report.problem or "")


def test_checkpoint_from_api_and_snapshot(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"registry_key_path": str(tmp_path / "k.pem")})
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.post("/owners", json={"display_name": "A"}).status_code == 201
        cp = client.get("/audit/checkpoint").json()
    assert cp["format"] == "mediamanager-audit-checkpoint" and cp["seq"] == 2
    service = RegistryService(app.state.engine, settings)
    snap = export_snapshot(service, tmp_path / "snap")
    from_snapshot = json.loads((snap.path / "checkpoint.json").read_text())
    assert from_snapshot["public_key"] == cp["public_key"]  # one registry key, generated once
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    with app.state.engine.connect() as conn:
        check_checkpoint(conn, cp)
        check_checkpoint(conn, from_snapshot)
    app.state.engine.dispose()
