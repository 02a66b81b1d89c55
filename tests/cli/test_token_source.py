"""The CLI finds its token in MEDIAMANAGER_TOKEN or --token-file (a file or stdin), not only --token."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mediamanager.api.app import create_app
from mediamanager.api.server import serve_in_thread
from mediamanager.cli.main import app
from mediamanager.registry.accounts import AccountService
from mediamanager.settings import Settings

runner = CliRunner()


def test_token_from_env_file_and_stdin(tmp_path: Path) -> None:
    api = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'reg.db'}"))
    owner, token = AccountService(api.state.uow).create_owner("Poet")
    with serve_in_thread(api) as server:
        me = ["owners", "me", "--registry", server.url]
        clean = {"MEDIAMANAGER_TOKEN": "", "MEDIAMANAGER_TOKEN_FILE": ""}
        r = runner.invoke(app, me, env=clean)
        assert r.exit_code == 1 and "401" in r.output  # no token anywhere
        r = runner.invoke(app, me, env={**clean, "MEDIAMANAGER_TOKEN": token.secret})
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["id"] == owner.id
        f = tmp_path / "token"
        f.write_text(token.secret + "\n")
        r = runner.invoke(app, ["--token-file", str(f), *me], env=clean)
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["id"] == owner.id
        r = runner.invoke(app, ["--token-file", "-", *me], input=token.secret + "\n", env=clean)
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["id"] == owner.id
        r = runner.invoke(app, me, env={**clean, "MEDIAMANAGER_TOKEN_FILE": str(f)})
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["--token-file", str(tmp_path / "missing"), *me], env=clean)
        assert r.exit_code == 1 and "cannot read the token file" in r.output
        r = runner.invoke(app, ["owners", "me", "--help"])
        assert "process list" in " ".join(r.output.replace("│", " ").split())
    api.state.engine.dispose()
