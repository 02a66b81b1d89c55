"""The head of a fetched HTML page, found with an HTML parser rather than a search for ``</head>``.

HTML5 lets a page omit ``<head>`` and ``</head>``: the head then ends where the
first element that cannot be in a head starts (``<p>``, ``<div>``, text...). A
``<meta name="robots" content="noai">`` in such a page binds it all the same, so
the fetcher keeps everything before the body starts. Only a bounded prefix of a
page is read; a head that has not ended within it is reported, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["HeadResult", "head_of_page"]

# Elements a head may hold (HTML Living Standard, "metadata content" plus the document wrappers).
_HEAD_ELEMENTS = frozenset(
    {"html", "head", "meta", "link", "title", "style", "script", "base", "noscript", "template"}
)
# Elements whose text content is still part of the head.
_TEXT_IN_HEAD = frozenset({"title", "style", "script", "noscript", "template"})


@dataclass(frozen=True)
class HeadResult:
    """The head text, and an error when the head could not be read whole."""

    head: str | None
    error: str | None = None


class _BodyStarts(Exception):
    """Raised inside the parser at the first thing that starts the body."""


class _HeadFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open_text: list[str] = []
        self.end: tuple[int, int] | None = None
        self.closed = False  # the head ended with ``</head>``, which is kept

    def _stop(self, *, closed: bool = False) -> None:
        self.end = self.getpos()
        self.closed = closed
        raise _BodyStarts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HEAD_ELEMENTS:
            self._stop()
        if tag in _TEXT_IN_HEAD:
            self.open_text.append(tag)
        if tag == "title":  # raw text up to </title> (RCDATA), as script and style are for the parser
            self.set_cdata_mode(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._stop(closed=True)
        if self.open_text and self.open_text[-1] == tag:
            self.open_text.pop()

    def handle_data(self, data: str) -> None:
        if not self.open_text and data.strip():
            self._stop()


def _offset(text: str, pos: tuple[int, int]) -> int:
    line, col = pos
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + col


def head_of_page(body: bytes, *, truncated: bool, limit: int) -> HeadResult:
    """The head of an HTML page from its first bytes.

    ``truncated`` says the page was longer than the ``limit`` bytes given. The
    head ends at ``</head>``, at ``<body>``, or at the first element or text a head
    cannot hold. A page whose head is still open at the end of a truncated prefix
    gives the prefix with an error: its remaining meta tags are unknown.
    """
    text = body.decode("utf-8", "replace")
    finder = _HeadFinder()
    try:
        finder.feed(text)
        if not truncated:  # a construct cut off by the limit must not read as text that starts the body
            finder.close()
    except _BodyStarts:
        pass
    if finder.end is not None:
        end = _offset(text, finder.end)
        if finder.closed:
            end = text.index(">", end) + 1
        return HeadResult(text[:end])
    if truncated:
        return HeadResult(
            text,
            error=f"the HTML head does not end within the first {limit} bytes; the rest of it was not read",
        )
    return HeadResult(text)
