"""What a reader of signals is given: the evidence captured for one record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mediamanager.model import utcnow

__all__ = ["Capture", "normalise_headers"]


def normalise_headers(
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None,
) -> tuple[tuple[str, str], ...]:
    """Headers as ``(lower-case name, value)`` pairs, keeping repeats and order."""
    if headers is None:
        return ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(k).strip().lower(), str(v)) for k, v in items)


@dataclass(frozen=True)
class Capture:
    """Everything observed about one record, as captured by a crawler or a dataset.

    Every field is optional: a missing field is recorded as *unknown*, never as
    permission. ``content`` is the item's own bytes (for embedded C2PA and
    XMP signals); the text fields are the documents fetched from the item's site.
    ``rsl_xml`` maps a licence URL to the RSL document fetched from it.
    """

    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    html_head: str | None = None
    robots_txt: str | bytes | None = None
    ai_txt: str | bytes | None = None
    tdmrep_json: str | bytes | None = None
    rsl_xml: Mapping[str, str | bytes] = field(default_factory=dict)
    content: bytes | None = None
    filename: str | None = None
    fetched_at: datetime = field(default_factory=utcnow)

    def header(self, name: str) -> list[str]:
        """All values of a header (case-insensitive), in order."""
        name = name.lower()
        return [v for k, v in self.headers if k == name]
