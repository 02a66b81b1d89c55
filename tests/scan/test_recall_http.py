"""Issue 10 over HTTP: the scan's image queries (hashes + ORB features) are accepted and matched by the server.

A photo registered through the registry service (``genai-train=deny``); cropped, rotated, framed and
captioned copies are scanned with ``mediamanager scan --registry http://...`` (a loopback uvicorn
server over the same registry) and with its exported snapshot: both drop every copy, keep the
unrelated photos, and decide alike.
"""

from __future__ import annotations

import io
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image
from scan_fixtures import Registered, photo

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

EDITS = ("crop_70_free", "side_crop_15", "rotate_10", "letterbox", "meme_frame", "caption_bar")


def _scan(data: Path, registry: str, out: Path, key: Path) -> list[tuple[str, str, str]]:
    exe = Path(sys.executable).with_name("mediamanager")
    cmd = [str(exe), "scan", str(data), "--purpose", "genai-train", "--registry", registry, "--out", str(out),
           "--unknown", "keep", "--format", "files", "--workers", "1", "--key", str(key)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    assert done.returncode == 0, done.stderr
    rows = pq.read_table(out / "decisions.parquet", columns=["item_id", "outcome", "reason"]).to_pylist()
    return sorted((r["item_id"], r["outcome"], r["reason"]) for r in rows)


def test_http_lookup_accepts_the_scan_query_features(
    registered: Registered, tmp_path: Path, test_data: Path
) -> None:
    import uvicorn

    from alterations.image import SCAN_ALTERATIONS
    from mediamanager.api.app import create_app
    from mediamanager.settings import Settings

    data = tmp_path / "data"
    data.mkdir()
    with Image.open(io.BytesIO(registered.images["deny"])) as im:
        rgb = im.convert("RGB")
    for name in EDITS:
        (data / f"copy-{name}.jpg").write_bytes(SCAN_ALTERATIONS[name](rgb, random.Random(name)))
    for index in (20, 30, 40):
        (data / f"unrelated-{index}.jpg").write_bytes(photo(test_data, index))

    app = create_app(Settings(db_url=f"sqlite:///{registered.snapshot.parent / 'registry.db'}"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "the registry server did not start"
        over_http = _scan(data, f"http://127.0.0.1:{port}", tmp_path / "http", tmp_path / "k.pem")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()
    from_snapshot = _scan(data, str(registered.snapshot), tmp_path / "snap", tmp_path / "k.pem")
    expected = sorted(
        [(f"copy-{name}.jpg", "drop", "deny:registry") for name in EDITS]
        + [(f"unrelated-{i}.jpg", "keep", "unknown") for i in (20, 30, 40)]
    )
    assert over_http == expected
    assert from_snapshot == expected
