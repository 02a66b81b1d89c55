"""20 clients registering and looking up at once against a real server: no lost write, no corrupt claim."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import sqlalchemy as sa
from tests.loopback import serve_registry
from tests.registry.conftest import make_text

from mediamanager.fingerprint import fingerprint_content
from mediamanager.registry.store.tables import disputes, works

CLIENTS = 20
WORKS_EACH = 4


def _body(text: str) -> dict[str, Any]:
    fp = fingerprint_content(text.encode(), filename="t.txt")
    return {
        "media_type": "text",
        "sha256": fp.sha256,
        "iscc": fp.iscc,
        "fingerprints": [f.to_dict() for f in fp.fingerprints],
    }


def test_twenty_concurrent_clients(db_url: str) -> None:
    shared = _body(make_text(999))
    own = [[_body(make_text(1000 + c * 10 + i)) for i in range(WORKS_EACH)] for c in range(CLIENTS)]
    # 20 sign-ups and 800 lookups from one address: the per-client limits are lifted here.
    barrier = threading.Barrier(CLIENTS)
    with serve_registry(db_url, signup_rate_per_minute=0, lookup_rate_per_minute=0) as server:
        app = server.app

        def client(c: int) -> tuple[str, list[str]]:
            with httpx.Client(base_url=server.url, timeout=120, trust_env=False) as http:
                r = http.post("/owners", json={"display_name": f"owner-{c}"})
                r.raise_for_status()
                owner, auth = (
                    r.json()["owner"]["id"],
                    {"Authorization": f"Bearer {r.json()['token']['token']}"},
                )
                barrier.wait()
                ids = []
                for i, body in enumerate(own[c]):
                    r = http.post("/works", json={**body, "title": f"{c}-{i}"}, headers=auth)
                    assert r.status_code == 201, r.text
                    ids.append(r.json()["work"]["id"])
                    if i == 1:
                        r = http.post("/works", json={**shared, "title": f"shared-{c}"}, headers=auth)
                        assert r.status_code == 201, r.text
                    look = http.post("/lookup", json={"items": [{"id": "x", "sha256": body["sha256"]}]})
                    assert look.status_code == 200
                    assert [m["work_id"] for m in look.json()["results"][0]["matches"]] == [ids[-1]]
                return owner, ids

        with ThreadPoolExecutor(CLIENTS) as pool:
            outcomes = list(pool.map(client, range(CLIENTS)))
        with httpx.Client(base_url=server.url, timeout=60, trust_env=False) as http:
            res = http.post("/lookup", json={"items": [{"id": "s", "sha256": shared["sha256"]}]}).json()
            audit = http.get("/audit/verify").json()
    matches = res["results"][0]["matches"]
    owners = {o for o, _ in outcomes}
    assert len(matches) == CLIENTS and {m["owner_id"] for m in matches} == owners
    assert all(m["disputed"] and set(m["claimants"]) == owners for m in matches)
    with app.state.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(works)).scalar_one() == CLIENTS * (
            WORKS_EACH + 1
        )
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(disputes)).scalar_one()
            == CLIENTS * (CLIENTS - 1) // 2
        )
        statuses = dict(
            conn.execute(sa.select(works.c.status, sa.func.count()).group_by(works.c.status)).all()
        )
    assert statuses == {"active": CLIENTS * WORKS_EACH, "disputed": CLIENTS}
    assert audit["ok"] and audit["entries"] > CLIENTS * (WORKS_EACH + 3)
    app.state.engine.dispose()
