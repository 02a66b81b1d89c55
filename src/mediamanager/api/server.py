"""Run the registry API with uvicorn: in the foreground (``serve``) or in a background thread (demo, tests)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

from fastapi import FastAPI

from mediamanager.errors import RegistryUnavailableError

__all__ = ["RunningServer", "serve_in_thread"]


@dataclass
class RunningServer:
    """A uvicorn server running in a daemon thread; ``stop()`` shuts it down."""

    url: str
    app: FastAPI
    _server: object
    _thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._thread.join(timeout)

    def wait(self) -> None:
        """Block until the server exits (Ctrl-C stops it)."""
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            self.stop()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    app: FastAPI, host: str = "127.0.0.1", port: int = 0, *, timeout: float = 20.0
) -> RunningServer:
    """Start ``app`` on ``host:port`` (port 0 picks a free one) and return once it accepts connections."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RegistryUnavailableError(f"cannot listen on {host}:{port}: {exc}") from None
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="mediamanager-api"
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RegistryUnavailableError(f"the API server did not start on {host}:{bound_port}")
        time.sleep(0.02)
    return RunningServer(f"http://{host}:{bound_port}", app, server, thread)
