"""Work shared between records (signals read once per capture, one rule per shared signals) changes no row."""

from __future__ import annotations

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.record import Record
from mediamanager.scan.steps import StepContext
from mediamanager.scan.steps.decide import decide_records
from mediamanager.scan.steps.signals import read_record_signals
from mediamanager.scan.writers.decisions import decision_row


def _records() -> list[Record]:
    noai = (("x-robots-tag", "noai"),)
    recs = []
    for i in range(12):
        kind = i % 4
        recs.append(
            Record(
                id=f"r{i}", shard="s", offset=i, text="some words here",
                headers=noai if kind in (1, 2) else (),
                url=f"https://site.example/{i}.html" if kind == 2 else None,
                robots_txt="User-agent: *\nDisallow: /\n" if kind == 3 else None,
                sha256="0" * 64,
            )
        )  # fmt: skip
    return recs


def _rows(ctx: StepContext, records: list[Record]) -> list[dict[str, object]]:
    return [decision_row(r) for r in decide_records(read_record_signals(iter(records), ctx), ctx)]


def test_memoised_signals_and_shared_rules_give_the_rows_of_separate_reads() -> None:
    config = ScanConfig(Purpose.GENAI_TRAIN, "unused-registry", utcnow())
    shared = _rows(StepContext(config), _records())
    separate = [_rows(StepContext(config), [r])[0] for r in _records()]  # a fresh context per record
    assert shared == separate
    assert [r["item_id"] for r in shared] == [f"r{i}" for i in range(12)]
    reasons = {r["item_id"]: r["reason"] for r in shared}
    assert reasons["r1"].startswith("deny:") and reasons["r0"] == "unknown"
    # A URL is part of the evidence's location: records with different URLs never share a read.
    locations = [r["evidence"] for r in shared if r["url"]]
    assert len(set(locations)) == len(locations) == 3
