"""Grants: which ones apply (literal cases from the rules), and the scan CLI honouring only valid ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mediamanager.ledger.grants import key_id, public_key_b64, select_grants, sign_grant

T0 = datetime(2026, 11, 1, tzinfo=UTC)
REGISTRY = Ed25519PrivateKey.generate()
BUILDER_KEY_ID = key_id(public_key_b64(Ed25519PrivateKey.generate()))


def grant(gid: str, **over: Any) -> dict[str, Any]:
    key = over.pop("key", REGISTRY)
    body = {
        "grant_id": gid, "licence_id": gid, "licensor": {"owner_id": "o1", "name": "Alice"},
        "licensee": {"builder_id": "b1", "name": "Bob", "key_id": BUILDER_KEY_ID}, "purpose": "genai-train",
        "works": ["w-" + gid], "terms": {}, "issued_at": T0.isoformat(),
        "expires_at": (T0 + timedelta(days=30)).isoformat(),
    }  # fmt: skip
    body.update(over)
    return sign_grant(body, key)


def test_only_valid_grants_apply() -> None:
    tampered = grant("tampered")
    tampered["works"] = ["w-other"]  # changed after signing
    bundle = {
        "grants": [
            grant("good"),
            grant("wrongkey", key=Ed25519PrivateKey.generate()),
            grant("expired", expires_at=(T0 + timedelta(days=1)).isoformat()),
            grant("revoked"),
            grant("otherbuilder", licensee={"builder_id": "b2", "name": "Eve", "key_id": "0" * 16}),
            grant("otherpurpose", purpose="search"),
            grant("future", issued_at=(T0 + timedelta(days=10)).isoformat()),
            tampered,
            "not an object",
        ],
        "registry_key": public_key_b64(Ed25519PrivateKey.generate()),  # never trusted
    }
    covered, problems = select_grants(
        bundle,
        registry_key=public_key_b64(REGISTRY),
        purpose="genai-train",
        when=T0 + timedelta(days=5),
        licensee_key_id=BUILDER_KEY_ID,
        revoked={"revoked"},
    )
    assert covered == {"w-good": "good"}
    assert problems == [
        "grant wrongkey: not signed by the registry's key",
        f"grant expired: expired at {(T0 + timedelta(days=1)).isoformat()}",
        "grant revoked: revoked by the owner",
        "grant otherbuilder: issued to key '0000000000000000', not to this scan's key",
        "grant otherpurpose: for search, not genai-train",
        f"grant future: issued at {(T0 + timedelta(days=10)).isoformat()}, after the scan time",
        "grant tampered: not signed by the registry's key",
        "a grant that is not an object",
    ]


def test_expiry_is_exclusive() -> None:
    g = grant("g", expires_at=(T0 + timedelta(days=1)).isoformat())
    args = {
        "registry_key": public_key_b64(REGISTRY),
        "purpose": "genai-train",
        "licensee_key_id": BUILDER_KEY_ID,
    }
    assert select_grants({"grants": [g]}, when=T0 + timedelta(days=1) - timedelta(seconds=1), **args)[0] == {
        "w-g": "g"
    }
    assert select_grants({"grants": [g]}, when=T0 + timedelta(days=1), **args)[0] == {}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_scan_cli_grants_from_url_and_wrong_key(
    db_url: str, server: Any, texts: list[str], tmp_path: Path
) -> None:
    """`scan --grants URL` keeps the licensed items; a grant file re-signed by another key keeps nothing."""
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from mediamanager.cli.main import app as cli
    from mediamanager.ledger.grants import key_id as kid
    from mediamanager.scan.attest import load_or_create_key

    runner = CliRunner()
    alice, bob = server.sign_up("Alice"), server.sign_up("Bob")
    wid = server.register(alice, texts[0], "genai-train=allow-if:payment=per-crawl/5 EUR", "Poem")
    key = tmp_path / "bob.pem"
    scan_kid = kid(public_key_b64(load_or_create_key(key)))
    r = server.http.post(
        "/ledger/licences", json={"work_ids": [wid], "purpose": "genai-train", "licensee_key_id": scan_kid},
        headers=bob.auth,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert (
        server.http.post(f"/ledger/licences/{r.json()['id']}/accept", headers=alice.auth).status_code == 200
    )
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"id": "x", "text": texts[0]}) + "\n")

    def scan(out: str, grants: str, *extra: str) -> Any:
        args = ["scan", str(data), "--purpose", "genai-train", "--registry", server.url, "--out", str(tmp_path / out),
                "--key", str(key), "--grants", grants, *extra]  # fmt: skip
        res = runner.invoke(cli, args, env={"MEDIAMANAGER_TOKEN": bob.token})
        assert res.exit_code == 0, res.output
        row = pq.read_table(tmp_path / out / "decisions.parquet").to_pylist()[0]
        return row["outcome"], row["reason"], res.output

    outcome, reason, output = scan("by-url", f"{server.url}/ledger/grants", "--submit")
    assert (outcome, reason) == ("keep", "allow:grant")
    assert "1 usage events recorded" in output  # scan --submit
    ev = server.http.get("/ledger/events", headers=alice.auth).json()
    assert [(e["decision"], e["grant_id"]) for e in ev] == [("kept-under-licence", r.json()["id"])]
    bundle = server.http.get("/ledger/grants", headers=bob.auth).json()
    forged = dict(bundle, grants=[sign_grant(bundle["grants"][0], Ed25519PrivateKey.generate())])
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    outcome, reason, output = scan("forged", str(tmp_path / "forged.json"))
    assert (outcome, reason) == ("license", "allow-if:registry")
    assert "not signed by the registry's key" in output
    # Revoked by the owner: the registry's revocation list stops it on the next scan.
    lid = bundle["grants"][0]["grant_id"]
    assert server.http.post(f"/ledger/licences/{lid}/revoke", headers=alice.auth).status_code == 200
    (tmp_path / "saved.json").write_text(json.dumps(bundle))
    outcome, reason, output = scan("revoked", str(tmp_path / "saved.json"))
    assert (outcome, reason) == ("license", "allow-if:registry") and "revoked by the owner" in output
