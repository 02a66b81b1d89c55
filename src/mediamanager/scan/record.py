"""The one record type every scan step reads and writes.

A reader turns one input item (a file, a JSONL line, a Parquet row, a
WebDataset sample, a Hugging Face row) into a :class:`Record`: its content and
whatever crawl evidence the dataset captured with it. Steps then fill in the
derived fields (fingerprints, matches, preferences, decision) in place; the
executor never needs to know which step set what.

Records cross process boundaries (worker processes, Ray), so :meth:`Record.to_row`
and :meth:`Record.from_row` give a flat, Arrow-friendly form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mediamanager.lookup import WorkMatch
from mediamanager.model import Decision, MediaType, Preferences
from mediamanager.signals.capture import Capture

__all__ = ["SOURCE_CATEGORIES", "Record"]

# The data card's source categories; anything else is reported as given.
SOURCE_CATEGORIES = ("public-web", "licensed", "user-contributed-opt-in", "unspecified")


@dataclass
class Record:
    """One input item and what the scan learned about it.

    ``shard`` names the input shard (a file, or ``""`` for a folder of files)
    and ``offset`` is the item's position in it, so ``(shard, offset)`` is
    unique and ordered. ``text`` or ``content`` holds the item itself;
    ``error`` is set by a reader or step that could not handle the item (the
    item then becomes an ``error`` decision, never a silent keep).
    """

    id: str
    shard: str
    offset: int
    text: str | None = None
    content: bytes | None = None
    filename: str | None = None
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    html_head: str | None = None
    robots_txt: str | None = None
    ai_txt: str | None = None
    tdmrep_json: str | None = None
    source_category: str = "unspecified"
    media_type: MediaType | None = None
    error: str | None = None
    # Derived by the steps.
    sha256: str | None = None
    iscc: str | None = None
    fingerprints: tuple[Any, ...] = ()
    matches: tuple[WorkMatch, ...] = ()
    signals: Preferences | None = None
    decision: Decision | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def payload(self) -> bytes | None:
        """The item's bytes: ``content``, or ``text`` encoded as UTF-8."""
        if self.content is not None:
            return self.content
        if self.text is not None:
            return self.text.encode("utf-8")
        return None

    def capture(self) -> Capture:
        """The evidence captured with this record, in the shape signal readers take."""
        return Capture(
            url=self.url,
            headers=self.headers,
            html_head=self.html_head,
            robots_txt=self.robots_txt,
            ai_txt=self.ai_txt,
            tdmrep_json=self.tdmrep_json,
            content=self.content,
            filename=self.filename,
        )

    def to_row(self) -> dict[str, Any]:
        """The input part of the record as a flat row (derived fields are not carried)."""
        return {
            "id": self.id,
            "shard": self.shard,
            "offset": self.offset,
            "text": self.text,
            "content": self.content,
            "filename": self.filename,
            "url": self.url,
            "headers": json.dumps(list(self.headers)) if self.headers else None,
            "html_head": self.html_head,
            "robots_txt": self.robots_txt,
            "ai_txt": self.ai_txt,
            "tdmrep_json": self.tdmrep_json,
            "source_category": self.source_category,
            "media_type": None if self.media_type is None else self.media_type.value,
            "error": self.error,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Record:
        headers = row.get("headers")
        return cls(
            id=str(row["id"]),
            shard=str(row["shard"]),
            offset=int(row["offset"]),
            text=row.get("text"),
            content=row.get("content"),
            filename=row.get("filename"),
            url=row.get("url"),
            headers=tuple((str(k), str(v)) for k, v in json.loads(headers)) if headers else (),
            html_head=row.get("html_head"),
            robots_txt=row.get("robots_txt"),
            ai_txt=row.get("ai_txt"),
            tdmrep_json=row.get("tdmrep_json"),
            source_category=row.get("source_category") or "unspecified",
            media_type=MediaType(row["media_type"]) if row.get("media_type") else None,
            error=row.get("error"),
        )
