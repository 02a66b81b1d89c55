"""The ``work_urls`` index: which works name a source URL, by the sha256 of its normal form.

Derived from ``works.source_urls`` (which the work's audit digest covers) and rewritten in the
same transaction as every change to it; URLs that are not absolute http(s) URLs are kept on the
work but cannot be looked up, so they are not indexed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from mediamanager.registry.store.tables import work_urls
from mediamanager.urlnorm import url_hash

__all__ = ["hashes_of", "replace_work_urls", "works_with_urls"]


def hashes_of(urls: Iterable[str] | str | None) -> set[str]:
    """The url hashes of a work's source URLs (a list, or the column's JSON text); bad URLs skipped."""
    if urls is None or urls == "":
        return set()
    items = json.loads(urls) if isinstance(urls, str) else urls
    out = set()
    for u in items:
        try:
            out.add(url_hash(str(u)))
        except ValueError:
            continue  # not an http(s) URL: stored on the work, not findable by URL
    return out


def replace_work_urls(conn: sa.Connection, work_id: str, urls: Iterable[str] | str | None) -> None:
    """Make the index rows of ``work_id`` those of ``urls``."""
    conn.execute(sa.delete(work_urls).where(work_urls.c.work_id == work_id))
    hashes = sorted(hashes_of(urls))
    if hashes:
        conn.execute(sa.insert(work_urls), [{"work_id": work_id, "url_hash": h} for h in hashes])


def works_with_urls(conn: sa.Connection, hashes: Sequence[str]) -> list[tuple[str, str]]:
    """``(url_hash, work_id)`` for every indexed work naming one of ``hashes``."""
    from mediamanager.registry.uow import select_in  # uow -> audit -> audit_state imports this module

    rows = select_in(conn, "SELECT url_hash, work_id FROM work_urls WHERE url_hash", sorted(set(hashes)))
    return [(r.url_hash, r.work_id) for r in rows]
