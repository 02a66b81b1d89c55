"""The registry commands end to end: demo, owners, register, lookup (server and snapshot), export, audit."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from tests.loopback import serve_registry
from tests.registry.conftest import edit_text, make_text
from typer.testing import CliRunner

from mediamanager.cli.main import app
from mediamanager.registry.store.tables import audit_log

runner = CliRunner()


def test_demo_registers_and_finds_every_altered_copy(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--db", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    assert "3 of 3 altered copies found" in result.output
    assert "chain intact" in result.output


def test_register_lookup_export_and_audit_cycle(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'reg.db'}"
    original, copy = tmp_path / "poem.txt", tmp_path / "copy.txt"
    text = make_text(501)
    original.write_text(text)
    copy.write_text(edit_text(text, 9))
    with serve_registry(db) as server:
        app_ = server.app
        out = runner.invoke(app, ["owners", "create", "Poet", "--registry", server.url])
        assert out.exit_code == 0, out.output
        token = out.output.split("token ", 1)[1].split()[0]
        reg = ["--registry", server.url, "--token", token]
        bad = runner.invoke(app, ["register", str(original), "--prefs", "telepathy=deny", *reg])
        assert bad.exit_code != 0 and "unknown purpose" in bad.output
        ok = runner.invoke(
            app, ["register", str(original), "--fingerprints-only", "--prefs", "genai-train=deny", *reg]
        )
        assert ok.exit_code == 0, ok.output
        wrong = runner.invoke(app, ["register", str(copy), "--registry", server.url, "--token", "mm_bad"])
        assert wrong.exit_code != 0 and "401" in wrong.output
        looked = runner.invoke(app, ["lookup", str(copy), "--registry", server.url])
        assert looked.exit_code == 0, looked.output
        online = json.loads(looked.output)["results"][0]["matches"]
        assert online and online[0]["owner_name"] == "Poet"
        assert online[0]["preferences"]["rules"]["genai-train"]["use"] == "deny"
    snap = tmp_path / "snapshot"
    exported = runner.invoke(app, ["export", "--out", str(snap), "--db", db])
    assert exported.exit_code == 0, exported.output
    offline = runner.invoke(app, ["lookup", str(copy), "--registry", str(snap)])
    assert offline.exit_code == 0, offline.output
    assert json.loads(offline.output)["results"][0]["matches"][0]["work_id"] == online[0]["work_id"]
    assert runner.invoke(app, ["audit", "verify", "--db", db]).exit_code == 0
    with app_.state.engine.begin() as conn:
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 2).values(actor="someone-else"))
    tampered = runner.invoke(app, ["audit", "verify", "--db", db])
    assert tampered.exit_code == 1 and "entry 2" in tampered.output
    app_.state.engine.dispose()


def test_lookup_against_missing_registry_fails_loudly(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text(make_text(502))
    result = runner.invoke(app, ["lookup", str(f), "--registry", str(tmp_path / "no-snapshot")])
    assert result.exit_code == 1 and "neither" in result.output


def test_serve_runs_the_api_with_openapi(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = f"sqlite:///{tmp_path / 'served.db'}"
    cmd = [
        sys.executable,
        "-c",
        "from mediamanager.cli.main import app; app()",
        "serve",
        "--db",
        db,
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"serve did not come up: {proc.stderr.read() if proc.stderr else b''!r}")
        spec = httpx.get(f"{base}/openapi.json").json()
        assert spec["info"]["title"] == "Media Manager registry" and "/lookup" in spec["paths"]
        assert httpx.get(f"{base}/info").json()["version"] == "audit-0"
    finally:
        proc.terminate()
        proc.wait(20)
