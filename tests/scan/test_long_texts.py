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


class _RefuseBook:
    """The real registry app behind a gate that answers 422 to any lookup carrying ``marker``
    (as a server with a lower per-item limit would): only that item may fail."""

    def __init__(self, app: object, marker: bytes) -> None:
        self.app, self.marker = app, marker

    async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if scope["type"] != "http" or scope["path"] != "/lookup":
            await self.app(scope, receive, send)  # type: ignore[operator]
            return
        body, more = b"", True
        while more:
            msg = await receive()  # type: ignore[operator]
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        if self.marker in body:
            payload = json.dumps(
                {"detail": [{"loc": ["body", "items", 0], "msg": "too long", "input": "x" * 400_000}]}
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [(b"content-type", b"application/json")],
                }
            )  # type: ignore[operator]
            await send({"type": "http.response.body", "body": payload.encode()})  # type: ignore[operator]
            return
        sent = False

        async def replay() -> dict:  # type: ignore[type-arg]
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)  # type: ignore[operator]


def test_an_item_the_server_refuses_becomes_an_error_row_and_the_scan_goes_on(
    test_data: Path, tmp_path: Path
) -> None:
    from tests.loopback import serve_app

    from mediamanager.api.app import create_app
    from mediamanager.settings import Settings

    with gzip.open(test_data / "text-sotu" / "corpus.jsonl.gz", "rt") as fh:
        book = " ".join(json.loads(line)["text"] for _, line in zip(range(3), fh, strict=False))
    marker = fingerprint_content(book.encode(), filename="b.txt").fingerprints[0].value.encode()
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'r.db'}"))
    data = tmp_path / "d.jsonl"
    items = [
        {"id": "mail", "text": "Dear Ann, the meeting moved to Thursday at ten. " * 5},
        {"id": "book", "text": book},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in items))
    with serve_app(_RefuseBook(app, marker)) as server:
        config = ScanConfig(Purpose.GENAI_TRAIN, server.url, utcnow(), unknown="keep")
        summary = scan(str(data), tmp_path / "out", config, key_path=tmp_path / "k.pem")
    app.state.engine.dispose()
    assert summary.counts == {"keep": 1, "drop": 0, "license": 0, "error": 1}
    rows = {r["item_id"]: r for r in pq.read_table(tmp_path / "out" / "decisions.parquet").to_pylist()}
    assert rows["mail"]["outcome"] == "keep" and rows["book"]["outcome"] == "error"
    # The reason, without the 400 KB the server echoed.
    assert rows["book"]["error"] == "registry refused the lookup: POST /lookup: HTTP 422: items.0: too long"
