"""Malformed input gets a short 422 and writes nothing, on SQLite and PostgreSQL (review D9).

Every request shape here answered HTTP 500 (or stored garbage with a 200) before: NaN/Infinity in
JSON, lone surrogates, NUL characters, integers of 2^63 and more, and wrongly typed conditions.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.api.conftest import Account

SHA = hashlib.sha256(b"malformed").hexdigest()
J = {"Content-Type": "application/json"}
TABLES = ("owners", "tokens", "works", "fingerprints", "preferences", "disputes", "domains", "audit_log")


def _state(client: TestClient) -> dict[str, Any]:
    engine: sa.Engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
        counts["manifests"] = conn.execute(sa.text("SELECT count(*) FROM provenance_manifests")).scalar_one()
        counts["prefs"] = sorted(conn.execute(sa.text("SELECT document FROM preferences")).scalars())
        counts["head"] = conn.execute(sa.text("SELECT seq, hash FROM audit_head")).one()._tuple()
    return counts


def _rules(conditions: Any) -> dict[str, Any]:
    return {"rules": {"tdm": {"use": "allow-if", "conditions": conditions}}}


# (name, method, path, raw JSON body or None, query params). "{W}" is the work's id.
RAW: list[tuple[str, str, str, bytes | None, dict[str, str] | None]] = [
    ("owner NaN", "POST", "/owners", b'{"display_name": NaN}', None),
    ("owner Infinity", "POST", "/owners", b'{"display_name": Infinity}', None),
    ("owner -Infinity", "POST", "/owners", b'{"display_name": -Infinity}', None),
    ("lookup id Infinity", "POST", "/lookup", b'{"items": [{"id": Infinity}]}', None),
    ("work size NaN", "POST", "/works", b'{"media_type": "text", "sha256": "%s", "size_bytes": NaN}', None),
    ("owner surrogate", "POST", "/owners", b'{"display_name": "\\ud800"}', None),
    ("token label surrogate", "POST", "/tokens", b'{"label": "a\\udfff"}', None),
    ("lookup id surrogate", "POST", "/lookup", b'{"items": [{"id": "\\udfff", "sha256": "%s"}]}', None),
    (
        "work title surrogate",
        "POST",
        "/works",
        b'{"media_type": "text", "sha256": "%s", "title": "\\ud800"}',
        None,
    ),
    ("patch title surrogate", "PATCH", "/works/{W}", b'{"title": "x\\ud800"}', None),
    ("prefs note surrogate", "PUT", "/works/{W}/preferences", b'{"spec": "tdm=allow-if:note=\\ud800"}', None),
    (
        "manifest id surrogate",
        "POST",
        "/manifests",
        b'{"manifestId": "urn:\\ud800", "format": "x", "manifest": {}}',
        None,
    ),
    (
        "manifest body surrogate",
        "POST",
        "/manifests",
        b'{"manifestId": "urn:s", "format": "x", "manifest": {"k": "\\ud800"}}',
        None,
    ),
    (
        "manifest body NaN",
        "POST",
        "/manifests",
        b'{"manifestId": "urn:n", "format": "x", "manifest": {"k": NaN}}',
        None,
    ),
    ("owner NUL", "POST", "/owners", b'{"display_name": "a\\u0000b"}', None),
    ("token label NUL", "POST", "/tokens", b'{"label": "a\\u0000b"}', None),
    (
        "work title NUL",
        "POST",
        "/works",
        b'{"media_type": "text", "sha256": "%s", "title": "a\\u0000b"}',
        None,
    ),
    (
        "work creator NUL",
        "POST",
        "/works",
        b'{"media_type": "text", "sha256": "%s", "creator": "a\\u0000b"}',
        None,
    ),
    (
        "work collection NUL",
        "POST",
        "/works",
        b'{"media_type": "text", "sha256": "%s", "collection": "a\\u0000"}',
        None,
    ),
    ("patch collection NUL", "PATCH", "/works/{W}", b'{"collection": "a\\u0000b"}', None),
    (
        "manifest id NUL",
        "POST",
        "/manifests",
        b'{"manifestId": "urn:a\\u0000", "format": "x", "manifest": {}}',
        None,
    ),
    ("collection path NUL", "PUT", "/preferences/collections/a%00b", b'{"spec": "tdm=deny"}', None),
    (
        "domain pattern NUL",
        "PUT",
        "/preferences/domains",
        b'{"pattern": "ex.com/a\\u0000", "spec": "tdm=deny"}',
        None,
    ),
    ("domain delete query NUL", "DELETE", "/preferences/domains", None, {"pattern": "ex.com/\x00"}),
    ("domain claim NUL", "POST", "/domains", b'{"domain": "ex\\u0000.com"}', None),
    ("offset 2^63", "GET", "/works", None, {"offset": str(2**63)}),
    ("offset 2^64", "GET", "/works", None, {"offset": str(2**64)}),
    ("offset 10^30", "GET", "/works", None, {"offset": str(10**30)}),
    (
        "size_bytes 2^63",
        "POST",
        "/works",
        b'{"media_type": "text", "sha256": "%s", "size_bytes": 9223372036854775808}',
        None,
    ),
    (
        "size_bytes 2^70",
        "POST",
        "/works",
        b'{"media_type": "text", "sha256": "%s", "size_bytes": 1180591620717411303424}',
        None,
    ),
    (
        "fingerprint size 2^40",
        "POST",
        "/works",
        b'{"media_type": "image", "sha256": "%s", "fingerprints": [{"kind": "phash", "value": "0000000000000000", "size": 1099511627776}]}',
        None,
    ),
    (
        "amount NaN",
        "PUT",
        "/works/{W}/preferences",
        json.dumps(_rules({"payment": {"amount": "NaN"}})).encode(),
        None,
    ),
    (
        "amount raw NaN",
        "PUT",
        "/works/{W}/preferences",
        b'{"rules": {"tdm": {"use": "allow-if", "conditions": {"payment": {"amount": NaN}}}}}',
        None,
    ),
    (
        "amount 1e999999",
        "PUT",
        "/works/{W}/preferences",
        b'{"rules": {"tdm": {"use": "allow-if", "conditions": {"payment": {"amount": 1e999999}}}}}',
        None,
    ),
]

CONDITIONS: list[tuple[str, Any]] = [
    ("payment string", {"payment": "x"}),
    ("amount abc", {"payment": {"amount": "abc"}}),
    ("amount negative", {"payment": {"amount": -5}}),
    ("amount huge", {"attribution": True, "payment": {"amount": 1e308}}),
    ("amount text huge", {"payment": {"amount": "1e999999"}}),
    ("amount bool", {"payment": {"amount": True}}),
    ("currency int", {"attribution": True, "payment": {"amount": 1, "currency": 5}}),
    ("payment model unknown", {"payment": {"model": "bitcoin"}}),
    ("payment model list", {"payment": {"model": ["per-item"]}}),
    ("payment extra field", {"payment": {"model": "per-item", "bribe": 1}}),
    ("expires int", {"attribution": True, "expires": 12}),
    ("expires word", {"expires": "yesterday"}),
    ("licence_url list", {"licence_url": ["a"], "attribution": True}),
    ("note object", {"attribution": True, "note": {"x": 1}}),
    ("note NUL", {"note": "a\x00b"}),
    ("attribution string", {"attribution": "yes"}),
    ("attribution int", {"attribution": 1}),
    ("unknown key", {"attribution": True, "extra": 1}),
    ("conditions list", ["attribution"]),
    ("note too long", {"note": "n" * 1001}),
]

SPECS = [
    "tdm=allow-if:payment=per-item/NaN USD",
    "tdm=allow-if:payment=per-item/-5 USD",
    "tdm=allow-if:payment=per-item/1e999999 USD",
    "tdm=allow-if:payment=per-item/Infinity USD",
    "tdm=allow-if:payment=per-item/abc USD",
    "tdm=allow-if:expires=notadate",
    "tdm=allow-if:bribe",
    "tdm=allow-if:note=a\x00b",
]


@pytest.fixture
def work_id(client: TestClient, alice: Account) -> str:
    r = client.post("/works", headers=alice.auth, json={"media_type": "text", "sha256": SHA})
    assert r.status_code == 201, r.text
    return str(r.json()["work"]["id"])


def _check_refused(client: TestClient, method: str, path: str, **kw: Any) -> None:
    before = _state(client)
    r = client.request(method, path, **kw)
    assert r.status_code == 422, (r.status_code, r.text[:300])
    body = r.json()
    assert body["detail"], body
    assert len(r.content) < 8000  # a short message, never an echo of the input
    assert _state(client) == before  # nothing was written


@pytest.mark.parametrize(("name", "method", "path", "raw", "params"), RAW, ids=[c[0] for c in RAW])
def test_malformed_request_gets_422_and_writes_nothing(
    client: TestClient,
    alice: Account,
    work_id: str,
    name: str,
    method: str,
    path: str,
    raw: bytes | None,
    params: dict[str, str] | None,
) -> None:
    content = None
    if raw is not None:
        content = raw.replace(b"%s", SHA.encode()) if b'"%s"' in raw else raw
    _check_refused(
        client,
        method,
        path.replace("{W}", work_id),
        content=content,
        params=params,
        headers={**alice.auth, **J},
    )


@pytest.mark.parametrize(("name", "conditions"), CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_ill_typed_conditions_are_refused_and_never_stored(
    client: TestClient, alice: Account, work_id: str, name: str, conditions: Any
) -> None:
    for path in (f"/works/{work_id}/preferences", "/preferences/collections/c1"):
        _check_refused(client, "PUT", path, headers=alice.auth, json=_rules(conditions))
    _check_refused(
        client,
        "PUT",
        "/preferences/domains",
        headers=alice.auth,
        json={"pattern": "ex.com/*", **_rules(conditions)},
    )
    # The same conditions inside a registration are refused too, before the work is created.
    _check_refused(
        client,
        "POST",
        "/works",
        headers=alice.auth,
        json={"media_type": "text", "sha256": "b" * 64, "preferences": _rules(conditions)},
    )


@pytest.mark.parametrize("spec", SPECS)
def test_bad_specs_are_refused(client: TestClient, alice: Account, work_id: str, spec: str) -> None:
    _check_refused(client, "PUT", f"/works/{work_id}/preferences", headers=alice.auth, json={"spec": spec})
    before = _state(client)
    r = client.post(
        "/works/upload",
        headers=alice.auth,
        files={"file": ("t.txt", b"some text to register " * 5)},
        data={"preferences": spec},
    )
    assert r.status_code == 422, r.text
    assert _state(client) == before


def test_huge_invalid_input_is_not_echoed(client: TestClient, alice: Account) -> None:
    r = client.post("/owners", json={"display_name": "x" * 100_000})
    assert r.status_code == 422
    assert len(r.content) < 2000
    r = client.post("/lookup", json={"items": [{"id": "i", "sha256": "z" * 5000}] * 30})
    assert r.status_code == 422
    assert len(r.content) < 8000


def test_reads_still_work_after_refusals(client: TestClient, alice: Account, work_id: str) -> None:
    for _, conditions in CONDITIONS:
        client.put(f"/works/{work_id}/preferences", headers=alice.auth, json=_rules(conditions))
    assert client.get(f"/works/{work_id}/preferences", headers=alice.auth).status_code == 200
    r = client.post("/lookup", json={"items": [{"id": "x", "sha256": SHA}]})
    assert r.status_code == 200
    assert r.json()["results"][0]["matches"][0]["work_id"] == work_id


def test_expiry_offsets_and_naive_times(client: TestClient, alice: Account, work_id: str) -> None:
    """A ``+hh:mm`` offset can be written in a spec; a naive time is UTC in both forms."""
    url = f"/works/{work_id}/preferences"
    r = client.put(
        url, headers=alice.auth, json={"spec": "tdm=allow-if:attribution+expires=2030-01-01T00:00:00+14:00"}
    )
    assert r.status_code == 200, r.text
    cond = r.json()["rules"]["tdm"]["conditions"]
    assert cond["expires"] == "2030-01-01T00:00:00+14:00"
    assert cond["attribution"] is True
    r = client.put(url, headers=alice.auth, json={"spec": "tdm=allow-if:expires=2030-01-01T00:00:00+note=x"})
    assert r.status_code == 200, r.text
    assert r.json()["rules"]["tdm"]["conditions"]["expires"] == "2030-01-01T00:00:00+00:00"
    assert r.json()["rules"]["tdm"]["conditions"]["note"] == "x"
    r = client.put(url, headers=alice.auth, json=_rules({"expires": "2030-01-01T00:00:00"}))
    assert r.status_code == 200, r.text
    assert r.json()["rules"]["tdm"]["conditions"]["expires"] == "2030-01-01T00:00:00+00:00"
    r = client.put(
        url,
        headers=alice.auth,
        json=_rules({"payment": {"model": "per-item", "amount": "0.01", "currency": "USD"}}),
    )
    assert r.status_code == 200, r.text
    assert r.json()["rules"]["tdm"]["conditions"]["payment"] == {
        "model": "per-item",
        "amount": "0.01",
        "currency": "USD",
        "url": None,
    }
