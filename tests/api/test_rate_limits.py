"""Per-client rate limits on sign-up and anonymous lookup, and the anonymous lookup cost cap (D16),
on a real uvicorn server on loopback."""

from __future__ import annotations

import base64
import os

import httpx
import pytest

from mediamanager.api.app import create_app
from mediamanager.api.ratelimit import TokenBuckets
from mediamanager.api.server import serve_in_thread
from mediamanager.registry.accounts import AccountService
from mediamanager.settings import Settings


def test_signup_and_anonymous_lookup_are_limited_per_client(db_url: str) -> None:
    settings = Settings(
        db_url=db_url, signup_rate_per_minute=6, signup_burst=3, lookup_rate_per_minute=60, lookup_burst=4
    )
    app = create_app(settings)
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url, trust_env=False) as http:
        codes = [http.post("/owners", json={"display_name": f"o{i}"}).status_code for i in range(5)]
        assert codes == [201, 201, 201, 429, 429]
        r = http.post("/owners", json={"display_name": "late"})
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "10"  # one sign-up per 10 s at 6 a minute
        with app.state.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM owners").scalar_one() == 3
        body = {"items": [{"id": "x", "sha256": "0" * 64}]}
        codes = [http.post("/lookup", json=body).status_code for _ in range(6)]
        assert codes == [200, 200, 200, 200, 429, 429]
        # A real token is not limited here; a bogus one is refused rather than let through.
        token = AccountService(app.state.uow).create_owner("Tok")[1].secret
        auth = {"Authorization": f"Bearer {token}"}
        assert [http.post("/lookup", json=body, headers=auth).status_code for _ in range(6)] == [200] * 6
        assert http.post("/lookup", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert http.post("/lookup", json=body, headers={"Authorization": "Basic eDp5"}).status_code == 429
    app.state.engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_anonymous_lookup_cost_is_capped(db_url: str) -> None:
    app = create_app(Settings(db_url=db_url, anonymous_lookup_max_fingerprints=10))
    mh = {"kind": "minhash", "value": "mh1:" + base64.b64encode(os.urandom(512)).decode(), "size": 100}
    small = {"items": [{"id": str(i), "media_type": "text", "fingerprints": [mh]} for i in range(10)]}
    big = {"items": [{"id": str(i), "media_type": "text", "fingerprints": [mh]} for i in range(11)]}
    with (
        serve_in_thread(app) as server,
        httpx.Client(base_url=server.url, trust_env=False, timeout=60) as http,
    ):
        assert http.post("/lookup", json=small).status_code == 200
        r = http.post("/lookup", json=big)
        assert r.status_code == 413
        assert "at most 10" in r.json()["detail"]
        token = AccountService(app.state.uow).create_owner("Tok")[1].secret
        assert http.post("/lookup", json=big, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    app.state.engine.dispose()


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    b = TokenBuckets(per_minute=30, burst=2, clock=lambda: now[0])
    assert [b.take("a"), b.take("a")] == [0.0, 0.0]
    assert b.take("a") == pytest.approx(2.0)  # one token every 2 s
    assert b.take("b") == 0.0  # another client has its own bucket
    now[0] = 2.0
    assert b.take("a") == 0.0
    assert b.take("a") == pytest.approx(2.0)
    assert TokenBuckets(per_minute=0, burst=1).take("a") == 0.0  # 0: no limit
