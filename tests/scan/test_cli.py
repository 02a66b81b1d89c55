"""The CLI: progress bar with items/s, a summary line, ``scan verify`` exit codes, argument errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scan_fixtures import Registered

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEDIAMANAGER, *args], capture_output=True, text=True, env={**os.environ, **env})


def test_scan_then_verify_from_the_command_line(text_registry: Registered, tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(
        "".join(json.dumps({"id": f"n{i}", "text": f"note {i} " * 30, "headers": {"X-Robots-Tag": "noai"}}) + "\n"
                for i in range(30))
        + json.dumps({"id": "ok", "text": "fine " * 30, "headers": {"Content-Usage": "train-ai=y"}}) + "\n"
    )  # fmt: skip
    res = _run(
        "scan", str(data), "--purpose", "genai-train", "--registry", str(text_registry.snapshot),
        "--out", str(tmp_path / "out"), "--workers", "1", "--key", str(tmp_path / "k.pem"),
        MEDIAMANAGER_PROGRESS="1",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "31 items: 1 keep, 0 license, 30 drop, 0 error" in res.stdout
    assert "items/s" in res.stdout + res.stderr
    ok = _run("scan", "verify", str(tmp_path / "out"))
    assert ok.returncode == 0 and ok.stdout.startswith("OK: ")
    (tmp_path / "out" / "datacard.md").write_text("edited")
    bad = _run("scan", "verify", str(tmp_path / "out"))
    assert bad.returncode == 1 and "changed: datacard.md" in bad.stderr


def test_bad_arguments_are_clear(text_registry: Registered, tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"text": "x"}\n')
    common = ["--registry", str(text_registry.snapshot), "--out", str(tmp_path / "o")]
    res = _run("scan", str(tmp_path / "d.jsonl"), "--purpose", "world-domination", *common)
    assert res.returncode == 2 and "unknown purpose" in res.stderr
    res = _run("scan", str(tmp_path / "d.jsonl"), "--purpose", "tdm", "--unknown", "maybe", *common)
    assert res.returncode == 2 and "--unknown must be keep or drop" in res.stderr
    res = _run("scan", str(tmp_path / "missing.jsonl"), "--purpose", "tdm", *common)
    assert res.returncode == 2 and "input not found" in res.stderr
