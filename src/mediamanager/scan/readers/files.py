"""Reads a folder of files (text, images, audio, PDFs): one record per file, in path order."""

from __future__ import annotations

from collections.abc import Iterator

from mediamanager.scan.readers.base import MAX_ITEM_BYTES, open_fs
from mediamanager.scan.record import Record

__all__ = ["FolderReader"]

_TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".eml", ".csv", ".json", ".xml", ".rst")


class FolderReader:
    """Every file under a folder is one item; its id is its path relative to the folder.

    The folder is one shard (``""``); offsets follow the sorted relative paths,
    so they are stable between runs.
    """

    format = "files"

    def __init__(self, path: str) -> None:
        self.fs, self.root = open_fs(path)
        self._paths: list[str] | None = None

    def paths(self) -> list[str]:
        """Relative paths of every file, sorted."""
        if self._paths is None:
            found = self.fs.find(self.root, detail=False)
            prefix = self.root.rstrip("/") + "/"
            rel = sorted(p[len(prefix) :] if p.startswith(prefix) else p for p in found)
            self._paths = [p for p in rel if not p.rsplit("/", 1)[-1].startswith(".")]
        return self._paths

    def shards(self) -> list[str]:
        return [""]

    def count(self) -> int | None:
        return len(self.paths())

    def read_shard(self, shard: str, start: int = 0) -> Iterator[Record]:
        for offset, rel in enumerate(self.paths()):
            if offset < start:
                continue
            rec = Record(id=rel, shard=shard, offset=offset, filename=rel)
            full = f"{self.root}/{rel}"
            try:
                size = self.fs.size(full)
                if size is not None and size > MAX_ITEM_BYTES:
                    rec.error = f"file is {size} bytes, over the {MAX_ITEM_BYTES}-byte item limit"
                else:
                    with self.fs.open(full, "rb") as fh:
                        data = fh.read()
                    if rel.lower().endswith(_TEXT_SUFFIXES):
                        rec.text = data.decode("utf-8", "replace")
                    else:
                        rec.content = data
            except OSError as exc:
                rec.error = f"cannot read file: {exc}"
            yield rec
