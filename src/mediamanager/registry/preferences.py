"""Preferences at the work, collection and domain levels, and the effective preferences of works."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from mediamanager.errors import InputError, NotFoundError
from mediamanager.model import Evidence, Preferences, Rule
from mediamanager.registry.records import Owner, PreferenceRecord, clean_text
from mediamanager.registry.resolve import (
    Level,
    domain_pattern_matches,
    normalise_domain_pattern,
    resolve_preferences,
    specificity,
)
from mediamanager.registry.store.tables import preferences, works
from mediamanager.registry.uow import Tx, UnitOfWork, new_id, require_own_work, select_in

__all__ = ["SCOPES", "PreferenceService", "effective_for_rows", "pref_record", "put_preferences"]

SCOPES = ("work", "collection", "domain")


class PreferenceService:
    """State, list and withdraw preferences; read a work's effective preferences."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def set_preferences(self, owner: Owner, scope: str, target: str, prefs: Preferences) -> PreferenceRecord:
        """State preferences for one of the owner's works, a collection, or a host/path pattern."""
        scope, target = _check_target(scope, target)
        with self.uow.write(owner.id) as tx:
            if scope == "work":
                require_own_work(tx.conn, owner.id, target)
            return put_preferences(tx, owner.id, scope, target, prefs, self.uow.now())

    def delete_preferences(self, owner: Owner, scope: str, target: str) -> None:
        scope, target = _check_target(scope, target)
        with self.uow.write(owner.id) as tx:
            row = tx.conn.execute(
                sa.select(preferences.c.id).where(
                    preferences.c.owner_id == owner.id,
                    preferences.c.scope == scope,
                    preferences.c.target == target,
                )
            ).first()
            if row is None:
                raise NotFoundError(f"no {scope} preferences for {target!r}")
            tx.conn.execute(sa.delete(preferences).where(preferences.c.id == row.id))
            tx.log("preferences.delete", "preferences", row.id, owner_id=owner.id, scope=scope, target=target)

    def list_preferences(self, owner: Owner) -> list[PreferenceRecord]:
        with self.uow.read() as conn:
            rows = conn.execute(
                sa.select(preferences)
                .where(preferences.c.owner_id == owner.id)
                .order_by(preferences.c.scope, preferences.c.target)
            ).all()
        return [pref_record(r) for r in rows]

    def work_preferences(self, owner: Owner, work_id: str) -> Preferences:
        """The effective preferences of one of the owner's works, with evidence naming the deciding level."""
        with self.uow.read() as conn:
            require_own_work(conn, owner.id, work_id)
            rows = conn.execute(
                sa.select(works.c.id, works.c.owner_id, works.c.collection, works.c.source_urls).where(
                    works.c.id == work_id
                )
            ).all()
            return effective_for_rows(conn, rows)[work_id]


def _check_target(scope: str, target: str) -> tuple[str, str]:
    if scope not in SCOPES:
        raise InputError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if scope == "domain":
        return scope, normalise_domain_pattern(target)
    target = clean_text(target, scope, 200)
    if not target:
        raise InputError(f"{scope} must not be empty")
    return scope, target


def put_preferences(
    tx: Tx, owner_id: str, scope: str, target: str, prefs: Preferences, now: Any
) -> PreferenceRecord:
    """Insert or replace the owner's preferences at one level, inside the caller's write transaction."""
    doc = prefs.to_dict()
    row = tx.conn.execute(
        sa.select(preferences.c.id).where(
            preferences.c.owner_id == owner_id,
            preferences.c.scope == scope,
            preferences.c.target == target,
        )
    ).first()
    pref_id = row.id if row is not None else new_id()
    if row is None:
        tx.conn.execute(
            sa.insert(preferences).values(
                id=pref_id,
                owner_id=owner_id,
                scope=scope,
                target=target,
                document=json.dumps(doc),
                updated_at=now,
            )
        )
    else:
        tx.conn.execute(
            sa.update(preferences)
            .where(preferences.c.id == pref_id)
            .values(document=json.dumps(doc), updated_at=now)
        )
    tx.log(
        "preferences.set",
        "preferences",
        pref_id,
        owner_id=owner_id,
        scope=scope,
        target=target,
        rules=prefs.simple(),
    )
    return PreferenceRecord(pref_id, owner_id, scope, target, prefs, now)


