"""The review's 13 audit-tamper variants (and 2 on the URL index) (redteam scripts/audit_tamper.sh, D10), through the CLI.

Each tamper runs on a fresh copy of one populated SQLite registry; ``mediamanager audit verify``
must exit 0 on the untouched copy and 1 on every tampered one. A signed checkpoint taken before
the tamper is given with ``--checkpoint``; all but the full re-chain are caught without it too.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediamanager.cli.main import app
from mediamanager.model import MediaType, parse_preference_spec
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.checkpoint import current_checkpoint
from mediamanager.registry.domains import DomainService
from mediamanager.registry.preferences import PreferenceService
from mediamanager.registry.records import WorkInput
from mediamanager.registry.store import make_engine, upgrade_schema
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService
from mediamanager.settings import Settings


def _sha(i: int) -> str:
    return hashlib.sha256(f"work-{i}".encode()).hexdigest()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """A registry of 3 owners, 40 works (some disputed, with deny preferences), tokens and a domain."""
    root = tmp_path_factory.mktemp("tamper")
    db = root / "reg.db"
    settings = Settings(db_url=f"sqlite:///{db}", registry_key_path=str(root / "key.pem"))
    engine = make_engine(settings.db_url)
    upgrade_schema(engine)
    uow = UnitOfWork(engine, settings)
    accounts, works, prefs = AccountService(uow), WorkService(uow), PreferenceService(uow)
    owners = [accounts.create_owner(f"Owner {i}")[0] for i in range(3)]
    for i in range(40):
        who = owners[i % 3] if i < 30 else owners[(i + 1) % 3]  # 30..39 dispute 0..9
        w = works.register_work(who, WorkInput(MediaType.TEXT, sha256=_sha(i % 30), title=f"t{i}"))
        spec = "genai-train=deny,search=allow" if i % 2 else "ai-train=deny"
        prefs.set_preferences(who, "work", w.work.id, parse_preference_spec(spec))
    prefs.set_preferences(owners[0], "collection", "poems", parse_preference_spec("tdm=deny"))
    t = accounts.create_token(owners[1], "laptop")
    accounts.revoke_token(owners[1], t.info.id)
    DomainService(uow).add_domain(owners[2], "example.org")
    # Last, so the seq numbers the tampers name are unchanged: one work findable by URL.
    works.register_work(
        owners[0], WorkInput(MediaType.TEXT, sha256=_sha(99), source_urls=("https://example.org/p/1",))
    )
    with engine.connect() as conn:
        signed = current_checkpoint(conn, settings)
        n = conn.exec_driver_sql("SELECT max(seq) FROM audit_log").scalar_one()
    engine.dispose()
    cp = root / "checkpoint.json"
    cp.write_text(json.dumps(signed))
    return db, cp, int(n)


def _rechain(con: sqlite3.Connection, seq: int) -> None:
    """Edit entry ``seq`` and recompute every later hash and the head with the documented formula."""
    from mediamanager.registry.audit import _entry_hash

    con.execute("UPDATE audit_log SET payload=replace(payload, 'deny', 'allow') WHERE seq=?", (seq,))
    prev = con.execute("SELECT hash FROM audit_log WHERE seq=?", (seq - 1,)).fetchone()[0]
    for r in con.execute(
        "SELECT seq, at, actor, action, entity, entity_id, payload, state FROM audit_log WHERE seq>=? ORDER BY seq",
        (seq,),
    ).fetchall():
        h = _entry_hash(prev, *r)
        con.execute("UPDATE audit_log SET prev_hash=?, hash=? WHERE seq=?", (prev, h, r[0]))
        prev = h
    con.execute("UPDATE audit_head SET hash=?", (prev,))


TAMPERS: dict[str, str] = {
    "edit payload of a middle entry": "UPDATE audit_log SET payload=replace(payload,'deny','allow') "
    "WHERE seq=(SELECT min(seq) FROM audit_log WHERE payload LIKE '%deny%');",
    "edit actor of entry 10": "UPDATE audit_log SET actor='00000000000000000000000000000000' WHERE seq=10;",
    "edit timestamp of entry 20": "UPDATE audit_log SET at='2020-01-01T00:00:00+00:00' WHERE seq=20;",
    "delete a middle entry": "DELETE FROM audit_log WHERE seq=(SELECT max(seq)/2 FROM audit_log);",
    "delete the first entry": "DELETE FROM audit_log WHERE seq=1;",
    "swap entries 30 and 31": "UPDATE audit_log SET seq=-1 WHERE seq=30; UPDATE audit_log SET seq=30 WHERE seq=31; "
    "UPDATE audit_log SET seq=31 WHERE seq=-1;",
    "delete the last entry": "DELETE FROM audit_log WHERE seq=(SELECT max(seq) FROM audit_log);",
    "cut the last 50 entries and move the head": "DELETE FROM audit_log WHERE seq>(SELECT max(seq)-50 FROM audit_log); "
    "UPDATE audit_head SET seq=(SELECT max(seq) FROM audit_log), "
    "hash=(SELECT hash FROM audit_log WHERE seq=(SELECT max(seq) FROM audit_log));",
    "flip a stored preference deny to allow": "UPDATE preferences SET document=replace(document,'\"deny\"','\"allow\"') "
    "WHERE id=(SELECT id FROM preferences WHERE document LIKE '%deny%' LIMIT 1);",
    "delete a work row": "DELETE FROM preferences WHERE target=(SELECT id FROM works LIMIT 1); "
    "DELETE FROM fingerprints WHERE work_id=(SELECT id FROM works LIMIT 1); "
    "DELETE FROM works WHERE id=(SELECT id FROM works WHERE status='active' LIMIT 1);",
    "insert a fake owner": "INSERT INTO owners (id, kind, display_name, email, created_at) VALUES "
    "('f'||substr(hex(randomblob(16)),1,31),'person','Mallory',NULL,'2026-01-01 00:00:00');",
    "full re-chain after an edit": "",
    "point a URL at another owner's work": "UPDATE work_urls SET work_id=(SELECT id FROM works "
    "WHERE owner_id<>(SELECT owner_id FROM works WHERE sha256='" + _sha(99) + "') LIMIT 1);",
    "delete a URL index row": "DELETE FROM work_urls;",
}


def _verify(db: Path, *extra: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["audit", "verify", "--db", f"sqlite:///{db}", *extra])
    return r.exit_code, r.output


def _copy(registry: tuple[Path, Path, int], tmp_path: Path) -> Path:
    db = tmp_path / "t.db"
    shutil.copyfile(registry[0], db)
    return db


def test_untouched_copy_verifies(registry: tuple[Path, Path, int], tmp_path: Path) -> None:
    db = _copy(registry, tmp_path)
    assert _verify(db) == (0, _verify(db)[1])
    code, out = _verify(db, "--checkpoint", str(registry[1]))
    assert code == 0, out
    assert "intact" in out


@pytest.mark.parametrize("name", list(TAMPERS))
def test_every_tamper_is_detected(registry: tuple[Path, Path, int], tmp_path: Path, name: str) -> None:
    db = _copy(registry, tmp_path)
    con = sqlite3.connect(db)
    if name == "full re-chain after an edit":
        _rechain(con, registry[2] // 2)
    else:
        con.executescript(TAMPERS[name])
    con.commit()
    con.close()
    code, out = _verify(db, "--checkpoint", str(registry[1]))
    assert code == 1, out
    assert "BROKEN" in out
    if name != "full re-chain after an edit":
        code, out = _verify(db)  # the chain and the state binding catch it without a checkpoint
        assert code == 1, out
    else:
        assert "re-chained" in out


def test_a_forged_checkpoint_is_refused(registry: tuple[Path, Path, int], tmp_path: Path) -> None:
    forged = json.loads(registry[1].read_text())
    forged["seq"] = forged["seq"] - 1
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    code, out = _verify(_copy(registry, tmp_path), "--checkpoint", str(path))
    assert code == 1
    assert "signature" in out
