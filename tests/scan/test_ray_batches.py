"""The Ray engine's reader cuts batches by bytes as the local engine does (red-team D7); no cluster needed."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from mediamanager.scan.executors.base import ReaderSpec
from mediamanager.scan.executors.ray import _ReadShard

ITEM_CHARS = 25_000_000  # 5 texts of 25 MB: 3 of them pass 64 MiB (67,108,864 bytes), 2 do not


def test_ray_rows_are_byte_bounded_batches(tmp_path: Path) -> None:
    data = tmp_path / "big.jsonl"
    with data.open("w") as fh:
        for i in range(5):
            fh.write(json.dumps({"id": f"big-{i}", "text": "a" * ITEM_CHARS}) + "\n")
    spec = ReaderSpec(str(data), "jsonl")
    (shard,) = spec.open().shards()
    rows = list(_ReadShard(spec, 256)({"index": 0, "shard": shard, "start": 0}))
    batches = [pickle.loads(row["records"]) for row in rows]
    assert [len(b) for b in batches] == [3, 2]
    assert [rec.id for b in batches for rec in b] == [f"big-{i}" for i in range(5)]
    assert {row["shard_index"] for row in rows} == {0}


def test_ray_rows_keep_part_boundaries(tmp_path: Path) -> None:
    data = tmp_path / "small.jsonl"
    data.write_text("".join(json.dumps({"id": f"s-{i}", "text": f"item {i}"}) + "\n" for i in range(10)))
    spec = ReaderSpec(str(data), "jsonl")
    (shard,) = spec.open().shards()
    # resuming at offset 5 with parts of 4 items: 5-7 ends the second part, then 8-9
    rows = list(_ReadShard(spec, 4)({"index": 2, "shard": shard, "start": 5}))
    assert [[rec.id for rec in pickle.loads(row["records"])] for row in rows] == [
        ["s-5", "s-6", "s-7"],
        ["s-8", "s-9"],
    ]
