"""The one loopback registry server for tests: the real API (``create_app``) on real uvicorn, 127.0.0.1.

``live_registry`` (fixture in tests/conftest.py) serves a fresh registry database (SQLite, then
PostgreSQL with the ``db_url`` parameters); ``serve_registry`` serves a given database URL, and
``serve_app`` any ASGI app (for servers that must misbehave on purpose). ``stop()`` and
``start()`` take the server down and bring it back on the same port, so a test can make the
registry unreachable in the middle of a run and then return. ``static_site`` is a plain web site on
loopback (stdlib ``http.server``) for the checks that fetch from a creator's own domain.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mediamanager.api.server import RunningServer, serve_in_thread
from mediamanager.settings import Settings

__all__ = ["LiveServer", "StaticSite", "serve_app", "serve_registry", "static_site"]


@dataclass
class LiveServer:
    """A real uvicorn server on 127.0.0.1 at a fixed port for its whole life."""

    app: Any
    port: int = 0
    settings: Settings | None = None
    _running: RunningServer | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._running is not None

    def start(self) -> LiveServer:
        if self._running is None:
            self._running = serve_in_thread(self.app, "127.0.0.1", self.port)
            self.port = int(self._running.url.rsplit(":", 1)[1])
        return self

    def stop(self) -> None:
        if self._running is not None:
            self._running.stop()
            self._running = None


@contextmanager
def serve_app(app: Any) -> Iterator[LiveServer]:
    """Serve ``app`` on a free loopback port for the ``with`` block."""
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def serve_registry(db_url: str, **settings: Any) -> Iterator[LiveServer]:
    """The full registry API over ``db_url`` (migrated on start) on a free loopback port."""
    from mediamanager.api.app import create_app

    s = Settings(db_url=db_url, **settings)
    app = create_app(s)
    server = LiveServer(app, settings=s).start()
    try:
        yield server
    finally:
        server.stop()
        engine = getattr(app.state, "engine", None)
        if engine is not None:
            engine.dispose()


class StaticSite:
    """A real HTTP server on 127.0.0.1 serving ``files`` (``{path: (status, body, headers)}``, 404
    otherwise); it records every request as ``(path, Host header)``, and when it arrived
    (``time.monotonic()``) in ``times``. Tests may change ``files`` while
    it runs."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.requests: list[tuple[str, str]] = []
        self.times: list[float] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.times.append(time.monotonic())
                site.requests.append((self.path, self.headers.get("Host", "")))
                status, body, headers = site.files.get(self.path, (404, b"not found", {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.domain = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.domain}"


@contextmanager
def static_site() -> Iterator[StaticSite]:
    """A ``StaticSite`` on a free loopback port for the ``with`` block."""
    site = StaticSite()
    threading.Thread(target=site.server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()
