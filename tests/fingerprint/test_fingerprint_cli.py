"""``mediamanager fingerprint``: JSON output per file, errors reported per file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mediamanager.cli.main import app


def test_fingerprint_json(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text("A registered article about nothing in particular, long enough to shingle. " * 5)
    binary = tmp_path / "b.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    result = CliRunner().invoke(app, ["fingerprint", str(text), str(binary), "--json"])
    assert result.exit_code == 1  # one file failed, the other was still processed
    lines = [json.loads(line) for line in result.output.strip().splitlines()]
    assert lines[0]["media_type"] == "text" and lines[0]["fingerprints"][0]["kind"] == "minhash"
    assert lines[0]["iscc"].startswith("ISCC:") and len(lines[0]["sha256"]) == 64
    assert lines[1]["error_type"] == "UnsupportedMediaError"


def test_fingerprint_plain(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text("hello world " * 10)
    result = CliRunner().invoke(app, ["fingerprint", str(text)])
    assert result.exit_code == 0 and "sha256=" in result.output and "1 minhash" in result.output
