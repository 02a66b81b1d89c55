"""D16: signals for a verified domain with a port, path-scoped rules kept per path; no self-lock-out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import Account
from tests.loopback import static_site


@pytest.fixture
def verified(client: TestClient, alice: Account, test_data: Path) -> Iterator[str]:
    """A domain with a port (``127.0.0.1:PORT``) that ``alice`` has verified against a real loopback site."""
    client.app.state.settings.agents_path = str(test_data / "ai-robots-txt" / "robots.json")  # type: ignore[attr-defined]
    with static_site() as site:
        domain = site.domain
        claim = client.post("/domains", headers=alice.auth, json={"domain": domain}).json()
        site.files["/.well-known/mediamanager-verification.txt"] = (200, claim["token"].encode(), {})
        assert client.post(f"/domains/{domain}/verify", headers=alice.auth).status_code == 200
        yield domain


def _group(robots: str, agent: str) -> list[str]:
    for block in robots.split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#")]
        if lines and lines[0] == f"User-Agent: {agent}":
            return lines[1:]
    return []


def test_preferences_stated_with_the_port_are_published(
    client: TestClient, alice: Account, verified: str
) -> None:
    for pattern, spec in ((verified, "ai-train=allow"), (f"{verified}/photos/*", "ai-train=deny")):
        r = client.put("/preferences/domains", headers=alice.auth, json={"pattern": pattern, "spec": spec})
        assert r.status_code == 200, r.text
    sig = client.get(f"/owners/{alice.id}/signals", params={"domain": verified}).json()
    assert sig["domain"] == verified
    assert _group(sig["robots_txt"], "GPTBot") == ["Disallow: /photos/", "Allow: /"]
    assert "train-ai=n" not in sig["content_usage"].replace(" ", "")
    assert [(e["location"], e["tdm-reservation"]) for e in sig["tdmrep_json"]] == [("/photos/*", 1)]


def test_a_path_scoped_deny_is_not_flattened_to_the_whole_site(
    client: TestClient, alice: Account, verified: str
) -> None:
    r = client.put(
        "/preferences/domains",
        headers=alice.auth,
        json={"pattern": "127.0.0.1/private/*", "spec": "ai-train=deny"},
    )
    assert r.status_code == 200, r.text
    sig = client.get(f"/owners/{alice.id}/signals").json()
    assert _group(sig["robots_txt"], "GPTBot") == ["Disallow: /private/"]
    assert _group(sig["robots_txt"], "*")[-1] == "Allow: /"
    assert "train-ai=n" not in sig["content_usage"].replace(" ", "")


def test_the_last_active_token_cannot_be_revoked(client: TestClient, alice: Account) -> None:
    [only] = client.get("/tokens", headers=alice.auth).json()
    r = client.delete(f"/tokens/{only['id']}", headers=alice.auth)
    assert r.status_code == 409 and "last active token" in r.json()["detail"]
    assert client.get("/owners/me", headers=alice.auth).status_code == 200
    spare = client.post("/tokens", json={"label": "spare"}, headers=alice.auth).json()
    assert client.delete(f"/tokens/{only['id']}", headers=alice.auth).status_code == 200
    assert client.get("/owners/me", headers=alice.auth).status_code == 401
    again = client.delete(f"/tokens/{spare['id']}", headers={"Authorization": f"Bearer {spare['token']}"})
    assert again.status_code == 409
