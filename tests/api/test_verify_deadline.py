"""D8: domain verification has a deadline on the whole fetch and holds no API thread while it waits.

A real loopback server answers 200 and then drips one byte every 2 s (like the red team's drip.py);
the registry runs in a real uvicorn server.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mediamanager.api.app import create_app
from mediamanager.api.server import serve_in_thread
from mediamanager.errors import VerificationError
from mediamanager.registry.domains import check_domain_token
from mediamanager.settings import Settings

DRIP_EVERY_S = 2.0
DRIP_BYTES = 12  # then it closes: 24 s of dripping, far past any deadline used here


@pytest.fixture
def drip_port() -> Iterator[int]:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(200)
    server.settimeout(0.2)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        try:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4000\r\n\r\n")
            for _ in range(DRIP_BYTES):
                if stop.wait(DRIP_EVERY_S):
                    break
                conn.sendall(b"x")
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_a_dripping_site_fails_at_the_overall_deadline(drip_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(VerificationError, match="within 3 s"):
        asyncio.run(
            check_domain_token(
                f"127.0.0.1:{drip_port}", "tok", scheme="http", timeout_s=3, allow_loopback=True
            )
        )
    elapsed = time.monotonic() - started
    assert 2.9 <= elapsed <= 3.6, elapsed  # each read arrives within 2 s, so only the deadline can stop it


def test_slow_verifications_do_not_stall_other_requests(drip_port: int, tmp_path: object) -> None:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path}/reg.db",
        verification_scheme="http",
        verification_timeout_s=8,
        verification_allow_loopback=True,
    )
    app = create_app(settings)
    domain = f"127.0.0.1:{drip_port}"
    slow = 60  # more than AnyIO's 40 worker threads
    with (
        serve_in_thread(app) as server,
        httpx.Client(base_url=server.url, trust_env=False, timeout=30) as http,
    ):
        made = http.post("/owners", json={"display_name": "Dee"}).json()
        auth = {"Authorization": f"Bearer {made['token']['token']}"}
        assert http.post("/domains", json={"domain": domain}, headers=auth).status_code == 201

        def verify(_: int) -> int:
            with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as c:
                return c.post(f"/domains/{domain}/verify", headers=auth).status_code

        with ThreadPoolExecutor(slow) as pool:
            started = time.monotonic()
            pending = [pool.submit(verify, i) for i in range(slow)]
            time.sleep(2.5)  # every verification is now waiting on the drip
            latencies = []
            for _ in range(5):
                t = time.monotonic()
                assert http.get("/works", headers=auth).status_code == 200
                assert http.get("/owners/me", headers=auth).status_code == 200
                latencies.append(time.monotonic() - t)
            codes = [f.result() for f in pending]
            elapsed = time.monotonic() - started
    app.state.engine.dispose()
    assert codes == [422] * slow
    # A verification holding a worker thread would keep the first of these waiting about 5.5 s.
    assert max(latencies) < 3.0, latencies
    assert elapsed < 20, elapsed  # they end near their 8 s deadline; unbounded, each would drip for 24 s
