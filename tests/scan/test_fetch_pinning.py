"""DNS pinning in ``mediamanager evidence fetch``: one resolution per connection, checked, then connected to.

Real DNS is not reachable here, so the resolver the address guard calls (``socket.getaddrinfo``)
is replaced by one that answers for a made-up name; the connections themselves are real
sockets to a real HTTP server on loopback. ``allow_loopback`` admits 127.0.0.1 (the test
server) while private, link-local and metadata addresses stay refused.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from loopback import static_site
from mediamanager.scan.evidence import EvidenceCache
from mediamanager.scan.fetch import fetch_evidence

NAME = "rebind.example"


class Resolver:
    """Answers ``answers`` for NAME in turn (the last one forever), and counts the questions."""

    def __init__(self, answers: list[str], real: Any) -> None:
        self.answers, self.real, self.asked = answers, real, 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != NAME:
            return self.real(host, port, *args, **kwargs)
        ip = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port)))]


def _fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> tuple[Any, Resolver, Any]:
    resolver = Resolver(answers, socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with static_site() as site:
        # HTTP/1.1 keep-alive: the page and the site documents share one connection, hence one lookup.
        site.server.RequestHandlerClass.protocol_version = "HTTP/1.1"  # type: ignore[attr-defined]
        site.files["/page"] = (
            200,
            b"<html><head><title>t</title></head></html>",
            {"content-type": "text/html"},
        )
        url = f"http://{NAME}:{site.port}/page"
        fetch_evidence(
            [url], tmp_path / "c.sqlite", allow_loopback=True, rate=1000, retries=0, timeout=3, concurrency=1
        )
        requests = list(site.requests)
    cache = EvidenceCache(tmp_path / "c.sqlite", readonly=True)
    hit = cache.get(url)
    cache.close()
    return hit, resolver, requests


def test_rebind_after_the_check_cannot_reach_another_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first answer passes the guard (loopback is allowed here); every later one is the cloud
    # metadata address. A fetcher that checked one lookup and connected with another would reach
    # (or try) 169.254.169.254; a pinned one connects to the address it checked.
    hit, resolver, requests = _fetch(tmp_path, monkeypatch, ["127.0.0.1", "169.254.169.254"])
    assert hit is not None and hit.error is None, hit
    # The page and the three site documents were fetched over real connections to the checked address,
    # with the original Host header.
    assert sorted(requests) == sorted(
        [
            (p, f"{NAME}:{requests[0][1].rsplit(':', 1)[1]}")
            for p in ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json", "/page")
        ]
    )
    # One resolution per connection (keep-alive reuses it): never a second lookup for the same socket.
    assert resolver.asked == 1


def test_a_private_answer_is_refused_before_any_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hit, resolver, requests = _fetch(tmp_path, monkeypatch, ["10.1.2.3"])
    assert requests == []
    assert hit is not None and hit.error is not None
    assert "non-public address 10.1.2.3" in hit.error
    assert resolver.asked >= 1
