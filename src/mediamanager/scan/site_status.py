"""What a site's answer for robots.txt, ai.txt and tdmrep.json means when it was not the document.

RFC 9309 §2.3.1: a robots.txt answered with 4xx is *unavailable* (crawl as if
there were none, §2.3.1.3); a 5xx answer, a timeout or a refused connection makes
it *unreachable*, and the crawler must assume a complete disallow (§2.3.1.4).
429 (Too Many Requests) is treated as unreachable too: the server is refusing
now, not saying it has no file. ai.txt and tdmrep.json have no such rule, so an
unreachable one is an error entry: what it says is unknown, never "absent".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from mediamanager.model import Evidence
from mediamanager.scan.evidence import SITE_DOCS, CachedSite

__all__ = ["classify", "site_evidence"]

COMPLETE_DISALLOW = "User-agent: *\nDisallow: /\n"


def classify(status: Any) -> str:
    """``document``, ``absent`` or ``unreachable`` for one stored status."""
    if isinstance(status, int) and not isinstance(status, bool):
        if 200 <= status < 300:
            return "document"
        if 400 <= status < 500 and status != 429:
            return "absent"
    return "unreachable"


def _why(status: Any) -> str:
    if status is None:
        return "not fetched"
    return f"HTTP {status}" if isinstance(status, int) else str(status)


def site_evidence(
    site: CachedSite,
    url: str,
    *,
    user_agent: str | None,
    skip: frozenset[str] = frozenset(),
    failures_only: bool = False,
) -> list[Evidence]:
    """Evidence of one origin's site documents for ``url``: what they say, and what failing to get them means.

    ``skip`` names documents the record captured itself (they win over the cache).
    With ``failures_only`` the documents that were served are left to the caller,
    which reads them with the page's own evidence.
    """
    from mediamanager.signals.capture import Capture
    from mediamanager.signals.combine import collect_signals
    from mediamanager.signals.robots import parse_robots_txt

    when = datetime.fromisoformat(site.fetched_at) if site.fetched_at else None
    out: list[Evidence] = []
    docs: dict[str, str] = {}
    for name, path in SITE_DOCS.items():
        if name in skip:
            continue
        status = site.statuses.get(name)
        where = site.origin + path
        doc = site.doc(name)
        if doc is not None:
            docs[name] = doc
            continue
        state = classify(status)
        if state == "absent":
            continue
        why = _why(status)
        if name == "robots.txt":
            for ev in parse_robots_txt(COMPLETE_DISALLOW, url=url, user_agent=user_agent, location=where):
                out.append(
                    replace(
                        ev,
                        raw=f"robots.txt unreachable ({why})",
                        detail=f"RFC 9309 §2.3.1.4: an unreachable robots.txt is a complete disallow; {ev.detail}",
                    )
                )
        else:
            out.append(
                Evidence(
                    name, why, where, error=f"{name} could not be fetched ({why}): what it says is unknown"
                )
            )
    if docs and not failures_only:
        capture = Capture(
            url=url,
            robots_txt=docs.get("robots.txt"),
            ai_txt=docs.get("ai.txt"),
            tdmrep_json=docs.get("tdmrep.json"),
        )
        out += collect_signals(capture, user_agent=user_agent)
    if when is not None:
        out = [replace(e, observed_at=when) for e in out]
    return out
