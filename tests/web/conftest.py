"""Portal fixtures: the real app on uvicorn at 127.0.0.1 (SQLite, then PostgreSQL) and real chromium.

``live_portal`` serves ``create_app`` (API and portal on one app, like ``mediamanager serve``) over
a fresh database. ``page`` is a Playwright page in Debian's chromium that may reach loopback only;
any other request is aborted and recorded in ``page.blocked_requests`` so a test can assert that
no page fetched anything from the internet. ``signup``/``login`` walk the real forms.
``screenshot(page, name)`` saves a full-page PNG under ``test-artifacts/web/`` (gitignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tests.loopback import LiveServer, serve_registry

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WIDTHS = {"desktop": 1280, "mobile": 390}
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def live_portal(db_url: str) -> Iterator[LiveServer]:
    """``create_app`` (registry API + portal) on loopback over a fresh SQLite or PostgreSQL database."""
    with serve_registry(db_url, verification_allow_loopback=True, verification_scheme="http") as server:
        yield server


# Module scope: a sync Playwright left running would break later modules that start their own.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _loopback_only(blocked: list[str]) -> Callable[[Any], None]:
    def guard(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    return guard


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh chromium page (1280 px wide) limited to loopback; ``page.blocked_requests`` lists the rest."""
    context = browser.new_context(viewport={"width": WIDTHS["desktop"], "height": 900})
    blocked: list[str] = []
    context.route("**/*", _loopback_only(blocked))
    pg = context.new_page()
    pg.blocked_requests = blocked
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    # A 4xx answer the test provokes on purpose shows up as "Failed to load resource"; any other
    # console error (a CSP violation, a script exception) is recorded.
    pg.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None
        ),
    )
    pg.js_errors = errors
    try:
        yield pg
    finally:
        context.close()


def signup(page: Any, base_url: str, email: str, password: str = PASSWORD, name: str = "") -> None:
    """Create an account through the sign-up form; the browser ends signed in on My works."""
    page.goto(f"{base_url}/signup")
    page.fill("#display_name", name or email.split("@")[0])
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action='/signup'] button[type=submit]")
    page.wait_for_url(f"{base_url}/my/works")


def login(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base_url) + r"/my/.*"))


def screenshot(page: Any, name: str, *, widths: tuple[str, ...] = ("desktop", "mobile")) -> list[Path]:
    """Full-page PNGs of the current page at 1280 px and 390 px wide: ``test-artifacts/web/<name>-<width>.png``."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    saved = []
    for label in widths:
        page.set_viewport_size({"width": WIDTHS[label], "height": 900})
        path = ARTEFACTS / f"{name}-{WIDTHS[label]}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    if original:
        page.set_viewport_size(original)
    return saved


class PortalClient:
    """An httpx client that signs up through the real forms and posts them with the page's CSRF token."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)

    def csrf(self, path: str = "/my/account") -> str:
        found = _CSRF.search(self.http.get(path).text)
        assert found is not None, f"no CSRF field on {path}"
        return found.group(1)

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, page: str = "/my/account", **kw: Any
    ) -> httpx.Response:
        return self.http.post(path, data={"csrf_token": self.csrf(page), **(data or {})}, **kw)

    def signup(self, email: str, password: str = PASSWORD, name: str = "") -> httpx.Response:
        token = self.csrf("/signup")
        answer = self.http.post(
            "/signup",
            data={"csrf_token": token, "email": email, "password": password, "display_name": name or email},
        )
        assert answer.status_code == 303, answer.text
        return answer

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def portal_client(live_portal: LiveServer) -> Iterator[Callable[[], PortalClient]]:
    """A factory of independent browsers-without-JS (each its own cookie jar) against ``live_portal``."""
    made: list[PortalClient] = []

    def make() -> PortalClient:
        made.append(PortalClient(live_portal.url))
        return made[-1]

    yield make
    for c in made:
        c.close()
