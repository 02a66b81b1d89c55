"""IDOR sweep over /openapi.json: every route with a path parameter, called by owner B with owner A's
ids, must not reach A's records. Routes are read from the schema, so a new route is swept as soon as
it exists, and this test fails until it is classified in ROUTES below."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from tests.api.conftest import Account, fp_body, sign_up

# (METHOD, path) -> (kind, expected status for B, body).
#   private:    another owner's record answers 404 exactly like a missing one
#   public:     readable by anyone by design (as in the C2PA resolution API); must not leak private fields
#   namespaced: the name is per owner, so B acts on B's own (empty) namespace, never on A's
ROUTES: dict[tuple[str, str], tuple[str, int, dict[str, Any] | None]] = {
    ("GET", "/owners/{owner_id}"): ("public", 200, None),
    ("GET", "/owners/{owner_id}/signals"): ("public", 404, None),  # A has no verified domain
    ("DELETE", "/tokens/{token_id}"): ("private", 404, None),
    ("GET", "/works/{work_id}"): ("private", 404, None),
    ("PATCH", "/works/{work_id}"): ("private", 404, {"title": "pwned"}),
    ("DELETE", "/works/{work_id}"): ("private", 404, None),
    ("GET", "/works/{work_id}/preferences"): ("private", 404, None),
    ("PUT", "/works/{work_id}/preferences"): ("private", 404, {"spec": "genai-train=allow"}),
    ("GET", "/works/{work_id}/disputes"): ("private", 404, None),
    ("PUT", "/preferences/collections/{name}"): ("namespaced", 200, {"spec": "genai-train=allow"}),
    # B's own collection of that name, made by the PUT above (DELETE routes are swept last)
    ("DELETE", "/preferences/collections/{name}"): ("namespaced", 204, None),
    ("POST", "/domains/{domain}/verify"): ("private", 404, None),
    ("GET", "/manifests/{manifest_id}"): ("public", 200, None),
    ("DELETE", "/manifests/{manifest_id}"): ("private", 404, None),
    # A's dispute with C: B is no party
    ("GET", "/disputes/{dispute_id}"): ("private", 404, None),
    ("POST", "/disputes/{dispute_id}/respond"): ("private", 404, {"evidence": "mine since 1999"}),
    ("POST", "/disputes/{dispute_id}/withdraw"): ("private", 404, None),
    ("POST", "/disputes/{dispute_id}/resolve"): ("private", 404, {"outcome": "later"}),
    # the ledger: an event about A's work from C's scan, and C's licence request to A
    ("GET", "/ledger/events/{seq}"): ("private", 404, None),
    ("GET", "/ledger/licences/{licence_id}"): ("private", 404, None),
    ("POST", "/ledger/licences/{licence_id}/accept"): ("private", 404, None),
    ("POST", "/ledger/licences/{licence_id}/decline"): ("private", 404, None),
    ("POST", "/ledger/licences/{licence_id}/revoke"): ("private", 404, None),
    ("GET", "/works/{work_id}/usage"): ("private", 404, None),
}

SECRETS = ("alice@example.org", "A secret title", "https://alice.example/private")


def _a_records(client: TestClient, a: Account) -> dict[str, str]:
    """One record of every kind, owned by A (or shared by A and a third owner C, never B); returns the
    value for each path-parameter name."""
    from mediamanager.ledger.events import WorkUsage
    from mediamanager.registry.ledger import LedgerService

    body = fp_body("Alice's private poem about the sea and the wind. " * 20)
    w = client.post(
        "/works",
        headers=a.auth,
        json={
            **body,
            "title": SECRETS[1],
            "collection": "a-coll",
            "source_urls": [SECRETS[2] + "/1"],
            "preferences": {"spec": "ai-input=allow-if:attribution"},
        },
    )
    assert w.status_code == 201, w.text
    work_id = w.json()["work"]["id"]
    c = sign_up(client, "Carol")
    assert client.post("/works", headers=c.auth, json=body).status_code == 201  # C claims it too: a dispute
    [dispute] = client.get("/disputes", headers=a.auth).json()
    lic = client.post(
        "/ledger/licences",
        headers=c.auth,
        json={"work_ids": [work_id], "purpose": "ai-input", "licensee_key_id": "0123456789abcdef"},
    )
    assert lic.status_code == 201, lic.text
    uow = client.app.state.uow  # type: ignore[attr-defined]
    with uow.write(c.id) as tx:  # an event about A's work, as C's scan submission would record it
        submission = {
            "id": "sub-1", "scan_id": "scan-1", "builder_id": c.id, "dataset": "d", "dataset_version": "1",
            "purpose": "ai-input", "scan_time": "2026-11-01T00:00:00+00:00",
        }  # fmt: skip
        usage = WorkUsage(work_id, a.id, "kept-under-licence", None, "sha256", 1.0, None, ["i1"])
        assert LedgerService.append_events(tx.conn, submission, [usage]) == 1
    assert (
        client.put(
            "/preferences/collections/a-coll", headers=a.auth, json={"spec": "ai-train=deny"}
        ).status_code
        == 200
    )
    r = client.put(
        "/preferences/domains",
        headers=a.auth,
        json={"pattern": "alice.example/private/*", "spec": "tdm=deny"},
    )
    assert r.status_code == 200
    assert client.post("/domains", headers=a.auth, json={"domain": "alice.example"}).status_code == 201
    t = client.post("/tokens", headers=a.auth, json={"label": "second"})
    assert t.status_code == 201
    m = client.post(
        "/manifests",
        headers=a.auth,
        json={"manifestId": "urn:a:1", "format": "image/jpeg", "manifest": {"x": 1}},
    )
    assert m.status_code == 201
    return {
        "work_id": work_id,
        "dispute_id": dispute["id"],
        "licence_id": lic.json()["id"],
        "seq": "1",
        "owner_id": a.id,
        "token_id": t.json()["id"],
        "name": "a-coll",
        "domain": "alice.example",
        "manifest_id": "urn:a:1",
    }


def _a_state(client: TestClient, a: Account, ids: dict[str, str]) -> str:
    h = a.auth
    return json.dumps(
        [
            client.get(p, headers=h).json()
            for p in (
                "/works",
                f"/works/{ids['work_id']}",
                "/preferences",
                "/tokens",
                "/domains",
                "/disputes",
            )
        ]
        + [client.get(f"/works/{ids['work_id']}/preferences", headers=h).json()["rules"]]
        + [client.get("/manifests/urn:a:1").json()],
        sort_keys=True,
    )


def test_every_path_parameter_route_is_swept_and_answers_404_to_another_owner(client: TestClient) -> None:
    a, b = sign_up(client, "Alice"), sign_up(client, "Bob")
    ids = _a_records(client, a)
    spec = client.get("/openapi.json").json()
    routes = [(m.upper(), p) for p, ms in spec["paths"].items() if "{" in p for m in ms]
    routes.sort(key=lambda r: r[0] == "DELETE")
    unclassified = sorted(set(routes) - set(ROUTES))
    assert not unclassified, f"classify these routes in ROUTES: {unclassified}"
    assert sorted(set(ROUTES) - set(routes)) == []  # no stale entries either
    before = _a_state(client, a, ids)
    seen = []
    for method, path in routes:
        kind, expected, body = ROUTES[(method, path)]
        url = path
        for name in [seg[1:-1].split(":")[0] for seg in path.split("/") if seg.startswith("{")]:
            assert name in ids, f"no value of A's for path parameter {name!r} ({method} {path})"
            url = url.replace("{" + name + "}", ids[name])
        r = client.request(method, url, headers=b.auth, json=body)
        assert r.status_code == expected, (method, path, kind, r.status_code, r.text[:200])
        for secret in SECRETS:
            assert secret not in r.text, (method, path, secret)
        seen.append((method, path))
    assert len(seen) == len(ROUTES)
    assert _a_state(client, a, ids) == before  # nothing of A's changed
