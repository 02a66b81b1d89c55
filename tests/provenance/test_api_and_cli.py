"""The soft-binding resolution API on a real loopback server, and the CLI end to end."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from tests.loopback import serve_registry
from typer.testing import CliRunner

from mediamanager.api.app import create_app
from mediamanager.cli.main import app as cli
from mediamanager.provenance.watermark.image import ALG
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.store.engine import make_engine, upgrade_schema
from mediamanager.settings import Settings

runner = CliRunner()


@dataclass(frozen=True)
class Server:
    """A running registry API: base URL, database URL and two owners' registry API tokens."""

    base: str
    db_url: str
    token: str
    other_token: str


@pytest.fixture
def server(db_url: str) -> Iterator[Server]:
    """The full registry API (``create_app``) on a real uvicorn server on 127.0.0.1, SQLite then PostgreSQL."""
    with serve_registry(db_url) as live:
        service = AccountService(live.app.state.uow)
        _owner, token = service.create_owner("Generator Inc.", kind="organisation")
        _other, other_token = service.create_owner("Someone Else")
        yield Server(live.url, db_url, token.secret, other_token.secret)


def _jpeg_bytes(path: Path, quality: int = 70) -> bytes:
    buf = io.BytesIO()
    Image.open(path).convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def test_cli_help_has_examples() -> None:
    for args in (
        ["sign", "--help"],
        ["verify", "--help"],
        ["keys", "init", "--help"],
        ["watermark", "image", "embed", "--help"],
        ["watermark", "image", "detect", "--help"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and "Example:" in result.output, args


def test_sign_watermark_register_then_resolve_stripped_copy(
    server: Server, photos: list[Path], tmp_path: Path
) -> None:
    base = server.base
    pki = tmp_path / "pki"
    assert runner.invoke(cli, ["keys", "init", str(pki)]).exit_code == 0
    src = tmp_path / "generated.png"
    Image.open(photos[3]).save(src)
    signed = tmp_path / "signed.png"
    result = runner.invoke(
        cli,
        [
            "sign", str(src), "--out", str(signed), "--key", str(pki / "signer.key"), "--cert",
            str(pki / "chain.pem"), "--model", "gen-model", "--model-version", "3", "--watermark",
            "--preferences", "ai-train=deny", "--register", base, "--token", server.token, "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    signed_info = json.loads(result.output)
    manifest_id = signed_info["manifest_id"]

    result = runner.invoke(cli, ["verify", str(signed), "--trust", str(pki / "root.pem"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "Trusted" and report["ai_generated"] is True
    assert report["training_mining"]["cawg.ai_training"]["use"] == "notAllowed"
    assert report["watermark"]["detected"] is True
    assert report["watermark"]["payload_hex"] == signed_info["watermark_payload"]
    assert report["soft_bindings"][0]["values"] == [signed_info["soft_binding"]]

    # Strip the metadata (re-encode), then come back through the API.
    stripped = tmp_path / "stripped.jpg"
    stripped.write_bytes(_jpeg_bytes(signed, quality=60))
    result = runner.invoke(cli, ["verify", str(stripped), "--json"])
    assert result.exit_code == 3 and json.loads(result.output)["status"] == "Absent"
    result = runner.invoke(cli, ["watermark", "image", "detect", str(stripped), "--json", "--registry", base])
    assert result.exit_code == 0, result.output
    detected = json.loads(result.output)
    assert detected["detected"] and detected["false_positive_probability"] <= 1e-6
    assert detected["resolved"]["matches"][0]["manifestId"] == manifest_id

    with httpx.Client(base_url=base) as client:
        by_binding = client.get(
            "/matches/byBinding", params={"alg": ALG, "value": signed_info["soft_binding"]}
        )
        assert by_binding.json() == {
            "matches": [{"manifestId": manifest_id, "method": "binding", "similarityScore": None}]
        }
        by_content = client.post("/matches/byContent", content=stripped.read_bytes())
        assert by_content.status_code == 200 and by_content.json()["matches"][0]["method"] == "watermark"
        manifest = client.get(f"/manifests/{manifest_id}")
        assert manifest.status_code == 200 and manifest.json()["manifestId"] == manifest_id
        raw = client.get(f"/manifests/{manifest_id}", headers={"Accept": "application/c2pa"})
        assert raw.headers["content-type"] == "application/c2pa" and len(raw.content) > 100
        assert client.get("/manifests/urn:c2pa:nope").status_code == 404
        assert client.post("/matches/byContent", content=b"garbage").status_code == 415
        assert client.post("/matches/byContent", content=b"").status_code == 422


def test_writes_take_registry_owner_tokens_and_owners_touch_only_their_own(server: Server) -> None:
    body = {
        "manifestId": "urn:c2pa:w1",
        "format": "image/png",
        "manifest": {},
        "softBindings": [{"alg": "a", "value": "v"}],
    }
    mine = {"Authorization": f"Bearer {server.token}"}
    theirs = {"Authorization": f"Bearer {server.other_token}"}
    with httpx.Client(base_url=server.base) as client:
        assert client.post("/manifests", json=body).status_code == 401
        assert (
            client.post("/manifests", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
        )
        assert client.post("/manifests", json=body, headers=mine).status_code == 201
        assert client.post("/manifests", json=body, headers=mine).status_code == 409
        assert client.post("/manifests", json=body, headers=theirs).status_code == 409  # ids are global
        bad = dict(body, manifestId="urn:c2pa:w2", pdq="xyz")
        assert client.post("/manifests", json=bad, headers=mine).status_code == 422
        bad_b64 = dict(body, manifestId="urn:c2pa:w3", manifestBytes="!!")
        assert client.post("/manifests", json=bad_b64, headers=mine).status_code == 422
        # reads are public (the C2PA soft-binding resolution API is public by design)
        found = client.get("/matches/byBinding", params={"alg": "a", "value": "v"}).json()
        assert found["matches"][0]["manifestId"] == "urn:c2pa:w1"
        assert client.get("/manifests/urn:c2pa:w1").status_code == 200
        good_b64 = dict(body, manifestId="urn:c2pa:w4", manifestBytes=base64.b64encode(b"x").decode())
        assert client.post("/manifests", json=good_b64, headers=theirs).status_code == 201

        # another owner's manifest answers 404, exactly like a missing one, and stays in place
        assert client.delete("/manifests/urn:c2pa:w1", headers=theirs).status_code == 404
        assert client.delete("/manifests/urn:c2pa:missing", headers=theirs).status_code == 404
        assert client.delete("/manifests/urn:c2pa:w1").status_code == 401
        assert client.get("/manifests/urn:c2pa:w1").status_code == 200
        assert client.delete("/manifests/urn:c2pa:w4", headers=mine).status_code == 404
        # the owner withdraws their own: the manifest and its soft bindings are gone
        assert client.delete("/manifests/urn:c2pa:w1", headers=mine).status_code == 204
        assert client.get("/manifests/urn:c2pa:w1").status_code == 404
        assert client.get("/matches/byBinding", params={"alg": "a", "value": "v"}).json() == {
            "matches": [{"manifestId": "urn:c2pa:w4", "method": "binding", "similarityScore": None}]
        }
        assert client.delete("/manifests/urn:c2pa:w4", headers=theirs).status_code == 204

        # a revoked token writes nothing (a spare first: the last active token cannot be revoked)
        assert client.post("/tokens", json={"label": "spare"}, headers=theirs).status_code == 201
        tokens = client.get("/tokens", headers=theirs)
        assert tokens.status_code == 200, tokens.text
        assert client.delete(f"/tokens/{tokens.json()[0]['id']}", headers=theirs).status_code == 200
        revoked = client.post("/manifests", json=dict(body, manifestId="urn:c2pa:w7"), headers=theirs)
        assert revoked.status_code == 401
        assert client.get("/manifests/urn:c2pa:w7").status_code == 404
    engine = make_engine(server.db_url)
    try:
        from mediamanager.provenance.repository import ManifestRecord, ManifestRepository

        repo = ManifestRepository(engine)
        with httpx.Client(base_url=server.base) as client:
            client.post("/manifests", json=dict(body, manifestId="urn:c2pa:w5"), headers=mine)
        owner_id = repo.get("urn:c2pa:w5").owner_id
        assert owner_id is not None and len(owner_id) == 32
        # a manifest stored straight into the database (no API owner) cannot be changed over the API
        repo.add(ManifestRecord("urn:c2pa:w6", "image/png", {}))
        with httpx.Client(base_url=server.base) as client:
            assert client.delete("/manifests/urn:c2pa:w6", headers=mine).status_code == 404
        assert repo.get("urn:c2pa:w6").owner_id is None
    finally:
        engine.dispose()


def test_cli_embed_detect_and_registry_database(photos: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "m.png"
    result = runner.invoke(
        cli,
        [
            "watermark",
            "image",
            "embed",
            str(photos[4]),
            "--out",
            str(out),
            "--manifest-id",
            "urn:c2pa:z",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)["payload"]
    db = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade_schema(make_engine(db))
    result = runner.invoke(cli, ["watermark", "image", "detect", str(out), "--json", "--registry", db])
    found = json.loads(result.output)
    assert found["detected"] and found["payload_hex"] == payload
    assert found["resolved"]["matches"] == []  # nothing stored under it: no invented manifest
    unmarked = runner.invoke(cli, ["watermark", "image", "detect", str(photos[4]), "--json"])
    assert json.loads(unmarked.output)["detected"] is False
    garbage = tmp_path / "g.png"
    garbage.write_bytes(b"\x89PNG garbage")
    result = runner.invoke(cli, ["watermark", "image", "detect", str(garbage), "--json"])
    assert result.exit_code == 2 and "error:" in result.output
    result = runner.invoke(cli, ["verify", str(garbage), "--json"])
    assert result.exit_code in (1, 3) and json.loads(result.output)["ai_generated"] is False
    result = runner.invoke(
        cli, ["watermark", "image", "embed", str(photos[4]), "--out", str(out), "--payload", "zz"]
    )
    assert result.exit_code == 2


def test_create_app_mounts_the_resolution_api(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    api = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'app.db'}"))
    with TestClient(api) as client:
        assert client.get("/matches/byBinding", params={"alg": ALG, "value": "AAAAAA=="}).json() == {
            "matches": []
        }
        assert client.get("/manifests/urn:c2pa:none").status_code == 404
        assert client.post("/manifests", json={}).status_code in (401, 403)


def test_sign_register_url_without_token_fails_before_signing(photos: list[Path], tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    assert runner.invoke(cli, ["keys", "init", str(pki)]).exit_code == 0
    out = tmp_path / "signed.jpg"
    result = runner.invoke(
        cli,
        [
            "sign", str(photos[0]), "--out", str(out), "--key", str(pki / "signer.key"),
            "--cert", str(pki / "chain.pem"), "--register", "http://127.0.0.1:9",
        ],
        env={"MEDIAMANAGER_TOKEN": ""},
    )  # fmt: skip
    assert result.exit_code == 2 and "--token" in result.output
    assert not out.exists()
