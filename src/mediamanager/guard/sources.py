"""Where the guards' tables come from: a registry (snapshot or server) and the caller's files.

* :func:`open_registry` - a snapshot directory or an ``http(s)://`` registry, as the scanner
  opens it (the :class:`~mediamanager.lookup.RegistryClient` protocol);
* :func:`index_texts` - the verbatim index of texts the caller holds (the registry's kept
  content or a local file; a snapshot never holds texts). A record that names its work and
  terms is indexed as given; otherwise the text is looked up in the registry and indexed under
  the best-matching work with its owner's effective terms. A text the registry does not know
  is not indexed (it is nobody's registered work) and is counted in the result;
* :func:`names_from_owners` - the names table from a snapshot's ``owners.jsonl`` (display
  names) joined with a styles file (aliases, preference, neutral description per owner).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mediamanager.errors import InputError, MediaManagerError
from mediamanager.fingerprint.text import text_fingerprints
from mediamanager.guard.index import VerbatimIndex
from mediamanager.guard.names import NamesTable
from mediamanager.lookup import LookupQuery, RegistryClient
from mediamanager.model import MediaType, parse_preference_spec

__all__ = ["index_texts", "names_from_owners", "open_registry", "read_jsonl"]

# A registered text counts as "this text" only when its passages are mostly the same.
MIN_SCORE = 0.8


def open_registry(spec: str) -> RegistryClient:
    from mediamanager.scan.clients import open_registry_client

    return open_registry_client(spec)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    out: list[dict[str, Any]] = []
    try:
        with p.open(encoding="utf-8") as fh:
            for no, line in enumerate(fh, 1):
                if line.strip():
                    rec = json.loads(line)
                    if not isinstance(rec, dict):
                        raise ValueError(f"line {no} is not an object")
                    out.append(rec)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {p}: {exc}") from None
    return out


def _work_of(rec: Mapping[str, Any]) -> dict[str, Any]:
    prefs = rec.get("preferences")
    if isinstance(prefs, str):
        prefs = parse_preference_spec(prefs, source="guard-index").to_dict(effective=True)
    elif prefs is not None and not isinstance(prefs, Mapping):
        raise InputError(f"preferences of {rec.get('work_id')!r} must be a spec string or an object")
    keep = ("work_id", "title", "owner_id", "owner_name", "licence")
    work = {k: rec[k] for k in keep if rec.get(k) is not None}
    work["preferences"] = dict(prefs or {})
    return work


def index_texts(
    records: Iterable[Mapping[str, Any]], client: RegistryClient | None = None, *, batch: int = 256
) -> tuple[VerbatimIndex, int]:
    """The verbatim index of ``records`` (``{"text", ...}``) and how many were not indexed."""
    index = VerbatimIndex()
    skipped = 0
    pending: list[Mapping[str, Any]] = []

    def flush() -> None:
        nonlocal skipped
        if not pending:
            return
        if client is None:
            raise InputError("records without work_id and preferences need a registry to look them up")
        queries = [
            LookupQuery(str(i), None, MediaType.TEXT, tuple(text_fingerprints(r["text"])))
            for i, r in enumerate(pending)
        ]
        for rec, res in zip(pending, client.lookup(queries), strict=True):
            best = next((m for m in res.matches if m.score >= MIN_SCORE), None)
            if best is None:
                skipped += 1
                continue
            work = {
                "work_id": best.work_id,
                "title": best.title,
                "owner_id": best.owner_id,
                "owner_name": best.owner_name,
                "preferences": best.preferences.to_dict(effective=True),
            }
            index.add_text(rec["text"], work)
        pending.clear()

    for rec in records:
        text = rec.get("text")
        if not isinstance(text, str):
            raise InputError("every record needs a string 'text'")
        if rec.get("work_id") and rec.get("preferences") is not None:
            index.add_text(text, _work_of(rec))
        else:
            pending.append(rec)
            if len(pending) >= batch:
                flush()
    flush()
    return index, skipped


def names_from_owners(
    owners: Iterable[Mapping[str, Any]], styles: Mapping[str, Mapping[str, Any]] | None = None
) -> NamesTable:
    """Owners (``id``, ``display_name``) with their style statements keyed by owner id."""
    styles = styles or {}
    records = []
    try:
        for o in owners:
            extra = dict(styles.get(str(o["id"])) or {})
            records.append({"owner_id": str(o["id"]), "name": o.get("display_name", ""), **extra})
    except (KeyError, TypeError) as exc:
        raise InputError(f"an owner record needs an id: {exc}") from None
    return NamesTable.from_records(r for r in records if r.get("name"))


def load_snapshot_names(snapshot: str | Path, styles_path: str | Path | None = None) -> NamesTable:
    """The names table of a snapshot directory's ``owners.jsonl`` plus an optional styles JSON file."""
    styles: dict[str, Any] = {}
    if styles_path is not None:
        try:
            styles = json.loads(Path(styles_path).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read styles file {styles_path}: {exc}") from None
        if not isinstance(styles, dict):
            raise InputError("a styles file is a JSON object keyed by owner id")
    try:
        return names_from_owners(read_jsonl(Path(snapshot) / "owners.jsonl"), styles)
    except MediaManagerError:
        raise
