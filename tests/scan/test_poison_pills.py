"""One item that makes a step or the writer fail is that item's ``error`` row; the scan completes (D5b).

The lines are the red-team report's: a lone surrogate (a JSON ``\\ud800`` escape) in an id,
in a URL, or in a captured tdmrep.json's ``tdm-policy``. Arrow cannot store such a string.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from scan_fixtures import Registered

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.pipeline import process_batch
from mediamanager.scan.record import Record
from mediamanager.scan.run import scan
from mediamanager.scan.steps import DEFAULT_STEPS, StepContext

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")
OK = '{"id":"ok1","text":"plain item one"}\n'
OK2 = '{"id":"ok2","text":"plain item two"}\n'
# The tdmrep.json text holds the JSON escape itself, which its parser turns into a lone surrogate.
POLICY = '[{"location": "/", "tdm-reservation": 1, "tdm-policy": "https://p.example/\\udfff"}]'
LINES = {
    "id": '{"id":"bad\\ud800id","text":"x y z"}\n',
    "url": '{"id":"badurl","url":"https://p.example/\\ud800","text":"x y z"}\n',
    "tdm-policy": json.dumps({"id": "badpolicy", "text": "x y z", "tdmrep_json": "@"}).replace(
        '"@"', json.dumps(POLICY)
    )
    + "\n",
}


@pytest.mark.parametrize("where", list(LINES))
def test_report_lines_become_error_rows(where: str, text_registry: Registered, tmp_path: Path) -> None:
    data = tmp_path / "sur.jsonl"
    data.write_text(OK + LINES[where] + OK2)
    out = tmp_path / "out"
    res = subprocess.run(
        [MEDIAMANAGER, "scan", "run", str(data), "--purpose", "genai-train", "--registry",
         str(text_registry.snapshot), "--out", str(out), "--key", str(tmp_path / "k.pem")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    rows = pq.read_table(out / "decisions.parquet").to_pylist()
    assert [r["offset"] for r in rows] == [0, 1, 2]
    assert [r["outcome"] for r in rows] == ["drop", "error", "drop"]  # ok1/ok2: unknown -> drop
    bad = rows[1]
    assert bad["reason"] == "error" and "UnicodeEncodeError" in bad["error"]
    if where == "id":
        assert bad["item_id"] == "bad\\ud800id"  # stored as its escape, not lost
    if where == "url":
        assert bad["url"] == "https://p.example/\\ud800"


def _raise_on(bad: str) -> object:
    def step(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        for rec in records:
            if rec.id == bad:
                raise RuntimeError(f"cannot handle {rec.id}")
            yield rec

    return step


def test_any_step_exception_is_only_that_items_error(text_registry: Registered) -> None:
    config = ScanConfig(Purpose.GENAI_TRAIN, str(text_registry.snapshot), utcnow())
    records = [Record(id=f"r{i}", shard="s", offset=i, text=f"text number {i} " * 5) for i in range(4)]
    steps = (*DEFAULT_STEPS[:2], _raise_on("r2"), *DEFAULT_STEPS[2:])
    rows = process_batch(config, records, steps).to_pylist()  # type: ignore[arg-type]
    assert [(r["item_id"], r["outcome"]) for r in rows] == [
        ("r0", "drop"),
        ("r1", "drop"),
        ("r2", "error"),
        ("r3", "drop"),
    ]
    assert rows[2]["error"] == "item could not be processed (RuntimeError): cannot handle r2"


def test_resume_gets_past_a_poison_pill(text_registry: Registered, tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(OK + LINES["id"] + OK2 + LINES["url"])
    config = ScanConfig(Purpose.GENAI_TRAIN, str(text_registry.snapshot), utcnow(), batch_size=1)
    out = tmp_path / "out"

    class Stop(Exception):
        pass

    def stop_after_two(n: int) -> None:
        stop_after_two.seen += n  # type: ignore[attr-defined]
        if stop_after_two.seen >= 2:  # type: ignore[attr-defined]
            raise Stop

    stop_after_two.seen = 0  # type: ignore[attr-defined]
    with pytest.raises(Stop):
        scan(str(data), out, config, key_path=tmp_path / "k.pem", progress=stop_after_two)
    assert (out / ".scan").is_dir()
    summary = scan(str(data), out, config, key_path=tmp_path / "k.pem", resume=True)
    assert summary.resumed and summary.total == 4
    rows = pq.read_table(out / "decisions.parquet").to_pylist()
    assert [r["outcome"] for r in rows] == ["drop", "error", "drop", "error"]
