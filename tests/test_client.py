"""RegistryApi against real servers on loopback: retries, error mapping, paged lookups of a book."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tests.loopback import LiveServer, serve_app

from mediamanager import errors
from mediamanager.client import RegistryApi
from mediamanager.fingerprint import fingerprint_content
from mediamanager.lookup import LookupQuery
from mediamanager.registry.bulk import fingerprints_only_body


def _flaky(failures: int, status: int = 503) -> tuple[FastAPI, list[str]]:
    """An app that answers ``status`` ``failures`` times per route, then 200."""
    app = FastAPI()
    calls: list[str] = []

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def any_route(path: str, request: Request) -> JSONResponse:
        calls.append(f"{request.method} /{path}")
        if sum(1 for c in calls if c == calls[-1]) <= failures:
            return JSONResponse(
                {"detail": "down for maintenance", "error": "RegistryUnavailableError"}, status
            )
        if path == "lookup":
            items = (await request.json())["items"]
            return JSONResponse({"results": [{"id": i["id"], "matches": []} for i in items]})
        return JSONResponse({"version": "v1", "sha256": "0" * 64, "work": {"id": "w"}, "disputes": []}, 201)

    return app, calls


def test_idempotent_calls_retry_503_with_backoff_then_succeed() -> None:
    app, calls = _flaky(2)
    with serve_app(app) as server, RegistryApi(server.url, "", backoff=0.01) as api:
        assert api.info().version == "v1"
        assert calls == ["GET /info"] * 3
        assert api.lookup([LookupQuery("a", sha256="0" * 64)])[0].matches == ()  # read-only POST retries
        assert calls[3:] == ["POST /lookup"] * 3


def test_retries_run_out_and_writes_are_not_repeated() -> None:
    app, calls = _flaky(2)
    with serve_app(app) as server:
        with (
            RegistryApi(server.url, "t", retries=1, backoff=0.01) as api,
            pytest.raises(errors.RegistryUnavailableError, match="HTTP 503: down for maintenance"),
        ):
            api.info()
        assert calls == ["GET /info"] * 2
        with (
            RegistryApi(server.url, "t", backoff=0.01) as api,
            pytest.raises(errors.RegistryUnavailableError),
        ):
            api.register_fingerprints({"sha256": "0" * 64})  # reached the server: a POST is not re-sent
        assert calls[2:] == ["POST /works"]


def test_connection_failures_are_unavailable_and_posts_retry_until_the_server_is_back() -> None:
    app, calls = _flaky(0)
    server = LiveServer(app).start()
    url = server.url
    server.stop()
    with (
        RegistryApi(url, "t", retries=2, backoff=0.01) as api,
        pytest.raises(errors.RegistryUnavailableError, match="unreachable"),
    ):
        api.info()
    assert calls == []
    server.start()
    try:
        with RegistryApi(url, "t", backoff=0.01) as api:
            assert api.register_fingerprints({"sha256": "0" * 64}).created
    finally:
        server.stop()


# Written from the client's contract (issue 9), not from the code: status -> exception class.
STATUS_TABLE = {
    400: errors.InputError,
    401: errors.AuthError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    413: errors.MediaTooLargeError,
    415: errors.UnsupportedMediaError,
    422: errors.InputError,
    500: errors.RegistryUnavailableError,
    503: errors.RegistryUnavailableError,
}


def test_each_status_maps_to_its_error_class_and_long_details_are_cut() -> None:
    app = FastAPI()

    @app.get("/status/{code}")
    async def status(code: int) -> JSONResponse:
        return JSONResponse({"detail": "x" * 400_000, "error": "Whatever"}, code)

    with serve_app(app) as server, RegistryApi(server.url, "", retries=0) as api:
        for code, cls in STATUS_TABLE.items():
            with pytest.raises(errors.MediaManagerError) as caught:
                api.request("GET", f"/status/{code}")
            assert type(caught.value) is cls, code
            assert f"HTTP {code}" in str(caught.value) and len(str(caught.value)) < 600


def test_real_registry_errors_map_back_to_the_error_tree(live_registry: LiveServer, tmp_path: Path) -> None:
    with RegistryApi(live_registry.url, "") as anon:
        owner = anon.create_owner("Ann")
    token = owner["token"]["token"]
    with RegistryApi(live_registry.url, "mm_not_a_token") as bad, pytest.raises(errors.AuthError):
        bad.me()
    with RegistryApi(live_registry.url, token) as api:
        assert api.me()["id"] == owner["owner"]["id"]
        with pytest.raises(errors.NotFoundError):
            api.get_work("no-such-work")
        fp = fingerprint_content(b"a short poem about rivers " * 40, filename="p.txt")
        body = fingerprints_only_body(fp, {"title": "P"})
        assert api.register_fingerprints(body).created
        with pytest.raises(errors.ConflictError, match="already registered"):
            api.register_fingerprints(body)
        assert not api.register_fingerprints(body, if_exists="return").created
        with pytest.raises(errors.InvalidPreferenceError, match="HTTP 422"):
            api.set_collection_preferences("c", "telepathy=deny")
        with pytest.raises(errors.UnsupportedMediaError, match="HTTP 415"):
            api.upload_work("blob.bin", bytes(range(256)) * 64)


def _book(test_data: Path, n: int) -> str:
    with gzip.open(test_data / "text-sotu" / "corpus.jsonl.gz", "rt") as fh:
        rows = [json.loads(line) for _, line in zip(range(n), fh, strict=False)]
    return " ".join(r["text"] for r in rows)


def test_a_book_registers_and_is_found_through_paged_lookups(
    live_registry: LiveServer, test_data: Path
) -> None:
    book = _book(test_data, 40)  # 148,919 words (red-team D6)
    fp = fingerprint_content(book.encode(), filename="book.txt")
    assert len(fp.fingerprints) == 584
    with RegistryApi(live_registry.url, "") as anon:
        token = anon.create_owner("Author")["token"]["token"]
    with RegistryApi(live_registry.url, token) as api:
        reg = api.register_fingerprints(
            fingerprints_only_body(fp, {"title": "Addresses"}, preferences="genai-train=deny")
        )
        work_id = reg.work["id"]
        words = book.split()
        chapter = " ".join(words[100_000:104_000])  # a copied stretch from the last third
        ch = fingerprint_content(chapter.encode(), filename="c.txt")
        results = api.lookup(
            [
                LookupQuery("book", None, fp.media_type, tuple(fp.fingerprints)),  # 3 pages
                LookupQuery("chapter", None, ch.media_type, tuple(ch.fingerprints)),
                LookupQuery("bad", sha256="z" * 64),  # refused by the server: this item only
                LookupQuery("exact", sha256=fp.sha256),
            ]
        )
    assert [r.item_id for r in results] == ["book", "chapter", "bad", "exact"]
    assert [m.work_id for m in results[0].matches] == [work_id] and results[0].matches[0].score == 1.0
    assert results[1].matches[0].work_id == work_id
    assert results[2].matches == () and results[2].error and "HTTP 422" in results[2].error
    assert [m.work_id for m in results[3].matches] == [work_id] and results[3].error is None
    assert results[0].error is None
