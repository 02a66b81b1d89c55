"""Per-client token buckets for the open routes: sign-up and anonymous lookup (review D16).

Plain ASGI, like :class:`~mediamanager.api.app.RefuseOversized`, so the hot lookup path pays one
dictionary read. A client is its address as the server sees it (``scope["client"]``); behind a
reverse proxy run uvicorn with ``--proxy-headers`` so that this is the caller's, not the proxy's.
Each server process keeps its own buckets, so with ``--workers N`` a client gets up to N times
the rate. Lookups that carry an ``Authorization`` header are not limited here: the route
authenticates them, and a bad token is a 401.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["Bucket", "RateLimit", "TokenBuckets"]

_MAX_CLIENTS = 50_000  # buckets kept before full (idle) ones are dropped


@dataclass
class Bucket:
    tokens: float
    at: float


@dataclass
class TokenBuckets:
    """``burst`` requests at once, refilled at ``per_minute``; ``per_minute == 0`` means no limit."""

    per_minute: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def take(self, client: str) -> float:
        """0.0 when ``client`` may go ahead (one token spent), else the seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        rate = self.per_minute / 60.0
        b = self.buckets.get(client)
        if b is None:
            if len(self.buckets) >= _MAX_CLIENTS:
                self._prune(now, rate)
            b = self.buckets[client] = Bucket(float(self.burst), now)
        else:
            b.tokens = min(float(self.burst), b.tokens + (now - b.at) * rate)
            b.at = now
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return 0.0
        return (1.0 - b.tokens) / rate

    def _prune(self, now: float, rate: float) -> None:
        full = [k for k, b in self.buckets.items() if b.tokens + (now - b.at) * rate >= self.burst]
        for k in full or list(self.buckets)[: len(self.buckets) // 2]:
            del self.buckets[k]


class RateLimit:
    """ASGI middleware: 429 with ``Retry-After`` once a client's bucket for the route is empty."""

    def __init__(self, app: ASGIApp, *, signup: TokenBuckets, lookup: TokenBuckets) -> None:
        self.app = app
        self.signup = signup
        self.lookup = lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"].rstrip("/")
            buckets = None
            if path == "/owners":
                buckets = self.signup
            elif path == "/lookup" and not any(
                k == b"authorization" and v[:7].lower() == b"bearer " for k, v in scope["headers"]
            ):
                buckets = self.lookup
            if buckets is not None:
                client = scope.get("client")
                wait = buckets.take(client[0] if client else "?")
                if wait > 0:
                    response = JSONResponse(
                        {"detail": "too many requests from this client; retry later", "error": "RateLimited"},
                        429,
                        headers={"Retry-After": str(max(1, math.ceil(wait)))},
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