def pref_record(r: Any) -> PreferenceRecord:
    return PreferenceRecord(r.id, r.owner_id, r.scope, r.target, _prefs(r.document), r.updated_at)


@lru_cache(maxsize=65536)
def _prefs(document: str) -> Preferences:
    """A stored preference document, parsed once (documents are immutable text; an update is a new text)."""
    return Preferences.from_dict(json.loads(document))


@lru_cache(maxsize=65536)
def _resolved(levels: tuple[tuple[str, str, str], ...], public: bool) -> Preferences:
    """Effective preferences for ``(scope, target, document)`` levels, most specific first (memoised)."""
    prefs = resolve_preferences([Level(scope, target, _prefs(doc)) for scope, target, doc in levels])
    return _redacted(prefs) if public else prefs


def _redacted(prefs: Preferences) -> Preferences:
    """The public form of effective preferences: evidence names the level, never its target.

    A collection's name, a domain pattern (derived from source URLs) and a work id stay with the
    owner: the location becomes ``work``, ``collection`` or ``domain``. The time stated is kept
    to the day, so works given the same preferences on one day (a bulk registration) share one
    public document, and one row in a snapshot's preferences.arrow, instead of one per work.
    """

    def public(e: Evidence) -> Evidence:
        day = e.observed_at.replace(hour=0, minute=0, second=0, microsecond=0)
        return replace(e, location=e.location.split(":", 1)[0], observed_at=day)

    rules = {
        purpose: Rule(rule.use, rule.conditions, tuple(public(e) for e in rule.evidence))
        for purpose, rule in prefs.rules.items()
    }
    return Preferences(rules, tuple(public(e) for e in prefs.errors))


def effective_for_rows(
    conn: sa.Connection, rows: Sequence[Any], *, public: bool = False
) -> dict[str, Preferences]:
    """Effective preferences for work rows (``id, owner_id, collection, source_urls``).

    ``public`` (anonymous lookups, snapshots) gives the redacted form (see :func:`_redacted`); the
    owner's own view keeps every level's target. Works whose levels are the same documents share
    one resolved (cached) Preferences object.
    """
    if not rows:
        return {}
    work_level: dict[str, tuple[str, str, str]] = {}
    for target, document in select_in(
        conn,
        "SELECT target, document FROM preferences WHERE scope = 'work' AND target",
        [r.id for r in rows],
    ):
        work_level[target] = ("work", target, document)
    collection_level: dict[tuple[str, str], tuple[str, str, str]] = {}
    with_collections = sorted({r.owner_id for r in rows if r.collection})
    for owner_id, target, document in select_in(
        conn,
        "SELECT owner_id, target, document FROM preferences WHERE scope = 'collection' AND owner_id",
        with_collections,
    ):
        collection_level[(owner_id, target)] = ("collection", target, document)
    domain_level: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    with_urls = sorted({r.owner_id for r in rows if r.source_urls not in ("[]", "", None)})
    for owner_id, target, document in select_in(
        conn,
        "SELECT owner_id, target, document FROM preferences WHERE scope = 'domain' AND owner_id",
        with_urls,
    ):
        domain_level[owner_id].append(("domain", target, document))
    out: dict[str, Preferences] = {}
    for r in rows:
        key: list[tuple[str, str, str]] = []
        if r.id in work_level:
            key.append(work_level[r.id])
        if r.collection and (r.owner_id, r.collection) in collection_level:
            key.append(collection_level[(r.owner_id, r.collection)])
        domains = domain_level.get(r.owner_id)
        if domains:
            urls = json.loads(r.source_urls) if r.source_urls else []
            matching = [d for d in domains if any(domain_pattern_matches(d[1], u) for u in urls)]
            key.extend(sorted(matching, key=lambda d: specificity(d[1]), reverse=True))
        out[r.id] = _resolved(tuple(key), public)
    return out
