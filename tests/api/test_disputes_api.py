"""Disputes over HTTP: the parties act, anyone else gets 404; the CLI drives the same routes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.api.conftest import Account, sign_up
from typer.testing import CliRunner

from mediamanager.api.app import create_app
from mediamanager.api.server import serve_in_thread
from mediamanager.cli.main import app as cli
from mediamanager.settings import Settings

SHA = "d" * 64


def _dispute(client: TestClient, alice: Account, bob: Account) -> str:
    for who in (alice, bob):
        r = client.post("/works", json={"media_type": "text", "sha256": SHA}, headers=who.auth)
        assert r.status_code == 201, r.text
    [d] = r.json()["disputes"]
    return str(d["id"])


def test_another_owner_gets_404_and_the_parties_settle(
    client: TestClient, alice: Account, bob: Account
) -> None:
    did = _dispute(client, alice, bob)
    carol = sign_up(client, "Carol")
    calls = [
        ("GET", f"/disputes/{did}", None),
        ("POST", f"/disputes/{did}/respond", {"evidence": "mine"}),
        ("POST", f"/disputes/{did}/withdraw", None),
        ("POST", f"/disputes/{did}/resolve", {"outcome": "later"}),
    ]
    for method, path, body in calls:
        r = client.request(method, path, json=body, headers=carol.auth)
        assert r.status_code == 404, (path, r.text)
    assert client.get("/disputes", headers=carol.auth).json() == []
    r = client.post(f"/disputes/{did}/respond", json={"evidence": "drafts from 2019"}, headers=bob.auth)
    assert r.status_code == 200 and r.json()["state"] == "answered" and r.json()["role"] == "later"
    assert (
        client.post(f"/disputes/{did}/resolve", json={"outcome": "mine"}, headers=bob.auth).status_code == 422
    )
    assert (
        client.post(f"/disputes/{did}/resolve", json={"outcome": "shared"}, headers=alice.auth).status_code
        == 200
    )
    r = client.post(f"/disputes/{did}/resolve", json={"outcome": "shared"}, headers=bob.auth)
    assert (r.json()["state"], r.json()["outcome"]) == ("resolved", "shared")
    assert client.post(f"/disputes/{did}/withdraw", headers=alice.auth).status_code == 409
    [m1, m2] = client.post("/lookup", json={"items": [{"id": "x", "sha256": SHA}]}).json()["results"][0][
        "matches"
    ]
    assert (m1["disputed"], m2["disputed"], m1["claimants"]) == (False, False, [])


def test_cli_operator_role_and_dispute_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'reg.db'}"
    runner = CliRunner()
    api = create_app(Settings(db_url=db))
    with serve_in_thread(api) as server, TestClient(api) as client:
        alice, bob, carol = (sign_up(client, n) for n in ("Alice", "Bob", "Carol"))
        did = _dispute(client, alice, bob)
        reg = ["--registry", server.url]
        out = runner.invoke(
            cli, ["disputes", "resolve", did, "--outcome", "earlier", *reg, "--token", carol.token]
        )
        assert out.exit_code == 1 and "HTTP 404" in out.output, out.output
        out = runner.invoke(cli, ["owners", "operator", carol.id, "--db", db])
        assert out.exit_code == 0 and "operator yes" in out.output, out.output
        out = runner.invoke(cli, ["disputes", "list", *reg, "--token", bob.token])
        assert out.exit_code == 0 and '"state": "open"' in out.output, out.output
        out = runner.invoke(
            cli, ["disputes", "respond", did, "--evidence", "sketches", *reg, "--token", bob.token]
        )
        assert out.exit_code == 0 and '"state": "answered"' in out.output, out.output
        out = runner.invoke(
            cli, ["disputes", "resolve", did, "--outcome", "earlier", *reg, "--token", carol.token]
        )
        assert out.exit_code == 0 and '"state": "resolved"' in out.output, out.output
        out = runner.invoke(cli, ["disputes", "withdraw", did, *reg, "--token", alice.token])
        assert out.exit_code == 1 and "HTTP 409" in out.output, out.output
    api.state.engine.dispose()
