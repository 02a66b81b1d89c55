"""An HTML page carried as the item itself is bound by its own <head> meta tags."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from scan_fixtures import Registered

from mediamanager.model import Purpose, utcnow
from mediamanager.scan import decide_record
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan

NOAI = '<!DOCTYPE html><html><head><meta name="robots" content="noai"></head><body>A story.</body></html>'
TDM = '<html><head><meta name="tdm-reservation" content="1"></head><body>A poem.</body></html>'
CLEAN = "<html><head><title>Open</title></head><body>Nothing said here.</body></html>"


def test_jsonl_rows_holding_html_pages_honour_their_meta_tags(text_registry: Registered) -> None:
    snap = str(text_registry.snapshot)
    noai = decide_record({"id": "a", "text": NOAI}, registry=snap, unknown="keep")
    assert (noai.outcome.value, noai.reasons[0]) == ("drop", "deny:meta robots")
    tdm = decide_record({"id": "b", "text": TDM}, registry=snap, unknown="keep")
    assert (tdm.outcome.value, tdm.reasons[0]) == ("drop", "deny:tdm html meta")
    clean = decide_record({"id": "c", "text": CLEAN}, registry=snap, unknown="keep")
    assert clean.outcome.value == "keep"


def test_a_folder_of_html_files(text_registry: Registered, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, page in (("noai.html", NOAI), ("tdm.html", TDM), ("clean.html", CLEAN)):
        (folder / name).write_text(page)
    out = tmp_path / "out"
    config = ScanConfig(
        purpose=Purpose.GENAI_TRAIN, registry=str(text_registry.snapshot), scan_time=utcnow(), unknown="keep"
    )
    scan(str(folder), out, config, key_path=tmp_path / "builder.pem")
    rows = {r["item_id"]: r["outcome"] for r in pq.read_table(out / "decisions.parquet").to_pylist()}
    assert rows == {"clean.html": "keep", "noai.html": "drop", "tdm.html": "drop"}
