"""Read every signal captured for one record and combine them into Preferences.

:func:`collect_signals` returns the full evidence list; :func:`read_signals` combines
it per purpose with :func:`mediamanager.model.combine_rules` (deny > allow-if >
allow > unknown). Parse failures become error entries in ``Preferences.errors``
and never count as allow. Purpose nesting is left to ``Preferences.effective``.

Sources read, in this order: robots.txt (AI agent groups, Content-Usage,
Content-Signal, ``License:``), ai.txt, tdmrep.json, response headers
(``Content-Usage``, ``Content-Signal``, ``X-Robots-Tag``, ``tdm-reservation``/``tdm-policy``,
``Link rel=license``), the HTML head (meta robots and per-agent meta, TDMRep meta,
``<link rel=license>``), captured RSL documents, and the content bytes (TDMRep in
EPUB/XMP here; C2PA and IPTC/XMP via :mod:`mediamanager.signals.embedded`).
Within TDMRep the spec's precedence applies first (:func:`tdmrep.apply_precedence`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import urlsplit

from mediamanager.errors import MissingExtraError
from mediamanager.model import Evidence, Preferences, Purpose, Rule, combine_rules
from mediamanager.signals.capture import Capture

__all__ = ["collect_signals", "preferences_from", "read_signals"]


def preferences_from(evidence: Iterable[Evidence]) -> Preferences:
    """Combine evidence per purpose; error entries go to ``errors``.

    Evidence about no purpose that is not an error (a note) is left out of the
    result; :func:`collect_signals` still returns it.
    """
    by_purpose: dict[Purpose, list[Evidence]] = {}
    errors: list[Evidence] = []
    for e in evidence:
        if e.error is not None:
            errors.append(e)
        elif e.purpose is not None:
            by_purpose.setdefault(e.purpose, []).append(e)
    rules: dict[Purpose, Rule] = {p: combine_rules(ev) for p, ev in by_purpose.items()}
    return Preferences(rules, tuple(errors))


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def collect_signals(capture: Capture, *, user_agent: str | None = None) -> list[Evidence]:
    """Every piece of evidence in ``capture``, in reading order (see the module docstring)."""
    from mediamanager.signals import aipref, aitxt, content_signal, rsl, tdmrep, xrobots
    from mediamanager.signals.agents import load_agents
    from mediamanager.signals.robots import parse_robots_txt

    agents = load_agents()
    url = capture.url
    header_at = f"http header of {url}" if url else "http header"
    html_at = f"html head of {url}" if url else "html head"
    out: list[Evidence] = []
    licences: list[str] = []
    if capture.robots_txt is not None:
        out += parse_robots_txt(
            capture.robots_txt,
            url=url,
            user_agent=user_agent,
            agents=agents,
            location=_site(url, "/robots.txt"),
        )
        licences += rsl.licence_links_from_robots(capture.robots_txt)
    if capture.ai_txt is not None:
        out += aitxt.parse_ai_txt(
            capture.ai_txt, url=url, user_agent=user_agent, location=_site(url, "/ai.txt")
        )
    tdm: list[Evidence] = []
    if capture.tdmrep_json is not None:
        where = _site(url, "/.well-known/tdmrep.json")
        tdm += tdmrep.parse_tdmrep_json(capture.tdmrep_json, url=url, location=where)
    for value in capture.header("content-usage"):
        out += aipref.parse_content_usage(value, location=header_at)
    for value in capture.header("content-signal"):
        out += content_signal.parse_content_signal(value, source="Content-Signal header", location=header_at)
    out += xrobots.parse_x_robots_tag(
        capture.header("x-robots-tag"), user_agent=user_agent, agents=agents, location=header_at
    )
    tdm += tdmrep.parse_tdm_headers(capture.headers, location=header_at)
    licences += rsl.licence_links_from_headers(capture.headers)
    head = (
        capture.html_head
        if capture.html_head is not None
        else html_head_of(capture.content, capture.filename)
    )
    if head is not None:
        html = _text(head)
        out += xrobots.parse_html_meta_robots(html, user_agent=user_agent, agents=agents, location=html_at)
        tdm += tdmrep.parse_tdmrep_html(html, location=html_at)
        licences += rsl.licence_links_from_html(html)
    if capture.content is not None:
        tdm += tdmrep.read_tdmrep_file(capture.content, capture.filename)
    out += tdmrep.apply_precedence(tdm)
    for link in dict.fromkeys(licences):
        if link not in capture.rsl_xml:
            out.append(
                Evidence("rsl", link, "licence link", error=f"RSL licence {link} declared but not captured")
            )
    for link, doc in capture.rsl_xml.items():
        out += rsl.parse_rsl(doc, content_url=url, location=link)
    if capture.content is not None:
        out += _embedded(capture.content, capture.filename)
    # Evidence is dated when it was captured, not when it was read.
    return [replace(e, observed_at=capture.fetched_at) for e in out]


_HTML_SNIFF = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)[\s>]", re.IGNORECASE | re.DOTALL
)
_HEAD_END = re.compile(rb"</head\s*>|<body[\s>]", re.IGNORECASE)
HTML_HEAD_MAX_BYTES = 512 * 1024


def html_head_of(content: bytes | None, filename: str | None) -> str | None:
    """The head of an HTML document carried as the item's own content, when no head was captured.

    A page's ``<meta name="robots" content="noai">`` or ``tdm-reservation`` binds the page itself,
    so a crawl that kept only the body bytes must still be read. Only the first
    ``HTML_HEAD_MAX_BYTES`` are looked at, up to ``</head>`` or ``<body>``.
    """
    if not content:
        return None
    start = content[:HTML_HEAD_MAX_BYTES].lstrip(b"\xef\xbb\xbf")
    named_html = (filename or "").lower().endswith((".html", ".htm", ".xhtml"))
    if not (named_html or _HTML_SNIFF.match(start[:4096])):
        return None
    end = _HEAD_END.search(start)
    return start[: end.start() if end else len(start)].decode("utf-8", "replace")


def _site(url: str | None, path: str) -> str:
    """Where a site-wide file lives, e.g. ``https://host/robots.txt`` (the bare name without a URL)."""
    parts = urlsplit(url or "")
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}{path}"
    return path.lstrip("/")


def _embedded(content: bytes, filename: str | None) -> list[Evidence]:
    try:
        from mediamanager.signals.embedded import read_embedded
    except ImportError as exc:
        # Part of the base install: a failed import is a broken install, and reading nothing would
        # turn every C2PA/XMP statement into a silent "unknown".
        raise MissingExtraError(
            f"the embedded-signal reader (C2PA, IPTC/XMP) cannot be imported ({exc}); it is part of the "
            "base install: reinstall it with: pip install --force-reinstall mediamanager"
        ) from exc
    try:
        return list(read_embedded(content, filename))
    except ImportError as exc:  # c2pa-python or lxml missing: a broken install, not an unreadable file
        raise MissingExtraError(
            f"reading embedded signals needs {exc.name or exc}, part of the base install: "
            "pip install --force-reinstall mediamanager"
        ) from exc
    except Exception as exc:  # reported, not hidden: an error entry never counts as allow
        return [
            Evidence(
                "embedded", filename or "content", filename or "content", error=f"{type(exc).__name__}: {exc}"
            )
        ]


def read_signals(capture: Capture, *, user_agent: str | None = None) -> Preferences:
    """The combined preferences of every signal in ``capture``, with all evidence kept."""
    return preferences_from(collect_signals(capture, user_agent=user_agent))
