"""Readers: turn a dataset on any fsspec path into shards of :class:`~mediamanager.scan.record.Record`."""

from __future__ import annotations

from mediamanager.errors import InputError
from mediamanager.scan.readers.base import FORMATS, Columns, Reader, detect_format

__all__ = ["FORMATS", "Columns", "Reader", "detect_format", "open_reader"]


def open_reader(path: str, fmt: str | None = None, columns: Columns | None = None) -> Reader:
    """The reader for ``path``, in the given format or the detected one."""
    fmt = fmt or detect_format(path)
    if fmt == "files":
        from mediamanager.scan.readers.files import FolderReader

        return FolderReader(path)
    if fmt == "jsonl":
        from mediamanager.scan.readers.jsonl import JsonlReader

        return JsonlReader(path, columns)
    if fmt == "parquet":
        from mediamanager.scan.readers.parquet import ParquetReader

        return ParquetReader(path, columns)
    if fmt == "webdataset":
        from mediamanager.scan.readers.webdataset import WebDatasetReader

        return WebDatasetReader(path, columns)
    if fmt == "hf":
        from mediamanager.scan.readers.hf import HfDiskReader

        return HfDiskReader(path, columns)
    raise InputError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
