"""The decision rules through ``mediamanager scan run``, as the red-team report reproduced them.

D1 expired licences, D3 a child allow from another header, D4 invalid C2PA manifests under
``--unknown keep``, D5a naive and aware expiries of two owners, D12 ``--match-threshold``. A real
registry (the use cases on SQLite) is exported as a snapshot; the CLI runs in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from scan_fixtures import spam_texts

from mediamanager.model import Preferences, parse_preference_spec

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")
SCAN_TIME = "2026-06-01T00:00:00+00:00"
INVALID_C2PA = ["E-clm-CAICAI", "E-dat-CA", "E-sig-CA", "E-uri-CA", "E-uri-CIE-sig-CA", "XCA"]
NAIVE_EXPIRY = {"rules": {"genai-train": {"use": "allow-if", "conditions": {
    "attribution": True, "expires": "2030-01-01T00:00:00"}}}}  # fmt: skip


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEDIAMANAGER, *args], capture_output=True, text=True, env=dict(os.environ))


def _scan(data: Path, snapshot: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _run(
        "scan", "run", str(data), "--purpose", "genai-train", "--registry", str(snapshot), "--out", str(out),
        "--workers", "1", "--key", str(out.parent / "k.pem"), "--scan-time", SCAN_TIME, *extra,
    )  # fmt: skip


def _rows(out: Path) -> dict[str, tuple[str, str]]:
    table = pq.read_table(out / "decisions.parquet").select(["item_id", "outcome", "reason"]).to_pylist()
    return {r["item_id"]: (r["outcome"], r["reason"]) for r in table}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, test_data: Path) -> tuple[Path, dict[str, str]]:
    from mediamanager.registry.accounts import AccountService
    from mediamanager.registry.snapshot import export_snapshot
    from mediamanager.registry.store.engine import make_engine, upgrade_schema
    from mediamanager.registry.uow import UnitOfWork
    from mediamanager.registry.works import WorkService

    tmp = tmp_path_factory.mktemp("rules-registry")
    engine = make_engine(f"sqlite:///{tmp / 'registry.db'}")
    upgrade_schema(engine)
    uow = UnitOfWork(engine)
    accounts = AccountService(uow)
    beta, _ = accounts.create_owner("Beta")
    x, _ = accounts.create_owner("Owner X")
    y, _ = accounts.create_owner("Owner Y")
    mails = spam_texts(test_data, 4, skip=40, stride=577)
    texts = {"expired": mails[0]["text"], "live": mails[1]["text"], "shared": mails[2]["text"],
             "deny": mails[3]["text"]}  # fmt: skip
    register = WorkService(uow).register_content
    register(
        beta,
        texts["expired"].encode(),
        filename="e.txt",
        preferences=parse_preference_spec("genai-train=allow-if:attribution+expires=2020-01-01T00:00:00Z"),
    )
    register(
        beta,
        texts["live"].encode(),
        filename="l.txt",
        preferences=parse_preference_spec("genai-train=allow-if:attribution+expires=2030-01-01T00:00:00Z"),
    )
    # D5a: owner X states a naive expiry, owner Y claims the same text with an aware one (a dispute).
    register(x, texts["shared"].encode(), filename="x.txt", preferences=Preferences.from_dict(NAIVE_EXPIRY))
    register(
        y,
        texts["shared"].encode(),
        filename="y.txt",
        preferences=parse_preference_spec("genai-train=allow-if:expires=2031-01-01"),
    )
    register(
        beta, texts["deny"].encode(), filename="d.txt", preferences=parse_preference_spec("genai-train=deny")
    )
    export_snapshot(uow, tmp / "snapshot")
    engine.dispose()
    return tmp / "snapshot", texts


def test_expired_licence_is_not_a_licence(registry: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    snapshot, texts = registry
    data = tmp_path / "expired.jsonl"
    data.write_text("".join(json.dumps({"id": k, "text": texts[k]}) + "\n" for k in ("expired", "live")))
    res = _scan(data, snapshot, tmp_path / "expd")
    assert res.returncode == 0, res.stderr
    assert "2 items: 0 keep, 1 license, 1 drop, 0 error" in res.stdout
    assert _rows(tmp_path / "expd") == {
        "expired": ("drop", "unknown"),
        "live": ("license", "allow-if:registry"),
    }
    reasons = pq.read_table(tmp_path / "expd" / "decisions.parquet").column("reasons").to_pylist()[0]
    assert any("allow-if expired at 2020-01-01T00:00:00+00:00" in r for r in reasons)
    # Under --unknown keep the expired item is kept as unknown, never listed as licensed.
    res = _scan(data, snapshot, tmp_path / "keep", "--unknown", "keep")
    assert "2 items: 1 keep, 1 license, 0 drop, 0 error" in res.stdout
    usage = json.loads((tmp_path / "keep" / "usage-report.json").read_text())
    assert [w["item_ids"] for w in usage["works"]] == [["live"]]


def test_two_owners_naive_and_aware_expiry(registry: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    snapshot, texts = registry
    data = tmp_path / "expiry.jsonl"
    data.write_text(json.dumps({"id": "shared", "text": texts["shared"]}) + "\n")
    res = _scan(data, snapshot, tmp_path / "exp-out")
    assert res.returncode == 0, res.stderr
    assert _rows(tmp_path / "exp-out") == {"shared": ("license", "allow-if:registry")}
    conditions = pq.read_table(tmp_path / "exp-out" / "decisions.parquet").column("conditions").to_pylist()[0]
    assert json.loads(conditions)["expires"] == "2030-01-01T00:00:00+00:00"


def test_invalid_c2pa_manifests_are_errors_even_under_unknown_keep(
    registry: tuple[Path, dict[str, str]], tmp_path: Path, test_data: Path
) -> None:
    snapshot, _ = registry
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    for name in INVALID_C2PA:
        src = test_data / "c2pa-public-testfiles" / "image" / "jpeg" / f"adobe-20220124-{name}.jpg"
        (imgs / src.name).write_bytes(src.read_bytes())
    res = _scan(imgs, snapshot, tmp_path / "img-keep", "--unknown", "keep")
    assert res.returncode == 0, res.stderr
    assert "6 items: 0 keep, 0 license, 0 drop, 6 error" in res.stdout
    assert set(_rows(tmp_path / "img-keep").values()) == {("error", "error")}
    assert list((tmp_path / "img-keep" / "data").rglob("*.jpg")) == []


def test_a_child_allow_from_another_header_keeps_the_licence(
    registry: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    snapshot, _ = registry
    h1 = {"tdm-reservation": "1", "tdm-policy": "https://publisher.example/tdm-licence.json"}
    rows = [
        {"id": "a1", "text": "a page of the publisher " * 20, "url": "https://publisher.example/a/1", "headers": h1},
        {"id": "a2", "text": "another page of the publisher " * 20, "url": "https://publisher.example/a/2",
         "headers": {**h1, "Content-Usage": "train-ai=y"}},
    ]  # fmt: skip
    data = tmp_path / "pages.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = _scan(data, snapshot, tmp_path / "d3")
    assert res.returncode == 0, res.stderr
    assert _rows(tmp_path / "d3") == {
        "a1": ("license", "allow-if:tdm header"),
        "a2": ("license", "allow-if:tdm header"),
    }


def test_signals_read_keeps_the_parents_licence(tmp_path: Path) -> None:
    (tmp_path / "h1.txt").write_text(
        "tdm-reservation: 1\ntdm-policy: https://publisher.example/tdm-licence.json\n"
    )
    (tmp_path / "h2.txt").write_text(
        "tdm-reservation: 1\ntdm-policy: https://publisher.example/tdm-licence.json\nContent-Usage: train-ai=y\n"
    )
    (tmp_path / "page.html").write_text("<html><head></head><body>x</body></html>\n")
    for headers in ("h1.txt", "h2.txt"):
        res = _run("signals", "read", str(tmp_path / "page.html"), "--url", "https://publisher.example/a/1",
                   "--headers", str(tmp_path / headers), "--json")  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["effective"]["genai-train"] == "allow-if", headers


def test_match_threshold_option(registry: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    snapshot, texts = registry
    data = tmp_path / "near.jsonl"
    # One word in 16 edited: every probe window of the query differs, so no score reaches 1.0.
    near = " ".join("edited" if i % 16 == 7 else w for i, w in enumerate(texts["deny"].split()))
    data.write_text(json.dumps({"id": "near", "text": near}) + "\n")
    res = _scan(data, snapshot, tmp_path / "default")
    assert _rows(tmp_path / "default") == {"near": ("drop", "deny:registry")}, res.stderr
    res = _scan(data, snapshot, tmp_path / "strict", "--match-threshold", "minhash=1.0", "--unknown", "keep")
    assert res.returncode == 0, res.stderr
    assert _rows(tmp_path / "strict") == {"near": ("keep", "unknown")}
    reasons = pq.read_table(tmp_path / "strict" / "decisions.parquet").column("reasons").to_pylist()[0]
    assert any("possible match" in r and "below the minhash decision threshold 1.0" in r for r in reasons)
    bad = _scan(data, snapshot, tmp_path / "bad", "--match-threshold", "minhash")
    assert bad.returncode == 2 and "expected KIND=SCORE" in bad.stderr


def test_registry_lookup_decides_at_its_clock(tmp_path: Path, test_data: Path) -> None:
    """The registry's lookups decide expiry at an injectable clock: a live licence until it runs out."""
    from mediamanager.lookup import LookupQuery
    from mediamanager.model import Purpose, Use
    from mediamanager.registry.accounts import AccountService
    from mediamanager.registry.lookup import LookupService
    from mediamanager.registry.store.engine import make_engine, upgrade_schema
    from mediamanager.registry.uow import UnitOfWork
    from mediamanager.registry.works import WorkService

    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade_schema(engine)
    text = spam_texts(test_data, 1, skip=7)[0]["text"].encode()
    owner, _ = AccountService(UnitOfWork(engine)).create_owner("Beta")
    reg = WorkService(UnitOfWork(engine)).register_content(
        owner, text, filename="t.txt",
        preferences=parse_preference_spec("genai-train=allow-if:attribution+expires=2030-01-01T00:00:00Z"),
    )  # fmt: skip
    uses = {}
    for year in (2029, 2030, 2031):
        service = LookupService(UnitOfWork(engine, clock=lambda y=year: datetime(y, 1, 1, tzinfo=UTC)))
        [result] = service.lookup([LookupQuery("q", sha256=reg.work.sha256)])
        uses[year] = result.matches[0].preferences.effective(Purpose.GENAI_TRAIN).use
    engine.dispose()
    assert uses == {2029: Use.ALLOW_IF, 2030: Use.UNKNOWN, 2031: Use.UNKNOWN}
