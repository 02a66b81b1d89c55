"""An unreachable registry stops the scan with a clear message; it never keeps everything."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from scan_fixtures import Registered
from tests.loopback import LiveServer

from mediamanager.errors import RegistryUnavailableError
from mediamanager.model import Purpose, utcnow
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


class _StopAfter:
    """ASGI wrapper of the real registry app: after answering ``lookups`` POST /lookup requests,
    it tells its uvicorn server to shut down, so the registry goes away in the middle of a scan."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lookups = 10**9
        self.seen = 0
        self.server: LiveServer | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        lookup = scope["type"] == "http" and scope["path"] == "/lookup"
        if (
            lookup
            and self.seen >= self.lookups
            and self.server is not None
            and self.server._running is not None
        ):
            # Gone: the server is told to exit at once, and this request is never answered (a keep-alive
            # connection would otherwise be served until uvicorn's next shutdown check, 0.1 s later).
            uv = self.server._running._server  # type: ignore[attr-defined]
            uv.should_exit = uv.force_exit = True
            await asyncio.sleep(60)
            return
        await self.app(scope, receive, send)
        if lookup:
            self.seen += 1


def test_registry_stopped_mid_scan_exits_2_keeps_nothing_and_resume_finishes(
    text_registry: Registered, tmp_path: Path
) -> None:
    from mediamanager.api.app import create_app
    from mediamanager.settings import Settings

    data = tmp_path / "d.jsonl"
    data.write_text(
        "".join(json.dumps({"id": f"t{i}", "text": f"text number {i} " * 30}) + "\n" for i in range(40))
        + json.dumps({"id": "registered", "text": text_registry.texts["deny"]})
        + "\n"
    )
    db = f"sqlite:///{text_registry.snapshot.parent / 'registry.db'}"
    app = create_app(Settings(db_url=db))
    wrapper = _StopAfter(app)
    server = LiveServer(wrapper)
    wrapper.server = server
    wrapper.lookups = 2
    server.start()
    out = tmp_path / "out"
    cmd = [MEDIAMANAGER, "scan", str(data), "--purpose", "genai-train", "--registry", server.url,
           "--out", str(out), "--workers", "1", "--batch-size", "8", "--unknown", "keep",
           "--key", str(tmp_path / "k.pem")]  # fmt: skip
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        # Two of the 6 batches were answered, then the registry was gone: exit 2, nothing kept.
        assert wrapper.seen == 2
        assert res.returncode == 2, res.stderr
        assert "registry unavailable" in res.stderr and "nothing was kept" in res.stderr
        _assert_nothing_written(out)
        server.stop()
        wrapper.lookups = 10**9
        server.start()  # back, on the same port
        resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        table = pq.read_table(out / "decisions.parquet").to_pylist()
        outcomes = {r["item_id"]: r["outcome"] for r in table}
        assert len(table) == 41 and outcomes["registered"] == "drop"
        assert (
            sorted(set(outcomes.values())) == ["drop", "keep"] and list(outcomes.values()).count("keep") == 40
        )
        report = json.loads((out / "report.json").read_text())
        assert report["registry"]["source"] == server.url
    finally:
        server.stop()
        app.state.engine.dispose()
