"""``X-Robots-Tag`` headers and HTML ``<meta name="robots">``: ``noai``, ``noimageai`` and ``noindex``.

Directives are comma-separated and read case-insensitively. A directive may be
scoped to an agent (``img2dataset: noai``); as in Google's X-Robots-Tag syntax
the scope carries over to the following unscoped directives of the same value
until another scope appears. A scoped directive counts when the scope is the
reader's ``user_agent`` or a known AI agent (then it is a statement about that
agent's use, like a robots.txt group); other scopes are ignored.

Mapping (crosswalk in the architecture note):

* ``noai``      -> deny ``ai-train`` (and so ``genai-train``)
* ``noimageai`` -> deny ``genai-train`` (DeviantArt's "no AI image generation" token)
* ``noindex``, ``none`` -> deny ``search``

HTML ``<meta name="robots">`` and ``<meta name="AGENT">`` (per-agent form) are read the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from html.parser import HTMLParser

from mediamanager.model import Evidence, Purpose, Use
from mediamanager.signals.agents import AIAgent, load_agents

__all__ = ["DIRECTIVES", "html_meta", "parse_html_meta_robots", "parse_x_robots_tag"]

DIRECTIVES: dict[str, tuple[Purpose, ...]] = {
    "noai": (Purpose.AI_TRAIN,),
    "noimageai": (Purpose.GENAI_TRAIN,),
    "noindex": (Purpose.SEARCH,),
    "none": (Purpose.SEARCH,),
}
MAX_VALUE_CHARS = 16 * 1024


# Directives that take a "name: value" argument and so are not agent scopes.
_WITH_ARGUMENT = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})


def _scoped(token: str) -> tuple[str | None, str]:
    name, sep, rest = token.partition(":")
    name = name.strip()
    if sep and name and name.lower() not in _WITH_ARGUMENT and all(c.isalnum() or c in "-_." for c in name):
        return name, rest.strip()
    return None, token


def parse_x_robots_tag(
    values: str | Sequence[str] | None,
    *,
    user_agent: str | None = None,
    agents: Sequence[AIAgent] | None = None,
    source: str = "X-Robots-Tag",
    location: str = "http header",
) -> list[Evidence]:
    """Evidence from one or more ``X-Robots-Tag`` values (each header line separately)."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    known = {a.name.lower() for a in (agents if agents is not None else load_agents())}
    out: list[Evidence] = []
    for value in items:
        if len(value) > MAX_VALUE_CHARS:
            out.append(
                Evidence(
                    source, value[:200], location, error=f"value longer than {MAX_VALUE_CHARS} characters"
                )
            )
            continue
        scope: str | None = None
        for token in value.split(","):
            token = token.strip()
            if not token:
                continue
            named, directive = _scoped(token)
            if named is not None:
                scope = named
            directive = directive.strip().lower()
            purposes = DIRECTIVES.get(directive)
            if not purposes:
                continue
            if scope is not None:
                ours = user_agent is not None and scope.lower() == user_agent.lower()
                if not ours and scope.lower() not in known:
                    continue
            detail = f"scoped to {scope}" if scope else None
            for purpose in purposes:
                out.append(
                    Evidence(source, value[:200], location, purpose=purpose, use=Use.DENY, detail=detail)
                )
    return out


class _MetaCollector(HTMLParser):
    """Collects ``<meta name=... content=...>`` and ``<link rel=...>`` from a document head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.metas: list[tuple[str, str]] = []
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and "name" in a:
            self.metas.append((a["name"].strip().lower(), a.get("content", "")))
        elif tag == "link":
            self.links.append(a)

    handle_startendtag = handle_starttag


MAX_HTML_CHARS = 2 * 1024 * 1024


def html_meta(html: str) -> _MetaCollector:
    """Parse (the first 2 MiB of) an HTML document and collect its meta and link elements."""
    collector = _MetaCollector()
    try:
        collector.feed(html[:MAX_HTML_CHARS])
        collector.close()
    except Exception:  # the stdlib parser is lenient; keep what was collected before any failure
        pass
    return collector


def parse_html_meta_robots(
    html: str,
    *,
    user_agent: str | None = None,
    agents: Sequence[AIAgent] | None = None,
    location: str = "html head",
) -> list[Evidence]:
    """Evidence from ``<meta name="robots">`` and per-agent ``<meta name="GPTBot">`` elements."""
    table = list(agents) if agents is not None else load_agents()
    known = {a.name.lower() for a in table}
    out: list[Evidence] = []
    for name, content in html_meta(html).metas:
        if name == "robots":
            scope = None
        elif name in known or (user_agent is not None and name == user_agent.lower()):
            scope = name
        else:
            continue
        value = content if scope is None else ", ".join(f"{scope}: {d}" for d in content.split(","))
        out.extend(
            parse_x_robots_tag(
                value, user_agent=user_agent, agents=table, source=f"meta {name}", location=location
            )
        )
    return out
