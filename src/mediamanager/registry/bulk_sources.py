"""Where bulk registration's items come from: a folder, a CSV/JSONL manifest, or a sitemap/RSS/Atom feed.

See :mod:`mediamanager.registry.bulk` for the rules (manifest columns, paths that must stay inside
the manifest's folder, default preferences with a collection).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediamanager.errors import InputError, MediaManagerError, MediaTooLargeError

__all__ = [
    "MAX_FEED_BYTES",
    "MAX_ITEM_BYTES",
    "BulkItem",
    "iter_feed",
    "iter_folder",
    "iter_manifest",
    "iter_source",
]

MAX_ITEM_BYTES = 50 * 1024 * 1024
MAX_FEED_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class BulkItem:
    """One thing to register; ``load`` returns its bytes (called only when it is registered)."""

    name: str
    load: Callable[[], bytes]
    filename: str
    title: str = ""
    creator: str = ""
    source_urls: tuple[str, ...] = ()
    collection: str | None = None
    preferences: str | None = None
    path: Path | None = None  # a local file (its size and mtime key the resume state)


def _default_prefs(item_collection: str | None, defaults: dict[str, Any]) -> str | None:
    """The run's default preferences for an item without its own: none when they are the rule of
    the run's collection and the item is in it (the collection states them once)."""
    prefs: str | None = defaults.get("default_prefs")
    run_collection = defaults.get("collection")
    if prefs and run_collection and item_collection == run_collection:
        return None
    return prefs


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _read_file(path: Path) -> Callable[[], bytes]:
    def load() -> bytes:
        size = path.stat().st_size
        if size > MAX_ITEM_BYTES:
            raise MediaTooLargeError(f"{path} is {size} bytes; the limit is {MAX_ITEM_BYTES}")
        return path.read_bytes()

    return load


def _fetch(url: str, limit: int = MAX_ITEM_BYTES, timeout: float = 30.0) -> bytes:
    from mediamanager.registry.bulk_fetch import guarded_fetch
    from mediamanager.settings import Settings

    return guarded_fetch(url, limit, timeout=timeout, allow_loopback=Settings().bulk_fetch_allow_loopback)


def _fetcher(url: str) -> Callable[[], bytes]:
    def load() -> bytes:
        return _fetch(url)

    return load


def iter_folder(folder: Path, **defaults: Any) -> Iterator[BulkItem | tuple[str, str]]:
    """Every regular, non-hidden file under ``folder``, in path order (a refused one as ``(name, reason)``)."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if not defaults.get("allow_outside") and not _inside(path, folder):
            yield (str(path), f"links outside {folder}; refused (allow_outside permits it)")
            continue
        yield BulkItem(
            name=str(path),
            load=_read_file(path),
            filename=path.name,
            title=path.stem,
            collection=defaults.get("collection"),
            preferences=_default_prefs(defaults.get("collection"), defaults),
            path=path,
        )


def _manifest_item(row: dict[str, Any], base: Path, line: int, defaults: dict[str, Any]) -> BulkItem:
    path, url = row.get("path"), row.get("url")
    if not path and not url:
        raise InputError(f"manifest line {line}: needs 'path' or 'url'")
    urls = row.get("source_urls") or row.get("source_url") or []
    if isinstance(urls, str):
        urls = [u for u in urls.split("|") if u]
    if url and url not in urls:
        urls = [url, *urls]
    local: Path | None = None
    if path:
        given = Path(str(path))
        local = (base / given).resolve()
        if not defaults.get("allow_outside") and (given.is_absolute() or not _inside(local, base)):
            raise InputError(
                f"manifest line {line}: path {str(path)!r} is outside the manifest's folder {base}; "
                "refused (--allow-outside-paths permits it)"
            )
        load, filename = _read_file(local), local.name
        name = str(local)
    else:
        load, filename, name = _fetcher(str(url)), str(url).rsplit("/", 1)[-1] or "item", str(url)
    collection = row.get("collection") or defaults.get("collection")
    return BulkItem(
        name=name,
        load=load,
        filename=filename,
        title=str(row.get("title") or Path(filename).stem),
        creator=str(row.get("creator") or ""),
        source_urls=tuple(str(u) for u in urls),
        collection=collection,
        preferences=row.get("preferences") or _default_prefs(collection, defaults),
        path=local,
    )


def iter_manifest(manifest: Path, **defaults: Any) -> Iterator[BulkItem | tuple[str, str]]:
    """Items of a CSV or JSONL manifest; a malformed line yields ``(where, reason)`` instead of stopping."""
    base = manifest.parent
    if manifest.suffix.lower() == ".csv":
        with open(manifest, newline="", encoding="utf-8") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    yield _manifest_item(dict(row), base, n, defaults)
                except MediaManagerError as exc:
                    yield (f"{manifest}:{n}", str(exc))
        return
    with open(manifest, encoding="utf-8") as fh:
        for n, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
                if not isinstance(row, dict):
                    raise InputError(f"manifest line {n}: expected a JSON object")
                yield _manifest_item(row, base, n, defaults)
            except ValueError as exc:
                yield (f"{manifest}:{n}", f"bad JSON: {exc}")
            except MediaManagerError as exc:
                yield (f"{manifest}:{n}", str(exc))


def iter_feed(data: bytes, origin: str, **defaults: Any) -> Iterator[BulkItem]:
    """Pages listed by a sitemap (``<url><loc>``), an RSS feed (``<item><link>``) or Atom (``<entry><link>``)."""
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:  # defusedxml raises several types for hostile or broken XML
        raise InputError(f"{origin} is not readable XML: {exc}") from None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    entries: list[tuple[str, str]] = []
    for el in root.iter():
        name = local(el.tag)
        if name == "url":
            loc = next((c.text for c in el if local(c.tag) == "loc"), None)
            if loc:
                entries.append((loc.strip(), ""))
        elif name in ("item", "entry"):
            link = None
            title = ""
            for c in el:
                if local(c.tag) == "link":
                    link = c.get("href") or c.text
                elif local(c.tag) == "title":
                    title = (c.text or "").strip()
            if link:
                entries.append((link.strip(), title))
    for link, title in entries:
        yield BulkItem(
            name=link,
            load=_fetcher(link),
            filename=link.rstrip("/").rsplit("/", 1)[-1] or "index.html",
            title=title or link,
            source_urls=(link,),
            collection=defaults.get("collection"),
            preferences=_default_prefs(defaults.get("collection"), defaults),
        )


def iter_source(source: str, **defaults: Any) -> Iterator[BulkItem | tuple[str, str]]:
    """Pick the reader for ``source``: a folder, a .csv/.jsonl manifest, or a sitemap/feed file or URL."""
    if source.startswith(("http://", "https://")):
        yield from iter_feed(_fetch(source, MAX_FEED_BYTES), source, **defaults)
        return
    path = Path(source)
    if path.is_dir():
        yield from iter_folder(path, **defaults)
    elif path.suffix.lower() in (".csv", ".jsonl", ".ndjson"):
        yield from iter_manifest(path, **defaults)
    elif path.is_file():
        if path.stat().st_size > MAX_FEED_BYTES:
            raise MediaTooLargeError(f"{path} is larger than {MAX_FEED_BYTES} bytes")
        yield from iter_feed(path.read_bytes(), str(path), **defaults)
    else:
        raise InputError(f"{source}: not a folder, manifest, feed file or URL")
