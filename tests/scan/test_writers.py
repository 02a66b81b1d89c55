"""The filtered dataset keeps the input's format, sharding and unknown columns, for every format."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from scan_fixtures import Registered

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan

OPEN = '{"Content-Usage": "train-ai=y"}'


def _config(text_registry: Registered, **kw: object) -> ScanConfig:
    return ScanConfig(Purpose.GENAI_TRAIN, str(text_registry.snapshot), utcnow(), batch_size=3, **kw)  # type: ignore[arg-type]


def _rows(text_registry: Registered) -> list[dict[str, object]]:
    return [
        {"id": f"r{i}", "text": f"row {i} text " * 20, "headers": OPEN if i % 2 == 0 else None, "extra": i}
        for i in range(9)
    ] + [{"id": "denied", "text": text_registry.texts["deny"], "headers": OPEN, "extra": 99}]


def test_parquet_output_keeps_schema_and_shards(text_registry: Registered, tmp_path: Path) -> None:
    rows = _rows(text_registry)
    (tmp_path / "in").mkdir()
    pq.write_table(pa.Table.from_pylist(rows[:6]), tmp_path / "in" / "a.parquet", row_group_size=2)
    pq.write_table(pa.Table.from_pylist(rows[6:]), tmp_path / "in" / "b.parquet")
    s = scan(str(tmp_path / "in"), tmp_path / "out", _config(text_registry), key_path=tmp_path / "k.pem")
    assert s.total == 10 and s.counts["keep"] == 5
    a = pq.read_table(tmp_path / "out" / "data" / "a.parquet")
    b = pq.read_table(tmp_path / "out" / "data" / "b.parquet")
    assert a.schema == pq.read_schema(tmp_path / "in" / "a.parquet")
    assert a.column("id").to_pylist() == ["r0", "r2", "r4"] and b.column("id").to_pylist() == ["r6", "r8"]
    assert b.column("extra").to_pylist() == [6, 8]


def test_huggingface_output_is_a_saved_dataset(text_registry: Registered, tmp_path: Path) -> None:
    import datasets

    datasets.Dataset.from_list(_rows(text_registry)).save_to_disk(str(tmp_path / "hf"))
    s = scan(str(tmp_path / "hf"), tmp_path / "out", _config(text_registry), key_path=tmp_path / "k.pem")
    assert s.total == 10
    kept = datasets.load_from_disk(str(tmp_path / "out" / "data"))
    assert kept["id"] == ["r0", "r2", "r4", "r6", "r8"] and kept["extra"] == [0, 2, 4, 6, 8]


def test_folder_output_copies_allowed_files_and_unknown_policy(
    text_registry: Registered, tmp_path: Path
) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "sub" / "letter.txt").write_text(text_registry.texts["deny"])
    (tmp_path / "in" / "note.txt").write_text("a note nobody claims " * 20)
    (tmp_path / "in" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    s = scan(
        str(tmp_path / "in"),
        tmp_path / "out",
        _config(text_registry, unknown="keep"),
        key_path=tmp_path / "k.pem",
    )
    assert s.counts == {"keep": 1, "drop": 1, "license": 0, "error": 1}
    files = sorted(
        p.relative_to(tmp_path / "out" / "data").as_posix()
        for p in (tmp_path / "out" / "data").rglob("*")
        if p.is_file()
    )
    assert files == ["note.txt"]
    card = (tmp_path / "out" / "datacard.md").read_text()
    assert "Items with no stated preference (unknown): **keep**" in card
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["policy"]["unknown"] == "keep" and report["by_reason"]["unknown"] == {"keep": 1}
