"""The scan against the real registry server (FastAPI over the same SQLite registry) gives the snapshot's decisions."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from scan_fixtures import Registered, alter_text
from tests.loopback import serve_registry

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan


def test_http_registry_and_snapshot_decide_alike(text_registry: Registered, tmp_path: Path) -> None:
    db = f"sqlite:///{text_registry.snapshot.parent / 'registry.db'}"
    with serve_registry(db) as server:
        port = server.port
        data = tmp_path / "d.jsonl"
        rows = [
            {"id": "exact", "text": text_registry.texts["deny"]},
            {"id": "altered", "text": alter_text(text_registry.texts["licence"])},
            {"id": "disputed", "text": text_registry.texts["disputed"]},
            {"id": "clean", "text": "nothing registered here " * 30},
        ]
        data.write_text("".join(json.dumps(r) + "\n" for r in rows))
        results = {}
        for name, spec in (("http", f"http://127.0.0.1:{port}"), ("snapshot", str(text_registry.snapshot))):
            config = ScanConfig(Purpose.GENAI_TRAIN, spec, utcnow())
            scan(str(data), tmp_path / name, config, key_path=tmp_path / "k.pem")
            table = pq.read_table(tmp_path / name / "decisions.parquet")
            results[name] = table.select(["item_id", "outcome", "reason", "owners", "disputed"]).to_pylist()
        assert results["http"] == results["snapshot"]
        assert [(r["item_id"], r["reason"]) for r in results["http"]] == [
            ("exact", "deny:registry"), ("altered", "allow-if:registry"), ("disputed", "deny:registry"),
            ("clean", "unknown"),
        ]  # fmt: skip
        report = json.loads((tmp_path / "http" / "report.json").read_text())
        assert report["registry"]["source"] == f"http://127.0.0.1:{port}"
