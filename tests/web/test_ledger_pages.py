"""Disputes, where found, licences and statements pages over a real server (SQLite and PostgreSQL).

Records are made through the registry's use cases (a second owner's registration opens the dispute,
a third's licence request, a scan submission's ledger event); the pages are read and their forms
posted like a browser without JavaScript. Expected figures are written from the rules by hand:
two items priced per item at 0.25 EUR owe 0.50 EUR.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tests.loopback import LiveServer
from tests.web.conftest import PortalClient

from mediamanager.ledger.events import WorkUsage
from mediamanager.model import MediaType, parse_preference_spec
from mediamanager.registry.ledger import LedgerService
from mediamanager.registry.licences import ledger_services
from mediamanager.registry.records import Owner, WorkInput
from mediamanager.registry.store.tables import owners
from mediamanager.registry.works import WorkService

SHA = "ab" * 32


@dataclass
class World:
    a: PortalClient
    b: PortalClient
    a_owner: Owner
    cat_id: str
    work_id: str
    dispute_id: str
    licence_id: str
    period: str


def _owner(app: Any, email: str) -> Owner:
    with app.state.uow.read() as conn:
        oid = conn.execute(sa.select(owners.c.id).where(owners.c.email == email)).scalar_one()
    from mediamanager.registry.accounts import AccountService

    return AccountService(app.state.uow).get_owner(oid)


def make_world(live: LiveServer, client: Callable[[], PortalClient]) -> World:
    app = live.app
    a, b, c = client(), client(), client()
    for cl, email in ((a, "ann@example.org"), (b, "bob@example.org"), (c, "cat@example.org")):
        cl.signup(email, name=email.split("@")[0].title())
    ann, cat = _owner(app, "ann@example.org"), _owner(app, "cat@example.org")
    works = WorkService(app.state.uow)
    prefs = parse_preference_spec("genai-train=allow-if:attribution+payment=per-item/0.25 EUR")
    work = works.register_work(ann, WorkInput(MediaType.IMAGE, sha256=SHA, title="Harbour <b>at</b> dawn",
                                              preferences=prefs)).work  # fmt: skip
    reg = works.register_work(cat, WorkInput(MediaType.IMAGE, sha256=SHA, title="Cat's copy"))
    licences = ledger_services(app.state)[1]
    lic = licences.request(cat, [work.id], purpose="genai-train", licensee_key_id="0123456789abcdef")
    now = app.state.uow.now()
    conditions = {"attribution": True, "payment": {"model": "per-item", "amount": "0.25", "currency": "EUR"}}
    with app.state.uow.write(cat.id) as tx:  # the event a submitted scan by Cat records about Ann's work
        sub = {"id": "s" * 32, "scan_id": "c" * 64, "builder_id": cat.id, "dataset": "harbour-photos",
               "dataset_version": "v1", "purpose": "genai-train", "scan_time": now.isoformat()}  # fmt: skip
        usage = WorkUsage(work.id, ann.id, "kept-under-licence", None, "pdq", 0.97, conditions, ["p1", "p2"])
        LedgerService.append_events(tx.conn, sub, [usage])
    return World(a, b, ann, cat.id, work.id, reg.disputes[0].id, lic["id"], now.strftime("%Y-%m"))


@pytest.fixture
def world(live_portal: LiveServer, portal_client: Callable[[], PortalClient]) -> World:
    return make_world(live_portal, portal_client)


def _routes(w: World) -> list[tuple[str, str, dict[str, str]]]:
    """Every portal2 route that names an object, with a valid body: (method, path, form)."""
    d, lid, wid = w.dispute_id, w.licence_id, w.work_id
    return [
        ("GET", f"/my/disputes/{d}", {}),
        ("POST", f"/my/disputes/{d}/respond", {"evidence": "mine"}),
        ("POST", f"/my/disputes/{d}/withdraw", {}),
        ("POST", f"/my/disputes/{d}/resolve", {"outcome": "shared"}),
        ("GET", f"/my/usage/{wid}", {}),
        ("GET", f"/my/licences/{lid}", {}),
        ("GET", f"/my/licences/{lid}/grant.json", {}),
        ("POST", f"/my/licences/{lid}/accept", {}),
        ("POST", f"/my/licences/{lid}/decline", {}),
        ("POST", f"/my/licences/{lid}/revoke", {}),
    ]


def test_another_account_gets_404_on_every_object_route(world: World) -> None:
    for method, path, form in _routes(world):
        r = world.b.http.get(path) if method == "GET" else world.b.post(path, form, page="/my/disputes")
        assert r.status_code == 404, (method, path, r.status_code, r.text[:200])
        assert "Harbour" not in r.text and "ann@example.org" not in r.text
    # nothing of Ann's changed
    assert "open: waiting" in world.a.http.get(f"/my/disputes/{world.dispute_id}").text
    assert "waiting for your decision" in world.a.http.get(f"/my/licences/{world.licence_id}").text


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(world: World) -> None:
    for method, path, form in _routes(world):
        if method == "POST":
            r = world.a.http.post(path, data=form)
            assert r.status_code == 403, (path, r.status_code)
            r = world.a.http.post(path, data={**form, "csrf_token": "x" * 43})
            assert r.status_code == 403, (path, r.status_code)
    assert "open: waiting" in world.a.http.get(f"/my/disputes/{world.dispute_id}").text
    assert "waiting for your decision" in world.a.http.get(f"/my/licences/{world.licence_id}").text


def test_the_owner_reads_and_acts_on_every_page(world: World) -> None:
    a, d = world.a, world.dispute_id
    listing = a.http.get("/my/disputes").text
    assert f"/my/disputes/{d}" in listing and "Cat@Example.Org" not in listing
    page = a.http.get(f"/my/disputes/{d}").text
    assert "Answer deadline" in page and "Dispute opened when the later work was registered" in page
    assert "Harbour &lt;b&gt;at&lt;/b&gt; dawn" in page  # the title is escaped, never markup
    r = a.post(f"/my/disputes/{d}/resolve", {"outcome": "earlier"}, page="/my/disputes")
    assert r.status_code == 303
    page = a.http.get(f"/my/disputes/{d}").text
    assert "My proposal</dt><dd>my claim stands" in page and "Outcome proposed" in page

    usage = a.http.get("/my/usage").text
    assert "harbour-photos" in usage and "<svg" in usage and "Items found per month" in usage
    assert f'<tr><th scope="row">{world.period}</th><td>2</td><td>0</td><td>0</td><td>2</td></tr>' in usage
    detail = a.http.get(f"/my/usage/{world.work_id}").text
    assert "<code>p1</code>, <code>p2</code>" in detail and "pdq 0.97" in detail
    assert "payment per-item 0.25 EUR" in detail

    lid = world.licence_id
    assert a.http.get(f"/my/licences/{lid}/grant.json").status_code == 404  # not accepted yet
    assert a.post(f"/my/licences/{lid}/accept", page="/my/licences").status_code == 303
    assert "accepted: a signed grant was issued" in a.http.get(f"/my/licences/{lid}").text
    grant = a.http.get(f"/my/licences/{lid}/grant.json")
    assert grant.headers["content-disposition"] == f'attachment; filename="grant-{lid}.json"'
    doc = grant.json()
    key = a.http.get("/ledger/key").json()["public_key"]
    signed = json.dumps({k: v for k, v in doc.items() if k != "signature"}, sort_keys=True,
                        separators=(",", ":"), ensure_ascii=True).encode()  # fmt: skip
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key)).verify(
        base64.b64decode(doc["signature"]), signed
    )
    assert (doc["works"], doc["terms"][world.work_id]["unit_price"]) == ([world.work_id], "0.25")

    st = a.http.get(f"/my/statements?period={world.period}").text
    assert "<strong>0.50 EUR</strong>" in st
    csv = a.http.get(f"/my/statements/{world.period}/download?format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == ("period,owner_id,work_id,work_title,licensee_id,licensee_name,model,units,"
                        "unit_price,currency,amount,events")  # fmt: skip
    assert lines[1:] == [f"{world.period},{world.a_owner.id},{world.work_id},Harbour <b>at</b> dawn,"
                         f"{world.cat_id},Cat,per-item,2,0.25,EUR,0.50,1"]  # fmt: skip
    printable = a.http.get(f"/my/statements/{world.period}/print").text
    assert "<strong>0.50 EUR</strong>" in printable
    assert a.http.get("/my/statements/2026-13/print").status_code == 422  # not a month
