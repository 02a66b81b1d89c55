"""Bulk registration from a folder, a CSV/JSONL manifest, or a sitemap/RSS/Atom feed.

Re-running is idempotent: the registry keeps one claim per owner per sha256 and
answers an existing registration instead of creating a second one. Each item
that cannot be read or registered is reported with its reason; the run goes on.

Manifest columns (CSV header or JSONL keys): ``path`` (relative to the manifest)
or ``url``; optional ``title``, ``creator``, ``source_url`` (``|``-separated in
CSV, a list in JSONL as ``source_urls``), ``collection``, ``preferences``
(compact spec, e.g. ``genai-train=deny``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from mediamanager.errors import InputError, MediaManagerError, MediaTooLargeError

if TYPE_CHECKING:
    from mediamanager.fingerprint import ContentFingerprints

__all__ = [
    "BulkItem",
    "BulkReport",
    "HttpRegistrar",
    "LocalRegistrar",
    "Registrar",
    "fingerprints_only_body",
    "iter_feed",
    "iter_folder",
    "iter_manifest",
    "iter_source",
    "run_bulk",
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


@dataclass
class BulkReport:
    """What a bulk run did: counts, and every failure with its reason."""

    created: int = 0
    existing: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.existing + len(self.failures)


def fingerprints_only_body(
    fp: ContentFingerprints, meta: dict[str, Any], *, preferences: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The ``POST /works`` body that registers a work from locally computed fingerprints only.

    The content itself never leaves the creator's machine; ``meta`` carries title, creator and
    collection, ``extra`` any further work fields (aliases, source URLs).
    """
    body: dict[str, Any] = {**meta, **fp.to_dict(), **extra}
    if preferences:
        body["preferences"] = {"spec": preferences}
    return body


class Registrar(Protocol):
    """Registers one item; returns ``"created"`` or ``"existing"``, raises with a reason otherwise."""

    def register(self, item: BulkItem) -> str: ...


def _read_file(path: Path) -> Callable[[], bytes]:
    def load() -> bytes:
        size = path.stat().st_size
        if size > MAX_ITEM_BYTES:
            raise MediaTooLargeError(f"{path} is {size} bytes; the limit is {MAX_ITEM_BYTES}")
        return path.read_bytes()

    return load


def _fetch(url: str, limit: int = MAX_ITEM_BYTES, timeout: float = 30.0) -> bytes:
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True, trust_env=False) as client,
            client.stream("GET", url) as resp,
        ):
            if resp.status_code != 200:
                raise InputError(f"{url}: HTTP {resp.status_code}")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body.extend(chunk)
                if len(body) > limit:
                    raise MediaTooLargeError(f"{url} is larger than {limit} bytes")
            return bytes(body)
    except httpx.HTTPError as exc:
        raise InputError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None


def _fetcher(url: str) -> Callable[[], bytes]:
    def load() -> bytes:
        return _fetch(url)

    return load


def iter_folder(folder: Path, **defaults: Any) -> Iterator[BulkItem]:
    """Every regular, non-hidden file under ``folder``, in path order."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        yield BulkItem(
            name=str(path),
            load=_read_file(path),
            filename=path.name,
            title=path.stem,
            collection=defaults.get("collection"),
            preferences=defaults.get("default_prefs"),
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
    if path:
        p = (base / str(path)).resolve()
        load, filename = _read_file(p), p.name
        name = str(p)
    else:
        load, filename, name = _fetcher(str(url)), str(url).rsplit("/", 1)[-1] or "item", str(url)
    return BulkItem(
        name=name,
        load=load,
        filename=filename,
        title=str(row.get("title") or Path(filename).stem),
        creator=str(row.get("creator") or ""),
        source_urls=tuple(str(u) for u in urls),
        collection=row.get("collection") or defaults.get("collection"),
        preferences=row.get("preferences") or defaults.get("default_prefs"),
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
            preferences=defaults.get("default_prefs"),
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


class HttpRegistrar:
    """Registers items through the registry API (``if_exists=return`` makes it idempotent)."""

    def __init__(self, http: httpx.Client, *, fingerprints_only: bool = True) -> None:
        self.http = http
        self.fingerprints_only = fingerprints_only

    def register(self, item: BulkItem) -> str:
        content = item.load()
        meta: dict[str, Any] = {"title": item.title, "creator": item.creator, "collection": item.collection}
        if self.fingerprints_only:
            from mediamanager.fingerprint import fingerprint_content

            fp = fingerprint_content(content, filename=item.filename)
            body = fingerprints_only_body(
                fp, meta, preferences=item.preferences, source_urls=list(item.source_urls)
            )
            resp = self.http.post("/works", params={"if_exists": "return"}, json=body)
        else:
            data = {k: v for k, v in meta.items() if v is not None}
            data.update(source_urls=list(item.source_urls), if_exists="return")
            if item.preferences:
                data["preferences"] = item.preferences
            resp = self.http.post("/works/upload", files={"file": (item.filename, content)}, data=data)
        if resp.status_code not in (200, 201):
            try:
                detail = resp.json().get("detail")
            except ValueError:
                detail = resp.text[:300]
            raise InputError(f"HTTP {resp.status_code}: {detail}")
        return "created" if resp.status_code == 201 else "existing"


class LocalRegistrar:
    """Registers items in process through a :class:`~mediamanager.registry.works.WorkService` (content discarded)."""

    def __init__(self, works: Any, owner: Any) -> None:
        self.works = works
        self.owner = owner

    def register(self, item: BulkItem) -> str:
        from mediamanager.model import parse_preference_spec

        prefs = parse_preference_spec(item.preferences) if item.preferences else None
        reg = self.works.register_content(
            self.owner,
            item.load(),
            filename=item.filename,
            title=item.title,
            creator=item.creator,
            source_urls=item.source_urls,
            collection=item.collection,
            preferences=prefs,
            if_exists="return",
        )
        return "created" if reg.created else "existing"


def run_bulk(
    items: Iterator[BulkItem | tuple[str, str]], registrar: Registrar, *, progress: bool = False
) -> BulkReport:
    """Register every item; a failure is recorded with its reason and the run continues."""
    report = BulkReport()
    try:
        todo = list(items)
    except MediaManagerError as exc:
        report.failures.append(("source", str(exc)))
        return report

    def one(item: BulkItem | tuple[str, str]) -> None:
        if isinstance(item, tuple):
            report.failures.append(item)
            return
        try:
            outcome = registrar.register(item)
        except (MediaManagerError, OSError, httpx.HTTPError) as exc:
            report.failures.append((item.name, str(exc)))
            return
        if outcome == "created":
            report.created += 1
        else:
            report.existing += 1

    if not progress:
        for item in todo:
            one(item)
        return report
    from rich.progress import Progress

    with Progress(transient=False) as bar:
        task = bar.add_task("registering", total=len(todo))
        for item in todo:
            one(item)
            bar.advance(task)
    return report
