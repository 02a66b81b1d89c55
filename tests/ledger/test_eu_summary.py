"""The EU AI Act training-content summary: figures from real scans, counted by hand from the rows below."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mediamanager.cli.main import app as cli


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_eu_summary_from_scans(db_url: str, server: Any, texts: list[str], tmp_path: Path) -> None:
    alice = server.sign_up("Alice")
    server.register(alice, texts[0], "genai-train=deny", "Poem")
    noai = {"X-Robots-Tag": "noai"}
    rows = [
        {"id": "1", "text": texts[1], "url": "https://www.example.org/a", "source_category": "public-web"},
        {"id": "2", "text": texts[2], "url": "https://example.org/b", "source_category": "public-web"},
        {"id": "3", "text": texts[3], "url": "https://example.org/c", "source_category": "public-web", "headers": noai},
        {"id": "4", "text": texts[4], "url": "https://news.example.com/x", "source_category": "licensed"},
        {"id": "5", "text": texts[0], "url": "https://blog.example.net/p", "source_category": "public-web"},
        {"id": "6", "text": texts[5], "source_category": "synthetic"},
    ]  # fmt: skip
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    runner = CliRunner()
    args = ["scan", str(data), "--purpose", "genai-train", "--registry", server.url, "--out", str(tmp_path / "s"),
            "--key", str(tmp_path / "k.pem"), "--unknown", "keep"]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        cli, ["ledger", "eu-summary", str(tmp_path / "s"), "--out", str(tmp_path / "eu.json")]
    )
    assert res.exit_code == 0, res.output
    eu = json.loads((tmp_path / "eu.json").read_text())
    # Used: 1, 2 (public-web, example.org), 4 (licensed), 6 (synthetic); 3 dropped by X-Robots-Tag, 5 by the registry.
    assert eu["1_general_information"]["training_items_used"] == 4
    assert eu["1_general_information"]["modalities"] == {"text": 4}
    sections = eu["2_list_of_data_sources"]["sections"]
    assert {k: (v["items"], v["share"]) for k, v in sections.items()} == {
        "2.2.1 private datasets licensed from rightsholders": (1, 0.25),
        "2.3 data crawled and scraped from online sources": (2, 0.5),
        "2.5 synthetic data": (1, 0.25),
    }
    top = eu["2_list_of_data_sources"]["2.3_top_domains"]["domains"]
    assert top == [{"domain": "example.org", "items": 2, "share": round(2 / 3, 6)}]  # top 10% of 2 -> 1
    opt = eu["3_data_processing"]["3.1_reservations_of_rights"]
    assert (opt["items_checked"], opt["items_excluded"]) == (6, 2)
    assert {k.lower(): v for k, v in opt["items_excluded_by_source"].items()} == {
        "x-robots-tag": 1,
        "registry": 1,
    }
    assert opt["items_without_any_signal"] == "keep (--unknown policy)"
    # A changed byte in a scan: the summary refuses it.
    (tmp_path / "s" / "report.json").write_text((tmp_path / "s" / "report.json").read_text() + " ")
    res = runner.invoke(
        cli, ["ledger", "eu-summary", str(tmp_path / "s"), "--out", str(tmp_path / "eu2.json")]
    )
    assert res.exit_code == 2 and "changed: report.json" in res.output
