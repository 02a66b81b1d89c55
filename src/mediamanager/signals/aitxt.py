"""Spawning ``ai.txt``: robots.txt-syntax rules over file extensions, read and written.

ai.txt has no purpose vocabulary; Spawning states it covers use in AI training
datasets, so every statement maps to ``ai-train``. Rules are matched like
robots.txt (``*`` and ``$``) against the item's URL path, in the ``*`` group
(or a group naming the reader's agent). A matching ``Allow`` is an allow, a
matching ``Disallow`` a deny, no matching rule is unknown.

The writer emits Spawning's generator layout::

    # Spawning AI
    # Prevent datasets from using the following file types

    User-Agent: *
    Disallow: /
    Disallow: *
"""

from __future__ import annotations

from mediamanager.model import Evidence, Preferences, Purpose, Use
from mediamanager.signals.robots import parse_robots, url_path

__all__ = ["emit_ai_txt", "parse_ai_txt"]


def parse_ai_txt(
    ai_txt: str | bytes, *, url: str | None = None, user_agent: str | None = None, location: str = "ai.txt"
) -> list[Evidence]:
    """Evidence about ``ai-train`` for the path of ``url`` (``/`` if None); bad input gives error entries."""
    parsed = parse_robots(ai_txt)
    head = ai_txt[:200] if isinstance(ai_txt, str) else ai_txt[:200].decode("utf-8", "replace")
    if parsed.binary:
        return [Evidence("ai.txt", head, location, error="ai.txt contains NUL bytes: not a text file")]
    out: list[Evidence] = []
    if parsed.truncated:
        out.append(
            Evidence("ai.txt", f"{parsed.size} bytes", location, error="ai.txt over 500 KiB; truncated")
        )
    if parsed.invalid_utf8:
        out.append(Evidence("ai.txt", head, location, error="ai.txt is not valid UTF-8"))
    path = url_path(url) if url else "/"
    result = parsed.match(path, user_agent or "*")
    if result.pattern is None:
        return out
    use = Use.ALLOW if result.rule_allows else Use.DENY
    verb = "Allow" if result.rule_allows else "Disallow"
    out.append(
        Evidence(
            "ai.txt",
            f"{verb}: {result.pattern}",
            location,
            purpose=Purpose.AI_TRAIN,
            use=use,
            detail=f"rule for {path}",
        )
    )
    return out


def emit_ai_txt(prefs: Preferences) -> str:
    """ai.txt text for the effective ``ai-train`` rule: deny and allow-if block all, allow allows all.

    Unknown writes the header comment only (no rule, so readers see unknown).
    """
    use = prefs.effective(Purpose.AI_TRAIN).use
    if use in (Use.DENY, Use.ALLOW_IF):
        return "# Spawning AI\n# Prevent datasets from using the following file types\n\nUser-Agent: *\nDisallow: /\nDisallow: *\n"
    if use is Use.ALLOW:
        return "# Spawning AI\n# Allow datasets to use all file types\n\nUser-Agent: *\nAllow: /\n"
    return "# Spawning AI\n# No preference stated\n"
