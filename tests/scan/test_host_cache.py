"""Per-host caches of a URL-only scan answer exactly what a fresh read would (a literal table from the rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

import mediamanager.scan.evidence as evidence
from mediamanager.scan.evidence import EvidenceCache
from mediamanager.signals.robots import parse_robots

ROBOTS = "User-agent: GPTBot\nDisallow: /private/\nAllow: /private/ok\n\nUser-agent: *\nDisallow: /tmp\n"

# (path, agent, allowed), written from RFC 9309: the agent's own group if any, else *; longest match wins.
TABLE = [
    ("/private/x.jpg", "GPTBot", False),
    ("/private/ok.jpg", "GPTBot", True),
    ("/tmp/a.jpg", "GPTBot", True),  # GPTBot has its own group, so * does not apply
    ("/tmp/a.jpg", "CCBot", False),
    ("/private/x.jpg", "CCBot", True),
    ("/img/1.jpg", "GPTBot", True),
    ("/private/x.jpg", "GPTBot", False),  # asked again after other agents: the kept answer is the same
]


def test_robots_answers_per_agent_are_kept_correctly() -> None:
    robots = parse_robots(ROBOTS)
    assert parse_robots(ROBOTS) is robots  # parsed once per distinct file
    assert [(p, a, robots.allowed(p, a)) for p, a, _ in TABLE] == TABLE


def test_get_many_with_a_tiny_origin_lru(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "SITE_LRU", 1)
    w = EvidenceCache(tmp_path / "c.sqlite")
    w.put_origin("https://a.example", {"robots.txt": "A"}, {"robots.txt": 200})
    w.put_origin("https://b.example", {"robots.txt": "B"}, {"robots.txt": 503})
    w.put_page("https://a.example/1", 200, [("content-usage", "train-ai=n")], None, None)
    w.put_page("https://b.example/2", None, [], None, "ConnectError: refused")
    w.close()
    r = EvidenceCache(tmp_path / "c.sqlite", readonly=True)
    urls = ["https://a.example/1", "https://b.example/2", "https://a.example/1", "https://c.example/3",
            "https://a.example/9"]  # fmt: skip
    hits = r.get_many(urls)
    got = {
        u: None
        if h is None
        else (h.page_found, h.robots_txt, h.statuses.get("robots.txt"), h.error, h.headers)
        for u, h in hits.items()
    }
    assert got == {
        "https://a.example/1": (True, "A", 200, None, (("content-usage", "train-ai=n"),)),
        "https://b.example/2": (True, "B", 503, "ConnectError: refused", ()),
        "https://c.example/3": None,
        "https://a.example/9": (False, "A", 200, None, ()),
    }
    assert len(r._sites or {}) == 1  # bounded
    r.close()
