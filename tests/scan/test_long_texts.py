"""Red-team D6: a book-length text registers, and an HTTP scan of it next to short items completes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
from tests.loopback import LiveServer

from mediamanager.client import RegistryApi
from mediamanager.fingerprint import fingerprint_content
from mediamanager.model import Purpose, utcnow
from mediamanager.registry.bulk import fingerprints_only_body
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan


def test_http_scan_with_a_584_fingerprint_book(
    live_registry: LiveServer, test_data: Path, tmp_path: Path
) -> None:
    with gzip.open(test_data / "text-sotu" / "corpus.jsonl.gz", "rt") as fh:
        rows = [json.loads(line) for _, line in zip(range(40), fh, strict=False)]
    book = " ".join(r["text"] for r in rows)
    fp = fingerprint_content(book.encode(), filename="book.txt")
    assert len(fp.fingerprints) == 584
    with RegistryApi(live_registry.url, "") as anon:
        token = anon.create_owner("Archive")["token"]["token"]
    with RegistryApi(live_registry.url, token) as api:
        api.register_fingerprints(
            fingerprints_only_body(fp, {"title": "SOTU"}, preferences="genai-train=deny")
        )
    data = tmp_path / "longtext.jsonl"
    items = [
        {"id": "mail1", "text": "Dear Ann, the meeting moved to Thursday at ten. See you there. " * 5},
        {"id": "mail2", "text": "Invoice 1234 is attached; please pay within thirty days. Thanks. " * 5},
        {"id": "book", "text": book},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in items))
    config = ScanConfig(Purpose.GENAI_TRAIN, live_registry.url, utcnow(), unknown="keep")
    summary = scan(str(data), tmp_path / "out", config, key_path=tmp_path / "k.pem")
    assert summary.counts == {"keep": 2, "drop": 1, "license": 0, "error": 0}
    decisions = {
        r["item_id"]: r["reason"] for r in pq.read_table(tmp_path / "out" / "decisions.parquet").to_pylist()
    }
    assert decisions == {"mail1": "unknown", "mail2": "unknown", "book": "deny:registry"}
