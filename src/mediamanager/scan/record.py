"""The one record type every scan step reads and writes.

A reader turns one input item (a file, a JSONL line, a Parquet row, a
WebDataset sample, a Hugging Face row) into a :class:`Record`: its content and
whatever crawl evidence the dataset captured with it. Steps then fill in the
derived fields (fingerprints, matches, preferences, decision) in place; the
executor never needs to know which step set what.

Records cross process boundaries (worker processes, Ray actors) pickled; only
the input fields are set at that point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mediamanager.lookup import WorkMatch
from mediamanager.model import Decision, MediaType, Preferences, utcnow
from mediamanager.signals.capture import Capture
from mediamanager.signals.combine import HTML_HEAD_MAX_BYTES, html_head_of

_STARTS_WITH_TAG = re.compile(r"\s*<")

__all__ = ["Record"]


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

    def effective_html_head(self) -> str | None:
        """The captured HTML head, else the head of the record's own text when that is an HTML page.

        An HTML page kept as text is bound by its own <head> meta tags (noai, tdm-reservation).
        """
        if self.html_head is not None or self.text is None or not _STARTS_WITH_TAG.match(self.text):
            return self.html_head
        return html_head_of(self.text[:HTML_HEAD_MAX_BYTES].encode("utf-8", "replace"), self.filename)

    def capture(self, *, fetched_at: datetime | None = None, html_head: str | None = None) -> Capture:
        """The evidence captured with this record, in the shape signal readers take.

        ``html_head`` passes a head the caller already derived with :meth:`effective_html_head`.
        """
        return Capture(
            url=self.url,
            headers=self.headers,
            html_head=html_head if html_head is not None else self.effective_html_head(),
            robots_txt=self.robots_txt,
            ai_txt=self.ai_txt,
            tdmrep_json=self.tdmrep_json,
            content=self.content,
            filename=self.filename,
            fetched_at=fetched_at if fetched_at is not None else utcnow(),
        )
