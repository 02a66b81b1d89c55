"""bulk-register and HttpRegistrar against the real registry server on loopback (SQLite, then PostgreSQL)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.loopback import LiveServer
from tests.registry.conftest import make_text
from typer.testing import CliRunner

from mediamanager.cli.main import app
from mediamanager.client import RegistryApi
from mediamanager.registry.bulk import HttpRegistrar, iter_source, run_bulk

runner = CliRunner()


def _owner(server: LiveServer) -> str:
    with RegistryApi(server.url, "") as api:
        token: str = api.create_owner("Ann")["token"]["token"]
    return token


def _effective(api: RegistryApi, purpose: str) -> dict[str, str]:
    return {w["title"]: api.work_preferences(w["id"])["rules"][purpose]["use"] for w in api.list_works()}


def test_http_registrar_registers_once_by_fingerprints_or_upload(
    live_registry: LiveServer, tmp_path: Path
) -> None:
    folder = tmp_path / "works"
    folder.mkdir()
    (folder / "a.txt").write_text(make_text(300))
    (folder / "b.txt").write_text(make_text(301))
    token = _owner(live_registry)
    with RegistryApi(live_registry.url, token) as api:
        first = run_bulk(iter_source(str(folder)), HttpRegistrar(api))
        assert (first.created, first.existing, first.failures) == (2, 0, [])
        again = run_bulk(iter_source(str(folder)), HttpRegistrar(api, fingerprints_only=False))
        assert (again.created, again.existing, again.failures) == (0, 2, [])
        assert sorted(w["title"] for w in api.list_works()) == ["a", "b"]


def test_bulk_prefs_with_a_collection_become_its_rule_and_reruns_skip_unchanged_files(
    live_registry: LiveServer, tmp_path: Path
) -> None:
    folder = tmp_path / "works"
    folder.mkdir()
    for i in range(3):
        (folder / f"t{i}.txt").write_text(make_text(310 + i))
    token = _owner(live_registry)
    state = tmp_path / "state.jsonl"
    cmd = ["bulk-register", str(folder), "--collection", "poems", "--prefs", "genai-train=deny",
           "--registry", live_registry.url, "--token", token, "--state", str(state)]  # fmt: skip
    first = runner.invoke(app, cmd)
    assert first.exit_code == 0, first.output
    assert "3 items: 3 created, 0 already registered, 0 unchanged (skipped), 0 failed" in first.output
    assert "registering: 3/3 files in " in first.output  # the progress's final line, without a terminal
    with RegistryApi(live_registry.url, token) as api:
        assert _effective(api, "genai-train") == {"t0": "deny", "t1": "deny", "t2": "deny"}
        changed = runner.invoke(
            app, ["prefs", "set", "--collection", "poems", "genai-train=allow",
                  "--registry", live_registry.url, "--token", token],
        )  # fmt: skip
        assert changed.exit_code == 0, changed.output
        # The collection rule decides: no per-work copy of the bulk preferences holds it back.
        assert _effective(api, "genai-train") == {"t0": "allow", "t1": "allow", "t2": "allow"}
    rerun = runner.invoke(app, cmd[:4] + cmd[6:])  # same files, no --prefs this time
    assert "3 items: 0 created, 0 already registered, 3 unchanged (skipped), 0 failed" in rerun.output
    assert "registering: 3/3 files in " in rerun.output
    (folder / "t1.txt").write_text(make_text(399))  # one file changed: only it is registered again
    os.utime(folder / "t0.txt")  # touched, same size but a new mtime: looked at again
    third = runner.invoke(app, cmd[:4] + cmd[6:])
    assert third.exit_code == 0, third.output
    assert "3 items: 1 created, 1 already registered, 1 unchanged (skipped), 0 failed" in third.output


def test_prefs_set_works_updates_every_listed_work_and_reports_the_rest(
    live_registry: LiveServer, tmp_path: Path
) -> None:
    token = _owner(live_registry)
    folder = tmp_path / "works"
    folder.mkdir()
    for i in range(2):
        (folder / f"w{i}.txt").write_text(make_text(320 + i))
    with RegistryApi(live_registry.url, token) as api:
        run_bulk(iter_source(str(folder)), HttpRegistrar(api))
        ids = [w["id"] for w in api.list_works()]
        listing = tmp_path / "ids.txt"
        listing.write_text(f"# my works\n{ids[0]}\n\n{ids[1]}\nno-such-work\n")
        out = runner.invoke(
            app, ["prefs", "set", "--works", str(listing), "ai-train=deny",
                  "--registry", live_registry.url, "--token", token],
        )  # fmt: skip
        assert out.exit_code == 1
        assert "2 works updated, 1 failed" in out.output and "failed no-such-work" in out.output
        assert _effective(api, "ai-train") == {"w0": "deny", "w1": "deny"}


def test_manifest_paths_outside_its_folder_are_refused_unless_allowed(
    live_registry: LiveServer, tmp_path: Path
) -> None:
    inside = tmp_path / "m"
    inside.mkdir()
    (inside / "ok.txt").write_text(make_text(330))
    secret = tmp_path / "secret.txt"
    secret.write_text(make_text(331))
    (inside / "link.txt").symlink_to(secret)
    rows = [{"path": "ok.txt"}, {"path": str(secret)}, {"path": "../secret.txt"}, {"path": "link.txt"}]
    manifest = inside / "m.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    token = _owner(live_registry)
    base = ["bulk-register", str(manifest), "--upload", "--registry", live_registry.url, "--token", token,
            "--state", str(tmp_path / "s.jsonl")]  # fmt: skip
    refused = runner.invoke(app, base)
    assert refused.exit_code == 1
    assert "1 created, 0 already registered, 0 unchanged (skipped), 3 failed" in refused.output
    assert refused.output.count("outside the manifest's folder") == 3
    allowed = runner.invoke(app, [*base, "--allow-outside-paths"])
    # ok.txt was recorded by the first run; the three other rows name one file (registered once).
    assert "4 items: 1 created, 0 already registered, 3 unchanged (skipped), 0 failed" in allowed.output
