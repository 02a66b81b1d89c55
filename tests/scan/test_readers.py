"""Readers: every input format gives the same records, from local paths and other fsspec file systems."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from scan_fixtures import write_tar

from mediamanager.errors import InputError
from mediamanager.scan.readers import Columns, detect_format, open_reader

ROWS = [
    {"id": "a", "text": "first text", "url": "https://x.example/a", "headers": {"X-Robots-Tag": "noai"}},
    {"id": "b", "text": "second text", "source_category": "licensed"},
    {"id": "c", "text": "third text", "html_head": "<head><meta name='robots' content='noai'></head>"},
]


def _lines() -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in ROWS)


def _check(records: list, shard: str) -> None:  # type: ignore[type-arg]
    assert [r.id for r in records] == ["a", "b", "c"]
    assert [r.offset for r in records] == [0, 1, 2] and {r.shard for r in records} == {shard}
    assert records[0].text == "first text" and records[0].url == "https://x.example/a"
    assert records[0].headers == (("x-robots-tag", "noai"),)
    assert records[1].source_category == "licensed" and records[0].source_category == "unspecified"
    assert "noai" in (records[2].html_head or "")


@pytest.mark.parametrize("name", ["d.jsonl", "d.jsonl.gz", "d.jsonl.zst"])
def test_jsonl_plain_gzip_zstd(tmp_path: Path, name: str) -> None:
    data = _lines()
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    (tmp_path / name).write_bytes(data)
    assert detect_format(str(tmp_path / name)) == "jsonl"
    reader = open_reader(str(tmp_path / name))
    assert reader.shards() == [name]
    _check(list(reader.read_shard(name)), name)
    assert [r.id for r in reader.read_shard(name, start=2)] == ["c"]


def test_truncated_gzip_becomes_one_error_row_for_the_rest(tmp_path: Path) -> None:
    data = gzip.compress(_lines() * 200)
    (tmp_path / "t.jsonl.gz").write_bytes(data[: len(data) // 2])
    recs = list(open_reader(str(tmp_path / "t.jsonl.gz")).read_shard("t.jsonl.gz"))
    assert all(r.error is None for r in recs[:-1])
    assert recs[-1].error is not None and "unreadable" in recs[-1].error
    assert [r.offset for r in recs] == list(range(len(recs)))


def test_parquet_text_and_image_bytes_columns(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(
        [
            {"key": "p1", "image": {"bytes": b"\x89PNG...", "path": "p1.png"}, "url": "https://x.example/p1"},
            {"key": "p2", "image": {"bytes": b"\xff\xd8jpeg", "path": "p2.jpg"}, "url": None},
        ]
    )
    (tmp_path / "pq").mkdir()
    pq.write_table(table, tmp_path / "pq" / "part-0.parquet", row_group_size=1)
    pq.write_table(pa.Table.from_pylist(ROWS[:1]), tmp_path / "pq" / "part-1.parquet")
    assert detect_format(str(tmp_path / "pq")) == "parquet"
    reader = open_reader(str(tmp_path / "pq"))
    assert reader.shards() == ["part-0.parquet", "part-1.parquet"] and reader.count() == 3
    p = list(reader.read_shard("part-0.parquet"))
    assert [r.id for r in p] == ["p1", "p2"] and p[0].content == b"\x89PNG..." and p[0].text is None
    assert [r.id for r in reader.read_shard("part-0.parquet", start=1)] == ["p2"]
    (t,) = reader.read_shard("part-1.parquet")
    assert t.text == "first text"


def test_column_mapping_overrides_defaults(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text(
        json.dumps({"doc": "body here", "text": "not this", "link": "u", "uid": 7})
    )
    cols = Columns.from_options({"text": "doc", "id": "uid", "url": "link"})
    (r,) = open_reader(str(tmp_path / "m.jsonl"), columns=cols).read_shard("m.jsonl")
    assert (r.text, r.id, r.url) == ("body here", "7", "u")
    with pytest.raises(InputError, match="unknown column"):
        Columns.from_options({"nope": "x"})


def test_webdataset_img2dataset_sample_json(tmp_path: Path) -> None:
    meta = {"url": "https://img.example/1.jpg", "key": "000000001", "status": "success",
            "headers": {"X-Robots-Tag": "noimageai"}, "caption": "a cat"}  # fmt: skip
    write_tar(
        tmp_path / "00000.tar",
        [
            {
                "__key__": b"000000001",
                "jpg": b"\xff\xd8fake",
                "txt": b"a cat",
                "json": json.dumps(meta).encode(),
            },
            {"__key__": b"000000002", "txt": b"only text", "json": b"{}"},
        ],
    )
    reader = open_reader(str(tmp_path / "00000.tar"))
    a, b = list(reader.read_shard("00000.tar"))
    assert a.id == "000000001" and a.content == b"\xff\xd8fake" and a.filename == "000000001.jpg"
    assert a.url == meta["url"] and a.headers == (("x-robots-tag", "noimageai"),)
    assert b.text == "only text" and b.content is None


def test_huggingface_saved_dataset(tmp_path: Path) -> None:
    import datasets

    keys = ("id", "text", "url", "source_category", "html_head")
    ds = datasets.Dataset.from_list([{k: r.get(k) for k in keys} for r in ROWS])
    ds.save_to_disk(str(tmp_path / "hf"))
    assert detect_format(str(tmp_path / "hf")) == "hf"
    reader = open_reader(str(tmp_path / "hf"))
    assert reader.shards() == [""] and reader.count() == 3
    recs = list(reader.read_shard(""))
    assert [r.id for r in recs] == ["a", "b", "c"] and recs[1].source_category == "licensed"


def test_folder_of_files_and_memory_filesystem(tmp_path: Path) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/mmtest/docs/b.txt", b"bee")
    fs.pipe("/mmtest/docs/a/z.png", b"\x89PNG")
    reader = open_reader("memory://mmtest/docs")
    recs = list(reader.read_shard(""))
    assert [(r.id, r.text, r.content) for r in recs] == [
        ("a/z.png", None, b"\x89PNG"),
        ("b.txt", "bee", None),
    ]
    fs.pipe("/mmtest/j/x.jsonl.gz", gzip.compress(_lines()))
    assert [r.id for r in open_reader("memory://mmtest/j").read_shard("x.jsonl.gz")] == ["a", "b", "c"]


def test_unknown_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        detect_format(str(tmp_path / "missing"))
    (tmp_path / "x.bin").write_bytes(b"")
    with pytest.raises(InputError, match="--format"):
        detect_format(str(tmp_path / "x.bin"))
    with pytest.raises(InputError, match="unknown format"):
        open_reader(str(tmp_path), "csv")


def test_an_endless_line_is_an_error_row_and_never_held_whole(tmp_path: Path) -> None:
    bomb = b'{"id": "big", "text": "' + b"a" * 5_000_000 + b'"}\n'
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(_lines() + bomb + _lines(), compresslevel=9))
    reader = open_reader(str(tmp_path / "b.jsonl.gz"))
    reader.max_item_bytes = 100_000  # type: ignore[attr-defined]
    recs = list(reader.read_shard("b.jsonl.gz"))
    assert [r.id for r in recs] == ["a", "b", "c", "b.jsonl.gz:3", "a", "b", "c"]
    assert recs[3].error == "line over the item size limit"
