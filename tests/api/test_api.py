"""The registry HTTP API on SQLite and PostgreSQL: every route, and every kind of bad input as a clear 4xx."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.api.conftest import Account, fp_body, sign_up
from tests.loopback import static_site
from tests.registry.conftest import edit_text, make_text

from mediamanager.fingerprint import fingerprint_content


def _works(client: TestClient, who: Account) -> list[dict[str, Any]]:
    r = client.get("/works", headers=who.auth)
    assert r.status_code == 200
    return r.json()


def _png(seed: int) -> bytes:
    img = Image.new("RGB", (256, 192))
    for x in range(0, 256, 8):
        for y in range(0, 192, 8):
            img.paste(((x * seed) % 255, (y * 3 + seed) % 255, (x + y) % 255), (x, y, x + 8, y + 8))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_openapi_documents_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/owners",
        "/works",
        "/works/upload",
        "/lookup",
        "/preferences/domains",
        "/domains/{domain}/verify",
    ):
        assert p in paths


def test_upload_and_fingerprints_only_registration_then_lookup(client: TestClient, alice: Account) -> None:
    text = make_text(31)
    r = client.post(
        "/works/upload",
        headers=alice.auth,
        files={"file": ("essay.txt", text.encode(), "text/plain")},
        data={
            "title": "Essay",
            "preferences": "genai-train=deny",
            "source_urls": ["https://a.example/essay"],
        },
    )
    assert r.status_code == 201, r.text
    work = r.json()["work"]
    assert work["media_type"] == "text" and work["iscc"].startswith("ISCC:") and not work["content_kept"]
    assert work["source_urls"] == ["https://a.example/essay"]
    r = client.post("/works", headers=alice.auth, json=fp_body(make_text(32), title="Private"))
    assert r.status_code == 201, r.text
    copy = fingerprint_content(edit_text(text, 4).encode(), filename="c.txt")
    r = client.post(
        "/lookup",
        json={
            "items": [
                {
                    "id": "copy",
                    "media_type": "text",
                    "fingerprints": [f.to_dict() for f in copy.fingerprints],
                },
                {"id": "exact", "sha256": work["sha256"].upper()},
                {"id": "nothing", "sha256": "f" * 64},
            ]
        },
    )
    assert r.status_code == 200, r.text
    results = {x["id"]: x["matches"] for x in r.json()["results"]}
    assert results["copy"][0]["work_id"] == work["id"] and results["copy"][0]["kind"] == "minhash"
    assert results["exact"][0]["score"] == 1.0
    rule = results["exact"][0]["preferences"]["rules"]["genai-train"]
    assert rule["use"] == "deny" and rule["evidence"][0]["source"] == "registry:work"
    assert results["exact"][0]["preferences"]["rules"]["tdm"]["use"] == "unknown"
    assert results["nothing"] == []


def test_keep_content_only_when_asked(client: TestClient, alice: Account) -> None:
    r = client.post(
        "/works/upload",
        headers=alice.auth,
        files={"file": ("k.txt", make_text(33).encode())},
        data={"keep_content": "true"},
    )
    assert r.status_code == 201 and r.json()["work"]["content_kept"] is True


def test_writes_need_a_valid_token(client: TestClient, alice: Account) -> None:
    body = fp_body(make_text(34))
    for headers in ({}, {"Authorization": "Bearer mm_wrong"}, {"Authorization": "Basic abc"}):
        r = client.post("/works", json=body, headers=headers)
        assert r.status_code == 401 and r.json()["detail"]
    tok = client.post("/tokens", json={"label": "x"}, headers=alice.auth).json()
    assert client.delete(f"/tokens/{tok['id']}", headers=alice.auth).status_code == 200
    r = client.post("/works", json=body, headers={"Authorization": f"Bearer {tok['token']}"})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert _works(client, alice) == []
    listed = client.get("/tokens", headers=alice.auth).json()
    assert all("token" not in t for t in listed) and any(t["revoked_at"] for t in listed)


def test_another_owners_work_answers_404(client: TestClient, alice: Account, bob: Account) -> None:
    wid = client.post("/works", headers=alice.auth, json=fp_body(make_text(35))).json()["work"]["id"]
    for method, path, kw in (
        ("GET", f"/works/{wid}", {}),
        ("PATCH", f"/works/{wid}", {"json": {"title": "stolen"}}),
        ("DELETE", f"/works/{wid}", {}),
        ("PUT", f"/works/{wid}/preferences", {"json": {"spec": "tdm=allow"}}),
        ("GET", "/works/doesnotexist", {}),
    ):
        r = client.request(method, path, headers=bob.auth, **kw)
        assert r.status_code == 404, (method, path, r.text)
    assert client.get(f"/works/{wid}", headers=alice.auth).json()["title"] == ""


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("oversized", 413),
        ("corrupt_image", 422),
        ("unknown_purpose", 422),
        ("unknown_purpose_rules", 422),
        ("bad_condition", 422),
        ("malformed_fingerprint", 422),
        ("unknown_fingerprint_kind", 422),
        ("bad_sha", 422),
        ("empty_upload", 422),
        ("lookup_too_big", 422),
        ("bad_lookup_fp", 422),
        ("bad_lookup_pdq_on_empty_registry", 422),
    ],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    client: TestClient, alice: Account, case: str, status: int
) -> None:
    text = make_text(36)
    good = fp_body(text)
    if case == "oversized":
        r = client.post("/works/upload", headers=alice.auth, files={"file": ("big.txt", b"a " * 200_000)})
    elif case == "corrupt_image":
        broken = _png(3)[:300]
        r = client.post("/works/upload", headers=alice.auth, files={"file": ("x.png", broken, "image/png")})
    elif case == "unknown_purpose":
        r = client.post(
            "/works", headers=alice.auth, json={**good, "preferences": {"spec": "mind-reading=deny"}}
        )
    elif case == "unknown_purpose_rules":
        r = client.post(
            "/works", headers=alice.auth, json={**good, "preferences": {"rules": {"nope": {"use": "deny"}}}}
        )
    elif case == "bad_condition":
        r = client.post(
            "/works", headers=alice.auth, json={**good, "preferences": {"spec": "tdm=allow-if:bribe"}}
        )
    elif case == "malformed_fingerprint":
        bad = [{**good["fingerprints"][0], "value": "!!!garbage!!!"}]
        r = client.post("/works", headers=alice.auth, json={**good, "fingerprints": bad})
    elif case == "unknown_fingerprint_kind":
        r = client.post(
            "/works", headers=alice.auth, json={**good, "fingerprints": [{"kind": "zzz", "value": "00"}]}
        )
    elif case == "bad_sha":
        r = client.post("/works", headers=alice.auth, json={**good, "sha256": "g" * 64})
    elif case == "empty_upload":
        r = client.post("/works/upload", headers=alice.auth, files={"file": ("e.txt", b"")})
    elif case == "lookup_too_big":
        r = client.post("/lookup", json={"items": [{"id": str(i)} for i in range(10_001)]})
    elif case == "bad_lookup_pdq_on_empty_registry":
        # no image is registered, so no index would ever decode this value: the edge must refuse it
        r = client.post(
            "/lookup", json={"items": [{"id": "x", "fingerprints": [{"kind": "pdq", "value": "zz"}]}]}
        )
        assert "64 hexadecimal digits" in r.text
    else:
        r = client.post(
            "/lookup",
            json={
                "items": [
                    {"id": "x", "media_type": "text", "fingerprints": [{"kind": "minhash", "value": ""}]}
                ]
            },
        )
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    if case == "corrupt_image":
        assert r.json()["error"] == "CorruptMediaError"
    assert _works(client, alice) == []
    assert client.get("/audit/verify").json()["ok"]


def test_preference_levels_and_disputes_over_http(client: TestClient, alice: Account, bob: Account) -> None:
    assert (
        client.put(
            "/preferences/collections/poems", headers=alice.auth, json={"spec": "ai-train=deny"}
        ).status_code
        == 200
    )
    r = client.put(
        "/preferences/domains",
        headers=alice.auth,
        json={"pattern": "https://alice.example/blog/*", "rules": {"search": {"use": "allow"}}},
    )
    assert r.status_code == 200 and r.json()["target"] == "alice.example/blog/*"
    body = fp_body(make_text(37), collection="poems", source_urls=["https://alice.example/blog/1"])
    wid = client.post("/works", headers=alice.auth, json=body).json()["work"]["id"]
    rules = client.get(f"/works/{wid}/preferences", headers=alice.auth).json()["rules"]
    assert (
        rules["ai-train"]["use"] == "deny"
        and rules["ai-train"]["evidence"][0]["location"] == "collection:poems"
    )
    assert rules["search"]["evidence"][0]["location"] == "domain:alice.example/blog/*"
    r = client.post("/works", headers=bob.auth, json=fp_body(make_text(37)))
    assert r.status_code == 201 and r.json()["disputes"][0]["other_owner_name"] == "Alice"
    seen_by_alice = client.get("/disputes", headers=alice.auth).json()
    assert seen_by_alice and seen_by_alice[0]["other_owner_name"] == "Bob"
    res = client.post("/lookup", json={"items": [{"id": "q", "sha256": body["sha256"]}]}).json()["results"][0]
    assert len(res["matches"]) == 2 and all(
        m["disputed"] and len(m["claimants"]) == 2 for m in res["matches"]
    )


def test_signals_published_for_verified_domain_only(
    client: TestClient, alice: Account, test_data: Path
) -> None:
    client.app.state.settings.agents_path = str(test_data / "ai-robots-txt" / "robots.json")  # type: ignore[attr-defined]
    with static_site() as site:
        domain = site.domain
        claim = client.post("/domains", headers=alice.auth, json={"domain": domain}).json()
        client.put(
            "/preferences/domains",
            headers=alice.auth,
            json={"pattern": "127.0.0.1", "spec": "ai-train=deny"},
        )
        assert client.get(f"/owners/{alice.id}/signals").status_code == 404  # not verified yet
        assert client.post(f"/domains/{domain}/verify", headers=alice.auth).status_code == 422
        site.files["/.well-known/mediamanager-verification.txt"] = (200, claim["token"].encode(), {})
        r = client.post(f"/domains/{domain}/verify", headers=alice.auth)
        assert r.status_code == 200 and r.json()["verified"]
        sig = client.get(f"/owners/{alice.id}/signals").json()
        assert "GPTBot" in sig["robots_txt"] and "Disallow: /" in sig["robots_txt"]
        assert "train-ai=n" in sig["content_usage"].replace(" ", "")
        assert sig["tdmrep_json"][0]["tdm-reservation"] == 1
        assert sig["ai_txt"] and isinstance(sig["content_signal"], str)


def test_owner_public_view_hides_email(client: TestClient, alice: Account) -> None:
    assert "email" not in client.get(f"/owners/{alice.id}").json()
    assert client.get("/owners/me", headers=alice.auth).json()["email"] == "alice@example.org"
    assert sign_up(client, "Carol").id != alice.id
