"""Submit -> ledger -> statement, and licence request -> accept -> grant -> the scan keeps, over a real server.

Every figure is written from the rules by hand: two items of a work priced per-item at 0.25 EUR
owe 0.50 EUR; a denied work's item is a `dropped` event; an allowed one `kept-as-allowed`.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import sqlalchemy as sa
from typer.testing import CliRunner

from conftest import Account, Server
from mediamanager.cli.main import app as cli
from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan
from mediamanager.scan.steps.grants import load_grants

WHEN = "2026-11-15T10:00:00+00:00"
runner = CliRunner()


def run(*args: str) -> str:
    res = runner.invoke(cli, list(args))
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


def dataset(tmp: Path, texts: list[str]) -> Path:
    rows = [
        {"id": "a1", "text": texts[0]}, {"id": "a2", "text": texts[0]}, {"id": "b", "text": texts[1]},
        {"id": "c", "text": texts[2]}, {"id": "clean", "text": texts[5]},
    ]  # fmt: skip
    path = tmp / "web-2026.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def do_scan(
    server: Server, data: Path, out: Path, key: Path, grants: dict[str, str] | None = None, when: str = WHEN
) -> dict[str, str]:
    config = ScanConfig(Purpose.GENAI_TRAIN, server.url, datetime.fromisoformat(when), grants=grants or {})
    scan(str(data), out, config, key_path=key)
    table = pq.read_table(out / "decisions.parquet", columns=["item_id", "outcome", "reason"]).to_pylist()
    return {r["item_id"]: f"{r['outcome']}/{r['reason']}" for r in table}


def events(server: Server, who: Account, **params: Any) -> list[dict[str, Any]]:
    r = server.http.get("/ledger/events", params=params, headers=who.auth)
    assert r.status_code == 200, r.text
    return list(r.json())


def test_submit_ledger_statement_and_licence(server: Server, texts: list[str], tmp_path: Path) -> None:
    alice, bob, carol = server.sign_up("Alice"), server.sign_up("Bob Labs"), server.sign_up("Carol")
    w_lic = server.register(
        alice, texts[0], "genai-train=allow-if:attribution+payment=per-item/0.25 EUR", "Poem"
    )
    w_deny = server.register(alice, texts[1], "genai-train=deny", "Essay")
    w_allow = server.register(alice, texts[2], "genai-train=allow", "Notes")
    data = dataset(tmp_path, texts)
    key = tmp_path / "bob.pem"
    first = do_scan(server, data, tmp_path / "scan1", key)
    assert first == {
        "a1": "license/allow-if:registry", "a2": "license/allow-if:registry", "b": "drop/deny:registry",
        "c": "keep/allow:registry", "clean": "drop/unknown",
    }  # fmt: skip

    out = run("ledger", "submit", str(tmp_path / "scan1"), "--registry", server.url, "--token", bob.token)
    assert "3 usage events recorded" in out
    again = run("ledger", "submit", str(tmp_path / "scan1"), "--registry", server.url, "--token", bob.token)
    assert "already recorded; nothing added" in again

    mine = events(server, alice)
    got = sorted(
        (e["work_id"], e["decision"], e["items"], sorted(e["item_ids"]), e["match_kind"]) for e in mine
    )
    assert got == sorted([
        (w_lic, "kept-under-licence", 2, ["a1", "a2"], "sha256"),
        (w_deny, "dropped", 1, ["b"], "sha256"),
        (w_allow, "kept-as-allowed", 1, ["c"], "sha256"),
    ])  # fmt: skip
    assert {e["dataset"] for e in mine} == {"web-2026.jsonl"}
    assert {e["scan_time"] for e in mine} == {WHEN}
    assert [e["seq"] for e in events(server, bob, role="builder")] == [1, 2, 3]
    assert events(server, carol) == [] and events(server, carol, role="builder") == []
    assert server.http.get("/ledger/events/1", headers=carol.auth).status_code == 404
    assert server.http.get("/ledger/events/1", headers=alice.auth).status_code == 200
    assert server.http.get(f"/works/{w_lic}/usage", headers=carol.auth).status_code == 404
    usage = run("ledger", "usage", w_lic, "--registry", server.url, "--token", alice.token)
    assert "web-2026.jsonl@" in usage and "kept-under-licence  2 items" in usage

    st = server.http.get("/ledger/statements", params={"period": "2026-11"}, headers=alice.auth).json()
    assert [
        (x["work_id"], x["licensee_id"], x["units"], x["unit_price"], x["amount"]) for x in st["lines"]
    ] == [(w_lic, bob.id, 2, "0.25", "0.50")]
    assert (st["currency"], st["totals"]["amount"], st["lines"][0]["licensee_name"]) == (
        "EUR",
        "0.50",
        "Bob Labs",
    )
    assert (
        server.http.get("/ledger/statements", params={"period": "2026-12"}, headers=alice.auth).json()[
            "lines"
        ]
        == []
    )
    r = server.http.get(
        "/ledger/statements", params={"period": "2026-11", "owner_id": alice.id}, headers=carol.auth
    )
    assert r.status_code == 404
    dsr = run("ledger", "statement", "--owner", alice.id, "--period", "2026-11", "--format", "dsr",
              "--registry", server.url, "--token", alice.token)  # fmt: skip
    assert f"SU01\tD1\tS1\t{w_lic}\tPoem\t{bob.id}\tper-item\t2\t0.25\t0.50\tEUR\n" in dsr
    assert dsr.endswith("FOOT\t1\t1\t0.50\n")

    # Licence: Bob asks Alice for the licensed work, bound to his scan key; she accepts.
    out = run("ledger", "request", w_lic, "--purpose", "genai-train", "--key", str(key),
              "--registry", server.url, "--token", bob.token)  # fmt: skip
    licence = json.loads(out)
    assert (licence["status"], licence["works"], licence["terms"][w_lic]["unit_price"]) == (
        "requested",
        [w_lic],
        "0.25",
    )
    assert server.http.post(f"/ledger/licences/{licence['id']}/accept", headers=bob.auth).status_code == 404
    assert server.http.post(f"/ledger/licences/{licence['id']}/accept", headers=carol.auth).status_code == 404
    assert "accepted" in run(
        "ledger", "accept", licence["id"], "--registry", server.url, "--token", alice.token
    )
    run(
        "ledger",
        "grants",
        "--out",
        str(tmp_path / "grants.json"),
        "--registry",
        server.url,
        "--token",
        bob.token,
    )

    # The first scan ran before the grant was issued: the grant does not reach back to it.
    config = ScanConfig(Purpose.GENAI_TRAIN, server.url, datetime.fromisoformat(WHEN))
    covered, problems = load_grants(str(tmp_path / "grants.json"), config=config, key_path=key)
    issued = json.loads((tmp_path / "grants.json").read_text())["grants"][0]["issued_at"]
    assert covered == {} and problems == [f"grant {licence['id']}: issued at {issued}, after the scan time"]
    now = utcnow()
    config = ScanConfig(Purpose.GENAI_TRAIN, server.url, now)
    covered, problems = load_grants(str(tmp_path / "grants.json"), config=config, key_path=key)
    assert (covered, problems) == ({w_lic: licence["id"]}, [])
    second = do_scan(server, data, tmp_path / "scan2", key, covered, now.isoformat())
    assert second == {**first, "a1": "keep/allow:grant", "a2": "keep/allow:grant"}
    run("ledger", "submit", str(tmp_path / "scan2"), "--registry", server.url, "--token", bob.token)
    granted = [e for e in events(server, alice) if e["grant_id"]]
    assert [(e["work_id"], e["decision"], e["items"], e["grant_id"]) for e in granted] == [
        (w_lic, "kept-under-licence", 2, licence["id"])
    ]
    st = server.http.get(
        "/ledger/statements", params={"period": now.strftime("%Y-%m")}, headers=alice.auth
    ).json()
    assert (st["lines"][0]["units"], st["totals"]["amount"]) == (2, "0.50")  # the granted scan's two items

    verify = server.http.get("/ledger/verify").json()
    assert (verify["ok"], verify["events"]) == (True, 6)
    # Editing a recorded event breaks the chain at that event.
    with server.app.state.engine.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_events SET items = items + 5 WHERE seq = 2"))
    verify = server.http.get("/ledger/verify").json()
    assert (verify["ok"], verify["first_bad_seq"]) == (False, 2)
    res = runner.invoke(cli, ["ledger", "verify", "--registry", server.url])
    assert res.exit_code == 1 and "event 2 was altered" in res.output


def test_tampered_and_forged_scans_are_refused(server: Server, texts: list[str], tmp_path: Path) -> None:
    from mediamanager.scan.attest import sign_outputs

    alice, bob = server.sign_up("Alice"), server.sign_up("Bob")
    server.register(alice, texts[0], "genai-train=allow-if:payment=per-item/0.25 EUR", "Poem")
    data = dataset(tmp_path, texts)
    key = tmp_path / "bob.pem"
    do_scan(server, data, tmp_path / "good", key)

    def submit(folder: Path) -> Any:
        return runner.invoke(
            cli, ["ledger", "submit", str(folder), "--registry", server.url, "--token", bob.token]
        )

    def variant(name: str) -> Path:
        shutil.copytree(tmp_path / "good", tmp_path / name)
        return tmp_path / name

    changed = variant("changed")
    raw = bytearray((changed / "decisions.parquet").read_bytes())
    raw[len(raw) // 2] ^= 0x01  # one changed bit
    (changed / "decisions.parquet").write_bytes(bytes(raw))
    res = submit(changed)
    assert res.exit_code == 2 and "decisions.parquet changed since the scan signed it" in res.output

    unsigned = variant("unsigned")  # digest updated in the attestation, signature left as it was
    rep = json.loads((unsigned / "report.json").read_text())
    rep["policy"]["licensed_items_in_output"] = False
    (unsigned / "report.json").write_text(json.dumps(rep))
    att = json.loads((unsigned / "attestation.json").read_text())
    import hashlib

    att["files"]["report.json"] = hashlib.sha256((unsigned / "report.json").read_bytes()).hexdigest()
    (unsigned / "attestation.json").write_text(json.dumps(att))
    res = submit(unsigned)
    assert res.exit_code == 2 and "signature does not verify" in res.output

    assert submit(tmp_path / "good").exit_code == 0  # Bob's key is now known to the registry
    forged = variant("forged")  # the same edit, re-signed with someone else's key
    (forged / "report.json").write_text(json.dumps(rep))
    (forged / "attestation.json").unlink()
    from datetime import datetime

    sign_outputs(forged, key_path=tmp_path / "mallory.pem", scan_time=datetime.fromisoformat(WHEN))
    res = submit(forged)
    assert res.exit_code == 2 and "signed by a different key" in res.output
    assert server.http.get("/ledger/verify").json()["events"] == 1  # only the good scan's one event
