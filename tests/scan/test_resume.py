"""Resumability: SIGKILL a real ``mediamanager scan`` process mid-run, resume it, get identical outputs."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import zstandard
from scan_fixtures import Registered

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")
SCAN_TIME = "2026-01-02T03:04:05+00:00"


def _write_jsonl_shards(folder: Path, test_data: Path, text_registry: Registered) -> int:
    """Three shards (plain, gzip, zstd) of SpamAssassin mails, plus the text_registry letters and a broken line."""
    folder.mkdir()
    with gzip.open(test_data / "text-spamassassin" / "corpus.jsonl.gz", "rt") as fh:
        rows = [json.loads(line) for _, line in zip(range(1500), fh, strict=False)]
    rows[10]["text"] = text_registry.texts["deny"]
    rows[700]["text"] = text_registry.texts["licence"]
    lines = [json.dumps({"id": r["id"], "text": r["text"], "group": r["group"]}).encode() for r in rows]
    lines[1200] = b'{"id": "broken", "text": '
    (folder / "a.jsonl").write_bytes(b"\n".join(lines[:500]) + b"\n")
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(b"\n".join(lines[500:1000]) + b"\n", mtime=0))
    (folder / "c.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(b"\n".join(lines[1000:]) + b"\n")
    )
    return len(lines)


def _scan_args(data: Path, out: Path, text_registry: Registered, key: Path) -> list[str]:
    return [
        MEDIAMANAGER, "scan", str(data), "--purpose", "genai-train", "--registry", str(text_registry.snapshot),
        "--out", str(out), "--workers", "1", "--batch-size", "8", "--key", str(key), "--scan-time", SCAN_TIME,
    ]  # fmt: skip


def _parts(out: Path) -> int:
    parts = out / ".scan" / "parts"
    return len(list(parts.glob("*.parquet"))) if parts.is_dir() else 0


def _kill_after(args: list[str], out: Path, parts: int) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while _parts(out) < parts:
        if proc.poll() is not None:
            raise AssertionError(
                f"scan ended before it could be killed: {proc.stdout.read().decode()[-2000:]}"
            )  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("scan made no progress in 120 s")
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_sigkill_and_resume_give_identical_outputs(
    text_registry: Registered, test_data: Path, tmp_path: Path
) -> None:
    n = _write_jsonl_shards(tmp_path / "data", test_data, text_registry)
    key = tmp_path / "builder.pem"
    clean = subprocess.run(
        _scan_args(tmp_path / "data", tmp_path / "clean", text_registry, key), capture_output=True
    )
    assert clean.returncode == 0, clean.stderr.decode()[-3000:]

    out = tmp_path / "resumed"
    args = _scan_args(tmp_path / "data", out, text_registry, key)
    _kill_after(args, out, 12)  # in the first shard
    first = _parts(out)
    refused = subprocess.run(args, capture_output=True)
    assert refused.returncode != 0 and b"--resume" in refused.stderr
    _kill_after([*args, "--resume"], out, 100)  # in the second (gzip) shard
    assert _parts(out) > first
    done = subprocess.run([*args, "--resume"], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-3000:]

    assert not (out / ".scan").exists()
    a, b = _tree(tmp_path / "clean"), _tree(out)
    assert sorted(a) == sorted(b)
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, f"files differ after resume: {differ}"
    rows = pq.read_table(
        out / "decisions.parquet", columns=["item_id", "shard", "offset", "outcome"]
    ).to_pylist()
    assert len(rows) == n
    assert len({(r["shard"], r["offset"]) for r in rows}) == n
    outcomes = {r["item_id"]: r["outcome"] for r in rows}
    assert outcomes["c.jsonl.zst:200"] == "error"
    # The filtered shards keep their names and compression.
    assert sorted(p.name for p in (out / "data").iterdir()) == ["a.jsonl", "b.jsonl.gz", "c.jsonl.zst"]
    kept = sum(o in ("keep", "license") for o in outcomes.values())
    with zstandard.ZstdDecompressor().stream_reader(open(out / "data" / "c.jsonl.zst", "rb")) as z:
        zlines = io.TextIOWrapper(z).read().splitlines()
    total_written = (
        len((out / "data" / "a.jsonl").read_text().splitlines())
        + len(gzip.decompress((out / "data" / "b.jsonl.gz").read_bytes()).splitlines())
        + len(zlines)
    )
    assert total_written == kept


def test_progress_after_resume_counts_what_is_left(text_registry: Registered, tmp_path: Path) -> None:
    """The resumed run's total is the items not yet in checkpoint parts, and it ends at that total."""
    data = tmp_path / "notes.jsonl"
    data.write_text(
        "".join(json.dumps({"id": f"n{i}", "text": f"note {i} " * 30}) + "\n" for i in range(400))
    )
    out = tmp_path / "out"
    args = _scan_args(data, out, text_registry, tmp_path / "k.pem")
    _kill_after(args, out, 10)
    left = 400 - 8 * _parts(out)  # one shard, every part a full batch of 8 before the kill
    assert 0 < left < 400
    done = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    final = re.findall(r"^scanning: ([\d,]+)/([\d,]+) items in ", done.stderr, re.M)
    assert final == [(f"{left:,}", f"{left:,}")], done.stderr[-2000:]
    assert pq.read_metadata(out / "decisions.parquet").num_rows == 400
