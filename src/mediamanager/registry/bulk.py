"""Bulk registration from a folder, a CSV/JSONL manifest, or a sitemap/RSS/Atom feed.

Re-running is idempotent: the registry keeps one claim per owner per sha256 and
answers an existing registration instead of creating a second one, and a resume state
(:mod:`mediamanager.registry.bulk_state`) lets a re-run skip unchanged local files without
reading or fingerprinting them. Each item that cannot be read or registered is reported with
its reason; the run goes on.

Default preferences given with a collection (``--collection C --prefs P``) become the
collection's rule, stated once, not a copy on every work: a later ``prefs set --collection C``
then changes them all. Items a manifest puts in another collection still get ``P`` as their own.

Manifest paths must stay inside the manifest's folder (no absolute paths, no ``..`` or symlink
escaping it) unless ``allow_outside`` is given, so a received manifest cannot make ``--upload``
send arbitrary local files; folder mode skips symlinks leading out of the folder the same way.
URLs are fetched behind the address guard (:mod:`mediamanager.registry.bulk_fetch`).

Manifest columns (CSV header or JSONL keys): ``path`` (relative to the manifest)
or ``url``; optional ``title``, ``creator``, ``source_url`` (``|``-separated in
CSV, a list in JSONL as ``source_urls``), ``collection``, ``preferences``
(compact spec, e.g. ``genai-train=deny``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from mediamanager.errors import MediaManagerError
from mediamanager.registry.bulk_sources import (
    BulkItem,
    iter_feed,
    iter_folder,
    iter_manifest,
    iter_source,
)

if TYPE_CHECKING:
    from mediamanager.client import RegistryApi
    from mediamanager.fingerprint import ContentFingerprints
    from mediamanager.registry.bulk_state import BulkState

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
    "set_works_preferences",
]


@dataclass
class BulkReport:
    """What a bulk run did: counts, and every failure with its reason."""

    created: int = 0
    existing: int = 0
    skipped: int = 0  # unchanged since a run recorded in the resume state
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.existing + self.skipped + len(self.failures)

    def summary(self) -> str:
        return (
            f"{self.total} items: {self.created} created, {self.existing} already registered, "
            f"{self.skipped} unchanged (skipped), {len(self.failures)} failed"
        )


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

    def set_collection_preferences(self, collection: str, spec: str) -> None: ...


class HttpRegistrar:
    """Registers items through the registry API (``if_exists=return`` makes it idempotent)."""

    def __init__(self, api: RegistryApi, *, fingerprints_only: bool = True) -> None:
        self.api = api
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
            reg = self.api.register_fingerprints(body, if_exists="return")
        else:
            fields = {**meta, "source_urls": list(item.source_urls), "preferences": item.preferences}
            reg = self.api.upload_work(item.filename, content, fields=fields, if_exists="return")
        return "created" if reg.created else "existing"

    def set_collection_preferences(self, collection: str, spec: str) -> None:
        self.api.set_collection_preferences(collection, spec)


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

    def set_collection_preferences(self, collection: str, spec: str) -> None:
        from mediamanager.model import parse_preference_spec
        from mediamanager.registry.preferences import PreferenceService

        prefs = parse_preference_spec(spec, location=f"collection:{collection}")
        PreferenceService(self.works.uow).set_preferences(self.owner, "collection", collection, prefs)


def run_bulk(
    items: Iterator[BulkItem | tuple[str, str]],
    registrar: Registrar,
    *,
    progress: bool = False,
    state: BulkState | None = None,
    collection_rule: tuple[str, str] | None = None,
) -> BulkReport:
    """Register every item; a failure is recorded with its reason and the run continues.

    ``collection_rule`` (collection, spec) is stated first; if the registry refuses it nothing is
    registered (the works would otherwise carry no preferences). ``state`` skips files an earlier
    run registered unchanged and records each file registered now.
    """
    report = BulkReport()
    if collection_rule is not None:
        try:
            registrar.set_collection_preferences(*collection_rule)
        except MediaManagerError as exc:
            report.failures.append((f"collection {collection_rule[0]}", str(exc)))
            return report
    try:
        todo = list(items)
    except MediaManagerError as exc:
        report.failures.append(("source", str(exc)))
        return report

    def one(item: BulkItem | tuple[str, str]) -> None:
        if isinstance(item, tuple):
            report.failures.append(item)
            return
        stamp = state.stamp(item) if state is not None else None
        if state is not None and state.unchanged(stamp):
            report.skipped += 1
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
        if state is not None:
            state.record(stamp, outcome)

    try:
        if not progress:
            for item in todo:
                one(item)
            return report
        from mediamanager.progress import ProgressLine

        with ProgressLine("registering", total=len(todo), unit="files") as bar:
            for item in todo:
                one(item)
                bar.advance(
                    note=f"{report.created} new, {report.existing} known, "
                    f"{report.skipped} unchanged, {len(report.failures)} failed"
                )
    finally:
        if state is not None:
            state.close()
    return report


def set_works_preferences(api: RegistryApi, ids_file: Path, spec: str) -> BulkReport:
    """State ``spec`` on every work listed in ``ids_file`` (one id a line; blank and ``#`` lines skipped).

    The spec is checked once before anything is sent; a work that cannot be updated (not found,
    not yours) is reported with its reason and the others go on. ``created`` counts the updated works.
    """
    from mediamanager.model import parse_preference_spec

    report = BulkReport()
    try:
        parse_preference_spec(spec)
        lines = ids_file.read_text(encoding="utf-8").splitlines()
    except (MediaManagerError, OSError, UnicodeDecodeError) as exc:
        report.failures.append((str(ids_file), str(exc)))
        return report
    for line in lines:
        work_id = line.split("#", 1)[0].strip()
        if not work_id:
            continue
        try:
            api.set_work_preferences(work_id, spec)
        except MediaManagerError as exc:
            report.failures.append((work_id, str(exc)))
            continue
        report.created += 1
    return report
