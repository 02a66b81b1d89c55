"""The portal's pages in real chromium against a real loopback server (SQLite, then PostgreSQL).

Each test walks a page as a creator would, asserts what the page shows, that no script error
happened and that nothing left loopback, and saves screenshots at 1280 px and 390 px wide.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.loopback import LiveServer, static_site
from tests.web.conftest import screenshot, signup

PHOTOS = "metadata-extractor-images/photos-1024"


def _until(check: Any, timeout: float = 20.0) -> None:
    """Poll ``check()`` from Python: the CSP forbids the eval that page.wait_for_function relies on."""
    import time

    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.1)


def _clean(page: Any) -> None:
    assert page.blocked_requests == []
    assert page.js_errors == []


def test_sign_up_register_fifty_photos_and_browse_them(
    live_portal: LiveServer, page: Any, test_data: Path
) -> None:
    base = live_portal.url
    page.goto(base + "/")
    screenshot(page, "home")
    page.goto(base + "/signup")
    screenshot(page, "signup")
    signup(page, base, "ada@example.org", name="Ada <b>Lovelace</b>")
    assert "Welcome, Ada <b>Lovelace</b>" in page.inner_text(".flashes")  # as text, not markup
    photos = sorted((test_data / PHOTOS).glob("*.jpg"))[:50]
    assert len(photos) == 50
    page.goto(base + "/my/register")
    page.check("#keep")
    page.fill("#collection", "holiday")
    page.set_input_files("#files", [str(p) for p in photos])
    page.click("#upload-button")
    page.wait_for_selector("#upload-summary[data-done=true]", timeout=240_000)
    summary = page.inner_text("#upload-summary")
    assert summary == "Done: 50 registered, 0 already registered, 0 failed, of 50."
    assert page.locator("#upload-list progress").count() == 50
    assert page.eval_on_selector_all("#upload-list progress", "els => els.every(e => e.value === 100)")
    screenshot(page, "register")
    page.goto(base + "/my/works")
    assert page.inner_text("#works-count") == "50 works"
    assert page.locator("table.works tbody tr").count() == 25
    assert page.locator("img.thumb").count() == 25
    assert page.eval_on_selector_all("img.thumb", "els => els.every(e => e.complete && e.naturalWidth > 0)")
    screenshot(page, "works")
    page.click("a[rel=next]")
    assert "Page 2 of 2" in page.inner_text(".pager")
    page.fill("#q", photos[0].name[:12])
    page.click(".filters button")
    assert page.inner_text("#works-count") == "1 work"
    page.select_option("#media_type", "text")
    page.click(".filters button")
    assert page.inner_text("#works-count") == "0 works"
    _clean(page)


def test_drop_files_on_the_drop_zone(live_portal: LiveServer, page: Any) -> None:
    base = live_portal.url
    signup(page, base, "drop@example.org")
    page.goto(base + "/my/register")
    poem = "The sea, the wind, and the long grey line of the shore at dusk. " * 30
    handle = page.evaluate_handle(
        """(text) => { const dt = new DataTransfer();
            dt.items.add(new File([text], "poem.txt", {type: "text/plain"}));
            dt.items.add(new File(["MZ binary"], "tool.exe", {type: "application/x-msdownload"}));
            return dt; }""",
        poem,
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": handle})
    page.wait_for_selector("#upload-summary[data-done=true]", timeout=60_000)
    assert page.inner_text("#upload-summary") == "Done: 1 registered, 0 already registered, 1 failed, of 2."
    states = page.eval_on_selector_all("#upload-list .state", "els => els.map(e => e.textContent)")
    assert states == ["registered", "application/x-msdownload files are not accepted"]
    page.goto(base + "/my/works")
    assert page.inner_text("#works-count") == "1 work"
    _clean(page)


def test_preferences_preview_updates_and_saves(live_portal: LiveServer, page: Any) -> None:
    base = live_portal.url
    signup(page, base, "pref@example.org")
    page.goto(base + "/my/preferences")
    page.select_option("#scope", "collection")
    page.fill("#target", "holiday")
    page.select_option("#genai-train-use", "deny")
    _until(lambda: "Disallow: /" in page.inner_text("pre[data-name='robots.txt']"))
    assert int(page.get_attribute("#prefs-form", "data-previewed") or 0) >= 1
    robots = page.inner_text("pre[data-name='robots.txt']")
    assert "User-Agent: Google-Extended\nDisallow: /" in robots  # Google-Extended serves generative training
    usage = page.inner_text("pre[data-name='Content-Usage']")
    assert re.search(r"train-ai\s*=\s*n", usage), usage
    page.select_option("#ai-input-use", "allow-if")
    page.select_option("#ai-input-payment", "per-item")
    page.fill("#ai-input-amount", "0.05")
    page.fill("#ai-input-currency", "EUR")
    _until(lambda: "0.05" in page.inner_text("pre[data-name='rsl.xml']"))
    screenshot(page, "preferences")
    page.click("#prefs-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/my/preferences\?scope=collection&target=holiday"))
    assert "Saved the collection preferences for holiday." in page.inner_text(".flashes")
    assert page.input_value("#genai-train-use") == "deny"
    assert page.input_value("#ai-input-amount") == "0.05"
    assert "collection: holiday" in page.inner_text(".stated")
    _clean(page)


def test_claim_and_verify_a_domain_on_a_loopback_site(live_portal: LiveServer, page: Any) -> None:
    base = live_portal.url
    signup(page, base, "site@example.org")
    with static_site() as site:
        page.goto(base + "/my/domains")
        page.fill("#domain", site.domain)
        page.click("form[action='/my/domains'] button")
        assert "Not verified yet" in page.inner_text(".domain")
        token = page.inner_text(".domain pre").strip()
        screenshot(page, "domains")
        page.click(".domain form button")  # nothing published yet
        assert "Not verified yet:" in page.inner_text(".flashes")
        site.files["/.well-known/mediamanager-verification.txt"] = (200, token.encode() + b"\n", {})
        page.click(".domain form button")
        assert f"{site.domain} is verified." in page.inner_text(".flashes")
        assert "Verified on" in page.inner_text(".domain")
    _clean(page)


def test_tokens_and_account_export_and_delete(live_portal: LiveServer, page: Any) -> None:
    import json

    base = live_portal.url
    signup(page, base, "tok@example.org")
    page.goto(base + "/my/tokens")
    page.fill("#label", "laptop")
    page.click("form[action='/my/tokens'] button")
    secret = page.inner_text("#new-token").strip()
    assert secret.startswith("mm_")
    screenshot(page, "tokens")
    import httpx

    assert httpx.get(base + "/tokens", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    page.goto(base + "/my/tokens")
    assert secret not in page.content()  # shown once only
    page.click("text=Revoke laptop")
    assert "Revoked the token 'laptop'." in page.inner_text(".flashes")
    assert httpx.get(base + "/tokens", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    page.goto(base + "/my/account")
    screenshot(page, "account")
    with page.expect_download() as download:
        page.click("a[href='/my/account/export']")
    data = json.loads(Path(download.value.path()).read_text())
    assert data["account"]["email"] == "tok@example.org"
    assert [t["label"] for t in data["tokens"]] == ["default", "laptop"]
    page.fill("#confirm", "tok@example.org")
    page.click("form[action='/my/account/delete'] button")
    page.wait_for_url(base + "/")
    assert "Your account, works and preferences are deleted." in page.inner_text(".flashes")
    page.goto(base + "/login")
    page.fill("#email", "tok@example.org")
    page.fill("#password", "correct horse battery staple")
    page.click("form[action='/login'] button")
    assert "wrong e-mail address or password" in page.inner_text("#form-error")
    _clean(page)
