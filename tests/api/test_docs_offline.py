"""``/docs`` and ``/redoc`` render every route in real chromium with the network cut off.

A real uvicorn server on loopback serves the app; chromium may reach 127.0.0.1 only. Every other
request is blocked and recorded, and the test asserts there were none: FastAPI's stock pages
fetch Swagger UI, ReDoc, a favicon and Google Fonts from the internet and stay blank offline.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from mediamanager.api.app import create_app
from mediamanager.api.server import serve_in_thread
from mediamanager.settings import Settings

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'docs.db'}"))
    yield app
    app.state.engine.dispose()


def _operations(app: FastAPI) -> list[tuple[str, str, str, int]]:
    """(method, path, summary, number of tags) of every documented operation."""
    return [
        (method, path, op["summary"], len(op.get("tags") or ["default"]))
        for path, item in app.openapi()["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _open(page_name: str, app: FastAPI, ready: str) -> tuple[str, list[str], list[str]]:
    """Load ``page_name`` in headless chromium; return its text, blocked and failed request URLs."""
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []
    failed: list[str] = []

    def guard(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    with serve_in_thread(app) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.route("**/*", guard)
            page = context.new_page()
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(f"{server.url}{page_name}")
            page.wait_for_selector(ready, timeout=30_000)
            page.wait_for_load_state("networkidle")
            text: Any = page.evaluate("document.body.innerText")
            if page_name == "/docs":
                text = "\n".join(
                    page.eval_on_selector_all(
                        ".opblock",
                        "els => els.map(e => e.querySelector('.opblock-summary-method').innerText.toLowerCase()"
                        " + ' ' + e.querySelector('.opblock-summary-path').getAttribute('data-path'))",
                    )
                )
        finally:
            browser.close()
    return str(text), blocked, failed


@pytest.mark.browser
def test_swagger_ui_renders_every_route_offline(app: FastAPI) -> None:
    ops = _operations(app)
    assert len(ops) >= 20  # the registry's API, not an empty schema
    text, blocked, failed = _open("/docs", app, ".opblock")
    assert blocked == []
    assert failed == []
    # Swagger UI lists an operation once under each of its tags.
    assert sorted(text.splitlines()) == sorted(f"{m} {p}" for m, p, _, tags in ops for _ in range(tags))


@pytest.mark.browser
def test_redoc_renders_every_route_offline(app: FastAPI) -> None:
    ops = _operations(app)
    text, blocked, failed = _open("/redoc", app, "[data-role='redoc-summary'], .api-content")
    assert blocked == []
    assert failed == []
    missing = [(m, p) for m, p, _, _ in ops if p not in text]
    assert missing == []
    missing_summaries = [s for _, _, s, _ in ops if s not in text]
    assert missing_summaries == []
