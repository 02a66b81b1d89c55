"""The soft-binding resolution API on a real loopback server, and the CLI end to end."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from PIL import Image
from typer.testing import CliRunner

from mediamanager.api.routes.provenance import router
from mediamanager.cli.main import app as cli
from mediamanager.provenance.watermark.image import ALG
from mediamanager.registry.store.engine import make_engine, upgrade_schema

TOKEN = "test-writer-token"
runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A uvicorn server on 127.0.0.1 serving the provenance router over a migrated SQLite registry."""
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = make_engine(db_url)
    upgrade_schema(engine)
    api = FastAPI()
    api.include_router(router)
    api.state.engine = engine
    api.state.provenance_token_sha256 = hashlib.sha256(TOKEN.encode()).hexdigest()
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", db_url
    srv.should_exit = True
    thread.join(10)
    engine.dispose()


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
    server: tuple[str, str], photos: list[Path], tmp_path: Path
) -> None:
    base, _ = server
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
            "--preferences", "ai-train=deny", "--register", base, "--token", TOKEN, "--json",
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
        assert client.post("/matches/byContent", content=b"").status_code == 400


def test_write_route_requires_the_token(server: tuple[str, str]) -> None:
    base, _ = server
    body = {
        "manifestId": "urn:c2pa:w1",
        "format": "image/png",
        "manifest": {},
        "softBindings": [{"alg": "a", "value": "v"}],
    }
    with httpx.Client(base_url=base) as client:
        assert client.post("/manifests", json=body).status_code == 401
        assert (
            client.post("/manifests", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
        )
        ok = client.post("/manifests", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 201
        again = client.post("/manifests", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert again.status_code == 409
        bad = dict(body, manifestId="urn:c2pa:w2", pdq="xyz")
        assert (
            client.post("/manifests", json=bad, headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            == 422
        )
        bad_b64 = dict(body, manifestId="urn:c2pa:w3", manifestBytes="!!")
        assert (
            client.post("/manifests", json=bad_b64, headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            == 422
        )
        assert (
            client.get("/matches/byBinding", params={"alg": "a", "value": "v"}).json()["matches"][0][
                "manifestId"
            ]
            == "urn:c2pa:w1"
        )
        good_b64 = dict(body, manifestId="urn:c2pa:w4", manifestBytes=base64.b64encode(b"x").decode())
        assert (
            client.post("/manifests", json=good_b64, headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            == 201
        )


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

    from mediamanager.api.app import create_app
    from mediamanager.settings import Settings

    api = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'app.db'}"))
    with TestClient(api) as client:
        assert client.get("/matches/byBinding", params={"alg": ALG, "value": "AAAAAA=="}).json() == {
            "matches": []
        }
        assert client.get("/manifests/urn:c2pa:none").status_code == 404
        assert client.post("/manifests", json={}).status_code in (401, 403)
