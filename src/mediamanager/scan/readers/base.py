"""What every reader shares: the column mapping, the reader contract and format detection."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import fsspec

from mediamanager.errors import InputError
from mediamanager.scan.record import Record

__all__ = [
    "FORMATS",
    "Columns",
    "Reader",
    "ShardedFileReader",
    "detect_format",
    "open_fs",
    "record_from_mapping",
]

FORMATS = ("files", "jsonl", "parquet", "webdataset", "hf")

# Items larger than this become error rows instead of exhausting memory.
MAX_ITEM_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Columns:
    """Which column (or JSON field) holds what; each default lists the usual names, first found wins."""

    id: tuple[str, ...] = ("id", "key", "__key__", "uid", "md5", "sha256")
    text: tuple[str, ...] = ("text", "content", "body", "caption_text")
    content: tuple[str, ...] = ("image", "bytes", "jpg", "jpeg", "png", "webp", "audio", "data", "pdf")
    filename: tuple[str, ...] = ("filename", "file_name", "path", "name")
    url: tuple[str, ...] = ("url", "URL", "source_url", "link")
    headers: tuple[str, ...] = ("headers", "http_headers", "response_headers")
    html_head: tuple[str, ...] = ("html_head", "head")
    robots_txt: tuple[str, ...] = ("robots_txt", "robots")
    ai_txt: tuple[str, ...] = ("ai_txt",)
    tdmrep_json: tuple[str, ...] = ("tdmrep_json", "tdmrep")
    source_category: tuple[str, ...] = ("source_category", "source", "provenance_category")
    # The caption of a URL-only row (LAION's TEXT, img2dataset's caption): carried to urls.parquet only.
    caption: tuple[str, ...] = ("caption", "TEXT", "alt", "alt_text")

    @classmethod
    def from_options(cls, options: Mapping[str, str | None]) -> Columns:
        """Columns with the named fields forced to one column each (``None`` keeps the default)."""
        forced = {k: (v,) for k, v in options.items() if v}
        unknown = set(forced) - set(cls.__dataclass_fields__)
        if unknown:
            raise InputError(f"unknown column option(s): {', '.join(sorted(unknown))}")
        return cls(**forced)


class Reader(Protocol):
    """Reads one dataset: a list of shards, each an ordered stream of records.

    ``read_shard(shard, start)`` yields the records of ``shard`` from position
    ``start`` on; positions are stable between runs, which makes resuming exact.
    """

    format: str
    root: str

    def shards(self) -> list[str]: ...

    def read_shard(self, shard: str, start: int = 0) -> Iterator[Record]: ...

    def count(self) -> int | None: ...


def open_fs(path: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem and in-filesystem path for a local path or any fsspec URL."""
    fs, root = fsspec.core.url_to_fs(path)
    return fs, root.rstrip("/") or root


class ShardedFileReader:
    """A file, or a folder of files with one of ``suffixes``: each file is a shard named as in the input."""

    format: str
    suffixes: tuple[str, ...]

    def __init__(self, path: str, columns: Columns | None = None) -> None:
        self.fs, self.root = open_fs(path)
        self.columns = columns or Columns()
        self.single = not self.fs.isdir(self.root)

    def shards(self) -> list[str]:
        if self.single:
            return [self.root.rsplit("/", 1)[-1]]
        names = [p.rsplit("/", 1)[-1] for p in self.fs.ls(self.root, detail=False)]
        return sorted(n for n in names if n.lower().endswith(self.suffixes))

    def shard_path(self, shard: str) -> str:
        return self.root if self.single else f"{self.root}/{shard}"

    def count(self) -> int | None:
        return None


def _suffix_format(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson", ".json.gz", ".jsonl.zstd")):
        return "jsonl"
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith(".tar"):
        return "webdataset"
    return None


def detect_format(path: str) -> str:
    """Guess the input format from the path: a file's suffix, or what a folder holds."""
    fs, root = open_fs(path)
    if not fs.exists(root):
        raise InputError(f"input not found: {path}")
    if not fs.isdir(root):
        fmt = _suffix_format(root)
        if fmt is None:
            raise InputError(f"cannot tell the format of {path}; pass --format ({', '.join(FORMATS)})")
        return fmt
    names = [p.rsplit("/", 1)[-1] for p in fs.ls(root, detail=False)]
    if "dataset_info.json" in names or "state.json" in names or "dataset_dict.json" in names:
        return "hf"
    found = {f for f in (_suffix_format(n) for n in names) if f}
    if len(found) == 1:
        return found.pop()
    return "files"


def _first(row: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for n in names:
        if n in row and row[n] is not None:
            return row[n]
    return None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _as_headers(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            # A raw header block, "Name: value" per line.
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            pairs = [line.split(":", 1) for line in text.splitlines() if ":" in line]
            return tuple((k.strip().lower(), v.strip()) for k, v in pairs)
    if isinstance(value, Mapping):
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            for one in v if isinstance(v, list) else [v]:
                out.append((str(k).strip().lower(), str(one)))
        return tuple(out)
    if isinstance(value, list):
        return tuple((str(k).strip().lower(), str(v)) for k, v in value)
    return ()


def _as_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, Mapping):  # Hugging Face Image/Audio features: {"bytes": ..., "path": ...}
        value = value.get("bytes")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return None


def record_from_mapping(row: Mapping[str, Any], columns: Columns, *, shard: str, offset: int) -> Record:
    """A record from a row or JSON object, using the column mapping."""
    rid = _first(row, columns.id)
    content = _as_bytes(_first(row, columns.content))
    text = None if content is not None else _as_text(_first(row, columns.text))
    category = _first(row, columns.source_category)
    rec = Record(
        id=str(rid) if rid is not None else f"{shard}:{offset}",
        shard=shard,
        offset=offset,
        text=text,
        content=content,
        filename=_as_text(_first(row, columns.filename)),
        url=_as_text(_first(row, columns.url)),
        headers=_as_headers(_first(row, columns.headers)),
        html_head=_as_text(_first(row, columns.html_head)),
        robots_txt=_as_text(_first(row, columns.robots_txt)),
        ai_txt=_as_text(_first(row, columns.ai_txt)),
        tdmrep_json=_as_text(_first(row, columns.tdmrep_json)),
        source_category=str(category) if category else "unspecified",
    )
    if text is None and content is None:
        if rec.url:
            # A URL-only row (LAION, img2dataset input): decided before download (steps/urlonly.py).
            rec.extra["url_only"] = True
            caption = _as_text(_first(row, columns.caption))
            if caption is not None:
                rec.extra["caption"] = caption
        else:
            rec.error = "no text or content column found in the item"
    return rec
