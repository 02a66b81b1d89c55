"""The issue's end-to-end test: a small mixed dataset scanned for genai-train, every decision and reason asserted."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from scan_fixtures import Registered, build_mixed_dataset, iter_tar_keys

from mediamanager.errors import IntegrityError
from mediamanager.model import Purpose, utcnow
from mediamanager.scan.attest import verify_outputs
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import ScanSummary, scan


@pytest.fixture(scope="module")
def scanned(
    registered: Registered, test_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("e2e")
    expected = build_mixed_dataset(tmp / "dataset", registered, test_data)
    config = ScanConfig(Purpose.GENAI_TRAIN, str(registered.snapshot), utcnow().replace(microsecond=0))
    summary = scan(str(tmp / "dataset"), tmp / "out", config, key_path=tmp / "builder.pem", workers=2)
    rows = pq.read_table(tmp / "out" / "decisions.parquet").to_pylist()
    return {"tmp": tmp, "out": tmp / "out", "expected": expected, "summary": summary, "rows": rows}


def _by_id(scanned: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["item_id"]: r for r in scanned["rows"]}


def test_one_row_per_input_item_in_input_order(scanned: dict[str, Any]) -> None:
    rows = scanned["rows"]
    assert len(rows) == len(scanned["expected"]) == scanned["summary"].total
    assert [(r["shard"], r["offset"]) for r in rows] == sorted((r["shard"], r["offset"]) for r in rows)
    assert len({(r["shard"], r["offset"]) for r in rows}) == len(rows)
    assert all(r["purpose"] == "genai-train" for r in rows)


def test_every_decision_and_reason_code(scanned: dict[str, Any]) -> None:
    got = {r["item_id"]: (r["outcome"], r["reason"]) for r in scanned["rows"]}
    wrong = {k: (got.get(k), v) for k, v in scanned["expected"].items() if got.get(k) != v}
    assert not wrong, f"item: (got, expected): {wrong}"
    summary: ScanSummary = scanned["summary"]
    want = {
        o: sum(1 for v in scanned["expected"].values() if v[0] == o)
        for o in ("keep", "drop", "license", "error")
    }
    assert summary.counts == want


def test_registry_matches_carry_work_owner_score_and_evidence(
    scanned: dict[str, Any], registered: Registered
) -> None:
    rows = _by_id(scanned)
    exact = rows["exact-text"]
    (m,) = json.loads(exact["matches"])
    assert (m["work_id"], m["kind"], m["score"], m["use"]) == (
        registered.work_ids["text-deny"],
        "sha256",
        1.0,
        "deny",
    )
    assert exact["owners"] == ["Alice Author"]
    assert any("sha256 match" in r and "Alice Author" in r for r in exact["reasons"])
    # Alice denied ai-train; the nesting of purposes makes that a deny of genai-train.
    assert any(e["source"] == "registry" and e["use"] == "deny" for e in json.loads(exact["evidence"]))

    altered = rows["altered-licensed"]
    (m,) = json.loads(altered["matches"])
    assert (
        m["work_id"] == registered.work_ids["text-licence"] and m["kind"] == "minhash" and m["score"] >= 0.8
    )
    cond = json.loads(altered["conditions"])
    assert cond["attribution"] is True
    assert cond["payment"]["model"] == "per-item" and cond["payment"]["amount"] == "0.01"
    assert any(r.startswith("conditions: attribution,payment(per-item 0.01 USD)") for r in altered["reasons"])

    for name in ("exact-image", "altered-image"):
        (m,) = json.loads(rows[name]["matches"])
        assert m["work_id"] == registered.work_ids["image-deny"], name
        assert rows[name]["owners"] == ["Carol Camera"]


def test_a_disputed_match_is_reported_as_such(scanned: dict[str, Any], registered: Registered) -> None:
    row = _by_id(scanned)["disputed"]
    assert row["disputed"] is True
    works = {m["work_id"]: m for m in json.loads(row["matches"])}
    assert set(works) == {registered.work_ids["disputed-allow"], registered.work_ids["disputed-deny"]}
    assert all(m["disputed"] for m in works.values())
    states = sorted(
        (m["dispute"]["state"], m["dispute"]["role"], m["dispute"]["outcome"]) for m in works.values()
    )
    assert states == [("open", "earlier", None), ("open", "later", None)]
    assert sum("is disputed by" in r for r in row["reasons"]) == 2
    # The most restrictive claim wins: Erin's deny over Dave's allow.
    assert row["outcome"] == "drop" and row["owners"] == ["Dave Claimant", "Erin Claimant"]


def test_signal_evidence_is_kept(scanned: dict[str, Any]) -> None:
    rows = _by_id(scanned)

    def evidence(name: str) -> list[dict[str, Any]]:
        return json.loads(rows[name]["evidence"])

    assert any(e["source"] == "X-Robots-Tag" and "noai" in e["raw"] for e in evidence("noai-header"))
    assert any(e["source"] == "tdmrep.json" and e["purpose"] == "tdm" for e in evidence("tdmrep-reserved"))
    assert any("GPTBot" in (e["detail"] or "") for e in evidence("robots-disallow"))
    assert any(e["source"] == "c2pa" and e["use"] == "deny" for e in evidence("c2pa-do-not-train"))
    assert any("GENAIMLTRAINING" in e["raw"] for e in evidence("iptc-prohibited"))
    assert rows["clean-unknown"]["reasons"][0].startswith("unknown: nothing states a use for genai-train")
    assert rows["clean-unknown"]["evidence"] == "[]"


def test_unreadable_items_are_errors_with_reasons(scanned: dict[str, Any]) -> None:
    rows = _by_id(scanned)
    assert "truncated" in rows["corrupt-image"]["error"]
    assert "json" in rows["bad-json"]["error"]
    assert "empty" in rows["empty-text"]["error"]
    for name in ("corrupt-image", "bad-json", "empty-text"):
        assert rows[name]["reasons"][0].startswith("error: ")


def test_filtered_dataset_keeps_format_sharding_and_members(scanned: dict[str, Any]) -> None:
    data = scanned["out"] / "data"
    assert sorted(p.name for p in data.iterdir()) == ["shard-00000.tar", "shard-00001.tar"]
    allowed = [r["item_id"] for r in scanned["rows"] if r["outcome"] in ("keep", "license")]
    written = [k for shard in sorted(data.iterdir()) for k in iter_tar_keys(shard)]
    assert written == allowed
    src = scanned["tmp"] / "dataset" / "shard-00000.tar"
    with tarfile.open(src) as a, tarfile.open(data / "shard-00000.tar") as b:
        orig = {m.name: a.extractfile(m).read() for m in a.getmembers()}  # type: ignore[union-attr]
        for m in b.getmembers():
            assert b.extractfile(m).read() == orig[m.name]  # type: ignore[union-attr]


def test_reports_datacard_and_usage_report(scanned: dict[str, Any], registered: Registered) -> None:
    out: Path = scanned["out"]
    report = json.loads((out / "report.json").read_text())
    assert report["totals"]["items"] == len(scanned["rows"])
    assert report["by_owner"]["Alice Author"] == {"drop": 1}
    assert report["by_reason"]["deny:registry"]["drop"] >= 3
    assert report["by_source"]["error"] == {"error": 3}
    listed = {i["item_id"] for i in report["items"]}
    assert listed == {r["item_id"] for r in scanned["rows"] if r["outcome"] != "keep"}
    html = (out / "report.html").read_text()
    assert "<svg" in html and not re.search(r"""(src|href)=["']?(https?:)?//""", html), (
        "report must be self-contained"
    )
    assert all(f">{i}<" in html for i in listed)
    card = (out / "datacard.md").read_text()
    assert report["registry"]["sha256"] in card and report["registry"]["version"] in card
    assert "genai-train" in card and "Known limits" in card
    usage = json.loads((out / "usage-report.json").read_text())
    (work,) = usage["works"]
    assert work["work_id"] == registered.work_ids["text-licence"] and work["owner_name"] == "Bob Press"
    assert work["items"] == 1 and work["item_ids"] == ["altered-licensed"]


def test_attestation_verifies_and_detects_tampering(scanned: dict[str, Any], tmp_path: Path) -> None:
    import shutil

    out: Path = scanned["out"]
    att = verify_outputs(out)
    assert set(att["files"]) >= {
        "decisions.parquet",
        "report.html",
        "report.json",
        "datacard.md",
        "usage-report.json",
    }
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    with open(copy / "data" / "shard-00000.tar", "ab") as fh:
        fh.write(b"\0")
    (copy / "extra.txt").write_text("smuggled")
    with pytest.raises(
        IntegrityError, match=r"changed: data/shard-00000.tar.*not covered by the attestation: extra.txt"
    ):
        verify_outputs(copy)
    with pytest.raises(IntegrityError, match="different key"):
        verify_outputs(out, public_key="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
