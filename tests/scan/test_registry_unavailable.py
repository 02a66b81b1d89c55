"""An unreachable registry stops the scan with a clear message; it never keeps everything."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scan_fixtures import Registered

from mediamanager.errors import RegistryUnavailableError
from mediamanager.lookup import LookupQuery
from mediamanager.model import Fingerprint, MediaType, Purpose, utcnow
from mediamanager.scan.clients import SnapshotRegistryClient
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")


def _dataset(path: Path, n: int = 40) -> Path:
    path.write_text(
        "".join(json.dumps({"id": f"t{i}", "text": f"text number {i} " * 30}) + "\n" for i in range(n))
    )
    return path


def _assert_nothing_written(out: Path) -> None:
    assert not (out / "decisions.parquet").exists()
    assert not (out / "data").exists()
    assert not (out / "attestation.json").exists()


def test_missing_snapshot_stops_before_anything_is_written(tmp_path: Path) -> None:
    config = ScanConfig(Purpose.GENAI_TRAIN, str(tmp_path / "no-snapshot"), utcnow())
    with pytest.raises(RegistryUnavailableError, match="neither an http"):
        scan(str(_dataset(tmp_path / "d.jsonl")), tmp_path / "out", config)
    _assert_nothing_written(tmp_path / "out")


def test_cli_reports_an_unreachable_server_clearly(tmp_path: Path) -> None:
    res = subprocess.run(
        [MEDIAMANAGER, "scan", str(_dataset(tmp_path / "d.jsonl")), "--purpose", "genai-train",
         "--registry", "http://127.0.0.1:9/", "--out", str(tmp_path / "out"), "--workers", "1"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 2
    assert "registry unavailable" in res.stderr and "nothing was kept" in res.stderr
    _assert_nothing_written(tmp_path / "out")


class _Registry:
    """A registry server on loopback that answers from a snapshot, until it is told to fail."""

    def __init__(self, snapshot: Path) -> None:
        self.client = SnapshotRegistryClient(snapshot)
        self.fail_lookups_after = 10**9
        self.lookups = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                info = outer.client.info()
                self._send(200, {"version": info.version, "sha256": info.sha256})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                outer.lookups += 1
                if outer.lookups > outer.fail_lookups_after:
                    self._send(503, {"detail": "down for maintenance"})
                    return
                queries = [
                    LookupQuery(q["id"], q["sha256"], MediaType(q["media_type"]) if q["media_type"] else None,
                                tuple(Fingerprint.from_dict(f) for f in q["fingerprints"]))
                    for q in body["items"]
                ]  # fmt: skip
                results = outer.client.lookup(queries)
                self._send(200, {"results": [
                    {"id": r.item_id, "matches": [m.to_dict() for m in r.matches]} for r in results
                ]})  # fmt: skip

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server(text_registry: Registered) -> Iterator[_Registry]:
    s = _Registry(text_registry.snapshot)
    yield s
    s.close()


def test_registry_failing_mid_scan_stops_it_and_resume_finishes(
    server: _Registry, text_registry: Registered, tmp_path: Path
) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(
        "".join(json.dumps({"id": f"t{i}", "text": f"text number {i} " * 30}) + "\n" for i in range(40))
        + json.dumps({"id": "registered", "text": text_registry.texts["deny"]})
        + "\n"
    )
    config = ScanConfig(Purpose.GENAI_TRAIN, server.url, utcnow(), unknown="keep", batch_size=8)
    server.fail_lookups_after = 2
    with pytest.raises(RegistryUnavailableError, match="HTTP 503"):
        scan(str(data), tmp_path / "out", config, key_path=tmp_path / "k.pem")
    _assert_nothing_written(tmp_path / "out")
    # Back up: the resumed scan consults the registry for every remaining item, and drops the text_registry one.
    server.fail_lookups_after = 10**9
    summary = scan(str(data), tmp_path / "out", config, key_path=tmp_path / "k.pem", resume=True)
    assert summary.total == 41 and summary.counts == {"keep": 40, "drop": 1, "license": 0, "error": 0}
    assert summary.registry.source == server.url
