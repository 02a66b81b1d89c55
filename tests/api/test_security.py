"""Security review of the registry and its API: tokens, owner isolation, hostile bodies, SSRF, leak-free exports."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.api.conftest import Account, fp_body, sign_up
from tests.loopback import StaticSite, static_site
from tests.registry.conftest import make_text

from mediamanager.api.app import create_app
from mediamanager.errors import VerificationError
from mediamanager.model import parse_preference_spec
from mediamanager.netguard import public_address
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.domains import WELL_KNOWN_PATH, DomainService, check_domain_token
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.snapshot import export_snapshot
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService
from mediamanager.settings import Settings

_TEXT = "A quiet harbour at dawn, the boats still tied, gulls arguing over the nets. " * 20


def _dump_database(client: TestClient) -> str:
    """Every row of every table, as text: what an attacker with a copy of the database would see."""
    engine: sa.Engine = client.app.state.engine  # type: ignore[attr-defined]
    meta = sa.MetaData()
    meta.reflect(engine)
    out = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                out.append(repr(tuple(row)))
    return "\n".join(out)


def test_tokens_hashed_never_logged_never_shown_again_and_revocation_holds(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    alice = sign_up(client, "Alice")
    extra = client.post("/tokens", headers=alice.auth, json={"label": "ci"}).json()
    client.post("/works", headers=alice.auth, json=fp_body(_TEXT))
    dump = _dump_database(client)
    for secret in (alice.token, extra["token"]):
        assert secret not in dump, "a token secret is stored in clear"
        assert hashlib.sha256(secret.encode()).hexdigest() in dump, "the token hash is not stored"
        assert secret not in caplog.text, "a token secret reached the logs"
    listed = client.get("/tokens", headers=alice.auth)
    assert listed.status_code == 200 and "token" not in json.dumps([sorted(t) for t in listed.json()])
    assert alice.token not in listed.text and extra["token"] not in listed.text
    assert alice.token not in client.get("/owners/me", headers=alice.auth).text
    # The audit trail names tokens by id only.
    audit = LookupService(client.app.state.uow).audit_entries(limit=1000)  # type: ignore[attr-defined]
    assert audit and all(alice.token not in repr(e) and extra["token"] not in repr(e) for e in audit)
    # Revoked tokens are refused on every write and read.
    assert client.delete(f"/tokens/{extra['id']}", headers=alice.auth).status_code == 200
    revoked = {"Authorization": f"Bearer {extra['token']}"}
    assert client.get("/works", headers=revoked).status_code == 401
    assert client.post("/works", headers=revoked, json=fp_body(_TEXT + "x")).status_code == 401
    assert client.get("/works", headers=alice.auth).status_code == 200
    # Near-miss secrets do not authenticate.
    for bad in (alice.token[:-1], alice.token + "x", alice.token.upper(), "", "mm_"):
        assert client.get("/owners/me", headers={"Authorization": f"Bearer {bad}"}).status_code in (401, 403)


def test_every_write_needs_a_token(client: TestClient) -> None:
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("post", "/works", {"json": fp_body(_TEXT)}),
        ("post", "/works/upload", {"files": {"file": ("a.txt", _TEXT.encode())}}),
        ("patch", "/works/x", {"json": {"title": "t"}}),
        ("delete", "/works/x", {}),
        ("put", "/works/x/preferences", {"json": {"spec": "genai-train=deny"}}),
        ("put", "/preferences/collections/c", {"json": {"spec": "genai-train=deny"}}),
        ("delete", "/preferences/collections/c", {}),
        ("put", "/preferences/domains", {"json": {"pattern": "example.com/*", "spec": "genai-train=deny"}}),
        ("delete", "/preferences/domains?pattern=example.com/*", {}),
        ("post", "/tokens", {"json": {}}),
        ("delete", "/tokens/x", {}),
        ("post", "/domains", {"json": {"domain": "example.com"}}),
        ("post", "/domains/example.com/verify", {}),
        ("post", "/manifests", {"json": {"manifestId": "m", "format": "json", "manifest": {}}}),
        ("delete", "/manifests/m", {}),
    ]
    for method, path, kw in writes:
        r = getattr(client, method)(path, **kw)
        assert r.status_code == 401, f"{method.upper()} {path} without a token answered {r.status_code}"


def test_another_owners_records_answer_404_on_every_route_that_takes_an_id(client: TestClient) -> None:
    alice, bob = sign_up(client, "Alice"), sign_up(client, "Bob")
    work = client.post("/works", headers=alice.auth, json=fp_body(_TEXT)).json()["work"]["id"]
    token = client.post("/tokens", headers=alice.auth, json={"label": "x"}).json()["id"]
    client.post("/domains", headers=alice.auth, json={"domain": "alice.example"})
    manifest = {"manifestId": "urn:alice:1", "format": "application/json", "manifest": {"a": 1}}
    assert client.post("/manifests", headers=alice.auth, json=manifest).status_code == 201
    probes: list[tuple[str, str, dict[str, Any]]] = [
        ("get", f"/works/{work}", {}),
        ("patch", f"/works/{work}", {"json": {"title": "stolen"}}),
        ("get", f"/works/{work}/preferences", {}),
        ("put", f"/works/{work}/preferences", {"json": {"spec": "genai-train=allow"}}),
        ("get", f"/works/{work}/disputes", {}),
        ("delete", f"/works/{work}", {}),
        ("delete", f"/tokens/{token}", {}),
        ("post", "/domains/alice.example/verify", {}),
        ("delete", "/manifests/urn:alice:1", {}),
    ]
    for method, path, kw in probes:
        r = getattr(client, method)(path, headers=bob.auth, **kw)
        assert r.status_code == 404, f"{method.upper()} {path} as another owner answered {r.status_code}"
        assert "Alice" not in r.text and "stolen" not in r.text
    # Nothing of Alice's changed, and Bob's lists do not show her records.
    assert client.get(f"/works/{work}", headers=alice.auth).json()["title"] == ""
    assert client.get("/tokens", headers=alice.auth).json()[-1]["revoked_at"] is None
    assert client.get("/works", headers=bob.auth).json() == []
    assert client.get("/domains", headers=bob.auth).json() == []
    assert client.get("/preferences", headers=bob.auth).json() == []
    assert client.get("/disputes", headers=bob.auth).json() == []


def _hostile_bodies(long: str) -> list[tuple[str, str, dict[str, Any]]]:
    nested = "[" * 100_000 + "]" * 100_000
    nested_obj = '{"a":' * 50_000 + "1" + "}" * 50_000
    return [
        (
            "post",
            "/works",
            {"content": b"\xff\xfe\x00garbage", "headers": {"content-type": "application/json"}},
        ),
        ("post", "/works", {"content": nested, "headers": {"content-type": "application/json"}}),
        ("post", "/lookup", {"content": nested, "headers": {"content-type": "application/json"}}),
        ("post", "/manifests", {"content": nested_obj, "headers": {"content-type": "application/json"}}),
        (
            "post",
            "/manifests",
            {
                "content": '{"manifestId":"m","format":"f","manifest":' + nested_obj + "}",
                "headers": {"content-type": "application/json"},
            },
        ),
        (
            "put",
            "/preferences/collections/c",
            {
                "content": '{"rules":{"genai-train":{"use":"allow","conditions":' + nested_obj + "}}}",
                "headers": {"content-type": "application/json"},
            },
        ),
        ("post", "/works", {"json": {**fp_body(_TEXT), "title": long}}),
        ("post", "/works", {"json": {**fp_body(_TEXT), "aliases": [long]}}),
        ("post", "/works", {"json": {**fp_body(_TEXT), "source_urls": [long]}}),
        ("post", "/works", {"json": {**fp_body(_TEXT), "size_bytes": -1}}),
        ("post", "/works", {"json": {**fp_body(_TEXT), "unknown": 1}}),
        ("post", "/works", {"json": {**fp_body(_TEXT), "sha256": 5}}),
        ("post", "/works", {"json": [1, 2, 3]}),
        ("get", "/works?limit=-1", {}),
        ("get", "/works?offset=-5", {}),
        ("get", "/works?limit=abc", {}),
        ("post", "/lookup", {"json": {"items": [{"id": "x", "sha256": "g" * 64}]}}),
        ("post", "/lookup", {"json": {"items": [{"id": long}]}}),
        (
            "post",
            "/lookup",
            {"json": {"items": [{"id": "x", "fingerprints": [{"kind": "k", "value": "v", "part": -1}]}]}},
        ),
        ("post", "/lookup", {"json": {"items": [{"id": str(i)} for i in range(10_001)]}}),
        ("put", "/preferences/domains", {"json": {"pattern": long, "spec": "genai-train=deny"}}),
        ("put", "/preferences/collections/" + "c" * 5000, {"json": {"spec": "genai-train=deny"}}),
        ("put", "/preferences/collections/c", {"json": {"spec": "genai-train=maybe"}}),
        ("put", "/preferences/collections/c", {"json": {"spec": long}}),
        ("post", "/domains", {"json": {"domain": "../../etc/passwd"}}),
        ("post", "/domains", {"json": {"domain": "http://user:pw@evil/"}}),
        ("post", "/domains/..%2F..%2Fetc/verify", {}),
        ("post", "/tokens", {"json": {"label": long}}),
        ("post", "/owners", {"json": {"display_name": long}}),
        ("post", "/owners", {"json": {"display_name": "x", "email": "not-an-email"}}),
        ("get", "/matches/byBinding?alg=a&value=" + "v" * 5000, {}),
        (
            "post",
            "/manifests",
            {"json": {"manifestId": "m", "format": "f", "manifest": {}, "manifestBytes": "!!"}},
        ),
    ]


def test_hostile_bodies_are_clear_4xx_never_500(client: TestClient) -> None:
    alice = sign_up(client, "Alice")
    work = client.post("/works", headers=alice.auth, json=fp_body(_TEXT)).json()["work"]["id"]
    long = "x" * 200_000
    failures = []
    for method, path, kw in _hostile_bodies(long):
        r = getattr(client, method)(path, headers={**alice.auth, **kw.pop("headers", {})}, **kw)
        if not 400 <= r.status_code < 500 or "detail" not in r.json():
            failures.append(f"{method.upper()} {path[:60]} -> {r.status_code} {r.text[:120]}")
    # PATCH must hold the same limits as registration.
    for patch in (
        {"aliases": [long]},
        {"source_urls": ["has space"]},
        {"source_urls": [long]},
        {"title": long},
    ):
        r = client.patch(f"/works/{work}", headers=alice.auth, json=patch)
        if r.status_code != 422:
            failures.append(f"PATCH /works {list(patch)} -> {r.status_code}")
    assert not failures, "hostile input not answered with a clear 4xx:\n" + "\n".join(failures)


def test_upload_filenames_with_path_traversal_write_nothing_outside(
    client: TestClient, tmp_path: Path
) -> None:
    alice = sign_up(client, "Alice")
    for name in ("../../../../tmp/mm-evil.txt", "/etc/passwd", "..\\..\\evil.txt", "a\x00b.txt", "é" * 300):
        r = client.post(
            "/works/upload",
            headers=alice.auth,
            files={"file": (name, (_TEXT + name).encode())},
            data={"if_exists": "return"},
        )
        assert r.status_code in (200, 201, 415, 422), (name, r.status_code, r.text[:200])
    assert not Path("/tmp/mm-evil.txt").exists()


def test_chunked_body_without_content_length_is_capped(db_url: str) -> None:
    """Content-Length can be left out (chunked transfer); the size cap must still hold."""
    app = create_app(Settings(db_url=db_url, max_upload_bytes=10_000))
    with TestClient(app) as client:
        alice = sign_up(client, "Alice")

        def chunks() -> Any:
            yield b'{"items": ['
            for i in range(20_000):
                yield f'{{"id": "{i:030d}"}},'.encode()
            yield b'{"id": "last"}]}'

        r = client.post(
            "/lookup", content=chunks(), headers={**alice.auth, "content-type": "application/json"}
        )
        assert r.status_code == 413, (r.status_code, r.text[:200])
        big = client.post(
            "/works", content=chunks(), headers={**alice.auth, "content-type": "application/json"}
        )
        assert big.status_code == 413
        assert client.get("/works", headers=alice.auth).json() == []
    app.state.engine.dispose()


def test_domain_verification_refuses_loopback_unless_allowed(db_url: str) -> None:
    """SSRF: by default the API never fetches from loopback; the test settings opt in explicitly."""
    app = create_app(Settings(db_url=db_url, verification_scheme="http", verification_timeout_s=2))
    with TestClient(app) as client:
        alice = sign_up(client, "Alice")
        for domain in ("127.0.0.1:8000", "localhost", "169.254.169.254", "10.1.2.3:8080"):
            assert client.post("/domains", headers=alice.auth, json={"domain": domain}).status_code == 201
            r = client.post(f"/domains/{domain}/verify", headers=alice.auth)
            assert r.status_code == 422 and "non-public" in r.json()["detail"], (domain, r.text)
        assert all(not d["verified"] for d in client.get("/domains", headers=alice.auth).json())
    app.state.engine.dispose()


def test_public_signals_and_owner_pages_leak_no_email_or_verification_token(
    client: TestClient, alice: Account
) -> None:
    claim = client.post("/domains", headers=alice.auth, json={"domain": "placeholder.example"}).json()
    with static_site() as site:
        domain = site.domain
        claim = client.post("/domains", headers=alice.auth, json={"domain": domain}).json()
        site.files[WELL_KNOWN_PATH] = (200, f"{claim['token']}\n".encode(), {})
        assert client.post(f"/domains/{domain}/verify", headers=alice.auth).status_code == 200
        client.put(
            "/preferences/domains",
            headers=alice.auth,
            json={"pattern": "127.0.0.1/*", "spec": "genai-train=deny"},
        )
        pages = [client.get(f"/owners/{alice.id}"), client.get(f"/owners/{alice.id}/signals")]
        assert pages[1].status_code == 200, pages[1].text
        for page in pages:
            for secret in ("alice@example.org", claim["token"], alice.token):
                assert secret not in page.text, f"{page.url} leaks {secret[:12]}..."


@pytest.fixture
def site() -> Iterator[StaticSite]:
    with static_site() as s:
        yield s


NON_PUBLIC = (
    "127.0.0.1",
    "127.1.2.3",
    "localhost",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "2130706433",  # 127.0.0.1 written as an integer
)


def test_non_public_addresses_are_refused_by_default() -> None:
    for host in NON_PUBLIC:
        with pytest.raises(VerificationError, match=r"non-public|cannot resolve"):
            public_address(host, 80)
    assert public_address("8.8.8.8", 443) == "8.8.8.8"


def test_allow_loopback_admits_loopback_only() -> None:
    assert public_address("127.0.0.1", 80, allow_loopback=True) == "127.0.0.1"
    for host in ("10.0.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0"):
        with pytest.raises(VerificationError, match="non-public"):
            public_address(host, 80, allow_loopback=True)


def test_verification_never_connects_to_a_loopback_site_by_default(db_url: str, site: StaticSite) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    uow = UnitOfWork(engine, Settings(db_url=db_url, verification_scheme="http"))
    try:
        alice = AccountService(uow).create_owner("Alice")[0]
        domain = f"127.0.0.1:{site.port}"
        claim = DomainService(uow).add_domain(alice, domain)
        site.files[WELL_KNOWN_PATH] = (200, f"{claim.token}\n".encode(), {})
        with pytest.raises(VerificationError, match="non-public"):
            asyncio.run(DomainService(uow).verify_domain(alice, domain))
        assert site.requests == [], "the registry connected to a loopback address"
        assert DomainService(uow).verified_domains(alice.id) == []
    finally:
        engine.dispose()


def test_connection_goes_to_the_checked_address_with_the_domain_as_host(site: StaticSite) -> None:
    site.files[WELL_KNOWN_PATH] = (200, b"tok\n", {})
    asyncio.run(check_domain_token(f"localhost:{site.port}", "tok", scheme="http", allow_loopback=True))
    assert site.requests == [(WELL_KNOWN_PATH, f"localhost:{site.port}")]


def test_snapshot_holds_no_content_emails_tokens_urls_or_verification_secrets(
    db_url: str, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    uow = UnitOfWork(engine, Settings(db_url=db_url))
    owner, token = AccountService(uow).create_owner("Alice", email="alice-secret@example.org")
    text = make_text(7)
    reg = WorkService(uow).register_content(
        owner,
        text.encode(),
        filename="poem.txt",
        keep_content=True,
        source_urls=["https://alice.example/private/draft-42"],
        preferences=parse_preference_spec("genai-train=deny"),
    )
    claim = DomainService(uow).add_domain(owner, "alice.example")
    out = tmp_path / "snap"
    export_snapshot(uow, out)
    blob = b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file())
    secrets = {
        "content": text[:200].encode(),
        "email": b"alice-secret@example.org",
        "api token": token.secret.encode(),
        "verification token": claim.token.encode(),
        "source url": b"draft-42",
    }
    leaked = [name for name, value in secrets.items() if value in blob]
    assert not leaked, f"the snapshot leaks: {leaked}"
    assert reg.work.sha256.encode() in blob or bytes.fromhex(reg.work.sha256) in blob  # the export is real
    engine.dispose()
