"""Licence requests over HTTP: who may ask for what, who may decide, and the statement's refusals."""

from __future__ import annotations

from typing import Any

KEY_ID = "0123456789abcdef"


def ask(server: Any, who: Any, works: list[str], purpose: str = "genai-train") -> Any:
    body = {"work_ids": works, "purpose": purpose, "licensee_key_id": KEY_ID}
    return server.http.post("/ledger/licences", json=body, headers=who.auth)


def test_licence_rules(server: Any, texts: list[str]) -> None:
    alice, dave, bob = server.sign_up("Alice"), server.sign_up("Dave"), server.sign_up("Bob")
    a1 = server.register(alice, texts[0], "genai-train=allow-if:payment=per-item/0.10 EUR", "A1")
    a2 = server.register(
        alice, texts[1], "genai-train=allow-if:attribution+licence=https://l.example/cc", "A2"
    )
    a3 = server.register(alice, texts[2], "genai-train=deny", "A3")
    d1 = server.register(dave, texts[3], "genai-train=allow-if:payment=per-item/0.10 USD", "D1")

    r = ask(server, bob, [a1, a2])  # two works of one owner: one request
    assert r.status_code == 201, r.text
    lic = r.json()
    assert (lic["owner_id"], lic["builder_id"], lic["works"], lic["status"]) == (
        alice.id,
        bob.id,
        sorted([a1, a2]),
        "requested",
    )
    assert lic["terms"][a2] == {
        "model": None, "unit_price": None, "currency": None, "attribution": True,
        "licence_url": "https://l.example/cc", "expires": None,
    }  # fmt: skip
    assert ask(server, bob, [a1, d1]).status_code == 422  # two owners
    r = ask(server, bob, [a3])
    assert r.status_code == 422 and "not offered under licence" in r.json()["detail"]
    assert ask(server, bob, ["f" * 32]).status_code == 404
    assert ask(server, bob, [a1], purpose="no-such-purpose").status_code == 422

    # Only the two parties see it; only the owner decides, once.
    assert server.http.get(f"/ledger/licences/{lic['id']}", headers=dave.auth).status_code == 404
    assert server.http.get(f"/ledger/licences/{lic['id']}", headers=bob.auth).status_code == 200
    assert [x["id"] for x in server.http.get("/ledger/licences", headers=alice.auth).json()] == [lic["id"]]
    assert server.http.get("/ledger/licences", headers=dave.auth).json() == []
    r = server.http.post(f"/ledger/licences/{lic['id']}/decline", headers=alice.auth)
    assert (r.status_code, r.json()["status"], r.json()["grant"]) == (200, "declined", None)
    assert server.http.post(f"/ledger/licences/{lic['id']}/accept", headers=alice.auth).status_code == 409
    assert server.http.post(f"/ledger/licences/{lic['id']}/revoke", headers=alice.auth).status_code == 409
    assert server.http.get("/ledger/grants", headers=bob.auth).json()["grants"] == []

    # Audit log: each licence step is one chained entry, and the chain still verifies.
    assert server.http.get("/audit/verify").json()["ok"] is True


def test_statement_errors_record_nothing(server: Any, texts: list[str]) -> None:
    alice = server.sign_up("Alice")
    r = server.http.get("/ledger/statements", params={"period": "2026-13"}, headers=alice.auth)
    assert r.status_code == 422
    r = server.http.get(
        "/ledger/statements", params={"period": "2026-11", "format": "xml"}, headers=alice.auth
    )
    assert r.status_code == 422
    assert server.http.get("/ledger/statements", params={"period": "2026-11"}).status_code == 401
    st = server.http.get(
        "/ledger/statements", params={"period": "2026-11", "format": "csv"}, headers=alice.auth
    )
    assert (st.status_code, st.text) == (
        200, "period,owner_id,work_id,work_title,licensee_id,licensee_name,model,units,unit_price,currency,amount,events\n"
    )  # fmt: skip
    assert server.http.get("/ledger/verify").json() == {
        "ok": True, "events": 0, "head_hash": "0" * 64, "first_bad_seq": None, "problem": None,
    }  # fmt: skip
