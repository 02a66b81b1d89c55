"""Progress with real totals: scan (counted up front where the reader can), export and bulk-register.

Run as users run them, without a terminal (a subprocess with pipes, or CliRunner): the last
progress line states the totals.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scan_fixtures import Registered, build_mixed_dataset, build_registry
from typer.testing import CliRunner

from mediamanager.cli.main import app
from mediamanager.progress import ProgressLine
from mediamanager.scan.readers.jsonl import JsonlReader
from mediamanager.scan.readers.webdataset import WebDatasetReader

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")
FINAL = re.compile(
    r"^scanning: (?P<done>[\d,]+)(?:/(?P<total>[\d,]+))? items in [\d.]+s \([\d,.]+ items/s\)$", re.M
)


def _scan(data: Path, snapshot: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [MEDIAMANAGER, "scan", str(data), "--purpose", "genai-train", "--registry", str(snapshot),
         "--out", str(out), "--workers", "1", "--key", str(out.parent / "k.pem")],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    return res


def _lines(n: int) -> str:
    return "".join(json.dumps({"id": f"n{i}", "text": f"note {i} " * 30}) + "\n" for i in range(n))


def test_scan_counts_a_webdataset_up_front_and_ends_with_the_totals(
    registered: Registered, test_data: Path, tmp_path: Path
) -> None:
    build_mixed_dataset(tmp_path / "data", registered, test_data)
    assert WebDatasetReader(str(tmp_path / "data")).count() == 16
    res = _scan(tmp_path / "data", registered.snapshot, tmp_path / "out")
    found = FINAL.findall(res.stderr)
    assert found == [("16", "16")], res.stderr
    assert "/?" not in res.stderr


def test_scan_counts_plain_jsonl_lines_and_falls_back_to_a_count_without_total_when_compressed(
    text_registry: Registered, tmp_path: Path
) -> None:
    plain = tmp_path / "d.jsonl"
    plain.write_text(_lines(30) + "\n   \n" + _lines(1))  # blank lines are not items
    assert JsonlReader(str(plain)).count() == 31
    assert FINAL.findall(_scan(plain, text_registry.snapshot, tmp_path / "o1").stderr) == [("31", "31")]
    packed = tmp_path / "d.jsonl.gz"
    packed.write_bytes(gzip.compress(_lines(12).encode()))
    assert JsonlReader(str(packed)).count() is None
    assert FINAL.findall(_scan(packed, text_registry.snapshot, tmp_path / "o2").stderr) == [("12", "")]


def test_forced_bar_shows_the_real_total(text_registry: Registered, tmp_path: Path) -> None:
    plain = tmp_path / "d.jsonl"
    plain.write_text(_lines(9))
    res = _scan(plain, text_registry.snapshot, tmp_path / "out", MEDIAMANAGER_PROGRESS="1")
    assert "9/9" in res.stderr and "items/s" in res.stderr and "/?" not in res.stderr


def test_plain_lines_carry_rate_and_eta() -> None:
    buf = io.StringIO()
    with ProgressLine("working", total=4, stream=buf, every_s=0.0) as bar:
        for _ in range(4):
            bar.advance(1)
    lines = buf.getvalue().splitlines()
    assert [ln.split(",")[0] for ln in lines[:4]] == [
        "working: 1/4 items", "working: 2/4 items", "working: 3/4 items", "working: 4/4 items",
    ]  # fmt: skip
    assert len(lines) == 5
    assert re.fullmatch(r"working: 3/4 items, [\d,.]+ items/s, eta \d+s", lines[2])
    assert re.fullmatch(r"working: 4/4 items in [\d.]+s \([\d,.]+ items/s\)", lines[4])


def test_failed_work_prints_no_final_totals() -> None:
    buf = io.StringIO()
    with pytest.raises(RuntimeError), ProgressLine("working", total=4, stream=buf, every_s=60) as bar:
        bar.advance(1)
        raise RuntimeError("stop")
    assert buf.getvalue() == ""


def test_export_prints_progress_with_the_number_of_works(test_data: Path, tmp_path: Path) -> None:
    build_registry(tmp_path, test_data)  # 6 works (5 texts, 1 photo)
    res = CliRunner().invoke(
        app, ["export", "--out", str(tmp_path / "snap2"), "--db", f"sqlite:///{tmp_path / 'registry.db'}"]
    )
    assert res.exit_code == 0, res.output
    assert re.search(r"^exporting: 6/6 works in [\d.]+s", res.output, re.M), res.output
