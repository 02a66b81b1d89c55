"""Portal security against a real loopback server (SQLite, then PostgreSQL): IDOR, CSRF, CSP,
escaping, session fixation, logout, login rate limit, upload cap and type check, password reset.

Oracles are written from the rules, not read from the code: a second account answers 404 on every
object route; a form without the right token answers 403; the CSP header is the literal policy the
issue asks for; an XSS title comes back as the escaped text ``&lt;script&gt;``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image
from tests.loopback import LiveServer
from tests.web.conftest import PASSWORD, PortalClient

XSS = "<script>alert('pwned')</script><img src=x onerror=alert(1)>"


def _jpeg(seed: int = 0, size: int = 64) -> bytes:
    img = Image.new("RGB", (size, size), (seed * 37 % 256, seed * 91 % 256, 120))
    for x in range(0, size, 8):
        for y in range(0, size, 8):
            if (x // 8 + y // 8 + seed) % 3 == 0:
                img.paste((255, 255 - seed % 200, 0), (x, y, x + 8, y + 8))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def _upload(
    c: PortalClient, content: bytes, name: str = "a.jpg", ctype: str = "image/jpeg", keep: bool = True
) -> httpx.Response:
    token = c.csrf("/my/register")
    return c.http.post(
        "/my/register/upload",
        files={"file": (name, content, ctype)},
        data={"keep": "true"} if keep else {},
        headers={"X-CSRF-Token": token},
    )


# Every portal route with a path parameter, classified: (method, path) -> status B gets with A's id.
PORTAL_OBJECT_ROUTES: dict[tuple[str, str], int] = {
    ("GET", "/my/works/{work_id}/thumbnail"): 404,
    ("POST", "/my/domains/{domain}/verify"): 404,
    ("POST", "/my/tokens/{token_id}/revoke"): 404,
    # a reset token is a bearer secret of its own, not an object id: a made-up one renders the form
    ("GET", "/reset/{token}"): 200,
    ("POST", "/reset/{token}"): 400,
}

# Swept with real disputes, licences and ledger events of a first account in
# tests/web/test_ledger_pages.py::test_another_account_gets_404_on_every_object_route.
SWEPT_IN_LEDGER_PAGES = {
    ("GET", "/my/disputes/{dispute_id}"),
    ("POST", "/my/disputes/{dispute_id}/resolve"),
    ("POST", "/my/disputes/{dispute_id}/respond"),
    ("POST", "/my/disputes/{dispute_id}/withdraw"),
    ("GET", "/my/licences/{licence_id}"),
    ("GET", "/my/licences/{licence_id}/grant.json"),
    ("POST", "/my/licences/{licence_id}/accept"),
    ("POST", "/my/licences/{licence_id}/decline"),
    ("POST", "/my/licences/{licence_id}/revoke"),
    ("GET", "/my/usage/{work_id}"),
}
# A period is not an object: the statement is always the signed-in owner's own.
OWN_DATA_ONLY = {("GET", "/my/statements/{period}/download"), ("GET", "/my/statements/{period}/print")}


def test_every_portal_object_route_answers_404_to_another_account(
    live_portal: LiveServer, portal_client: Callable[[], PortalClient]
) -> None:
    from mediamanager.web.pages import PAGES

    routes = {
        (m, r.path)
        for router in PAGES
        for r in router.routes
        for m in getattr(r, "methods", ())
        if "{" in getattr(r, "path", "") and m != "HEAD"
    }
    unclassified = routes - set(PORTAL_OBJECT_ROUTES) - SWEPT_IN_LEDGER_PAGES - OWN_DATA_ONLY
    assert sorted(unclassified) == [], "classify new portal routes here"
    a, b = portal_client(), portal_client()
    a.signup("alice@example.org")
    b.signup("bob@example.org")
    work = _upload(a, _jpeg(1)).json()
    assert a.post("/my/domains", {"domain": "alice.example"}).status_code == 303
    created = a.post("/my/tokens", {"label": "second"}, page="/my/tokens")
    token_id = re.findall(r'action="/my/tokens/([0-9a-f]{32})/revoke"', created.text)[0]
    ids = {
        "work_id": work["work_id"],
        "domain": "alice.example",
        "token_id": token_id,
        "token": "not-a-token",
    }
    assert a.http.get(f"/my/works/{work['work_id']}/thumbnail").status_code == 200  # A sees A's own
    for (method, path), expected in sorted(PORTAL_OBJECT_ROUTES.items()):
        url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
        page = "/my/account" if path.startswith("/my") else "/login"
        answer = b.http.get(url) if method == "GET" else b.post(url, {"password": PASSWORD}, page=page)
        assert answer.status_code == expected, (method, path, answer.status_code)
        assert "alice@example.org" not in answer.text  # the id is echoed like a missing one, nothing more
    # A's token is still active and A's work still listed: B changed nothing
    assert "revoked" not in a.http.get("/my/tokens").text
    assert "1 work" in a.http.get("/my/works").text
    # and B's own list shows none of A's works
    assert "0 works" in b.http.get("/my/works").text


def test_csrf_is_enforced_on_every_form(
    live_portal: LiveServer, portal_client: Callable[[], PortalClient]
) -> None:
    c = portal_client()
    c.signup("carol@example.org")
    forms = [
        "/logout",
        "/my/tokens",
        "/my/domains",
        "/my/preferences",
        "/my/preferences/preview",
        "/my/account/delete",
    ]
    for path in forms:
        assert c.http.post(path, data={"label": "x", "domain": "x.example"}).status_code == 403, path
        assert c.http.post(path, data={"csrf_token": "wrong" * 9}).status_code == 403, path
    assert (
        c.http.post("/my/register/upload", files={"file": ("a.jpg", _jpeg(), "image/jpeg")}).status_code
        == 403
    )
    # anonymous forms too: login without the cookie-bound token is refused
    fresh = httpx.post(f"{live_portal.url}/login", data={"email": "carol@example.org", "password": PASSWORD})
    assert fresh.status_code == 403
    # and the session survived all of it
    assert c.http.get("/my/works").status_code == 200


def test_csp_header_and_no_inline_script_on_any_page(
    live_portal: LiveServer, portal_client: Callable[[], PortalClient]
) -> None:
    c = portal_client()
    pages_anonymous = ["/", "/signup", "/login", "/reset"]
    for path in pages_anonymous:
        _check_page(c.http.get(path), path)
    c.signup("dave@example.org")
    for path in ["/my/works", "/my/register", "/my/preferences", "/my/domains", "/my/tokens", "/my/account"]:
        _check_page(c.http.get(path), path)


def _check_page(answer: httpx.Response, path: str) -> None:
    assert answer.status_code == 200, path
    csp = answer.headers["content-security-policy"]
    directives = {d.strip().split()[0]: d.strip().split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"], path
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == ["'none'"]
    html = answer.text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I)
    assert scripts, path
    for attrs, body in scripts:
        assert 'src="/static/' in attrs and body.strip() == "", (path, attrs)
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), path  # no inline event handlers
    assert "javascript:" not in html.lower()
    # every asset is local: no src or href points at another host
    assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_an_xss_title_renders_as_text(
    live_portal: LiveServer, portal_client: Callable[[], PortalClient]
) -> None:
    c = portal_client()
    c.signup("eve@example.org", name=XSS)
    _upload(c, _jpeg(2), name=XSS + ".jpg")
    html = c.http.get("/my/works").text
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    listing = c.http.get("/my/works", params={"q": XSS}).text
    assert "<script>alert" not in listing and "1 work" in listing


def test_session_id_changes_at_login_and_logout_ends_it(
    live_portal: LiveServer, portal_client: Callable[[], PortalClient]
) -> None:
    c = portal_client()
    c.signup("frank@example.org")
    first = c.http.cookies["mm_session"]
    # an attacker plants a session id before the victim logs in: login must not adopt it
    attacker = portal_client()
    attacker.signup("mallory@example.org")
    planted = attacker.http.cookies["mm_session"]
    victim = httpx.Client(base_url=live_portal.url, follow_redirects=False)
    victim.cookies.set("mm_session", planted)
    token = re.search(r'name="csrf_token" value="([^"]+)"', victim.get("/login").text)
    assert token is not None
    # the planted session is Mallory's, so the login page carries her CSRF token; login rotates the id
    answer = victim.post(
        "/login", data={"csrf_token": token.group(1), "email": "frank@example.org", "password": PASSWORD}
    )
    assert answer.status_code == 303
    new = re.search(r"mm_session=([^;]+)", answer.headers["set-cookie"]).group(1)  # type: ignore[union-attr]
    assert new not in (planted, first)
    assert "frank" in victim.get("/my/account").text
    # Mallory's planted id was closed by the login that replaced it
    assert attacker.http.get("/my/works").status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # logout deletes the session server-side: the old cookie value no longer opens anything
    assert (
        victim.post(
            "/logout",
            data={
                "csrf_token": re.search(
                    r'name="csrf_token" value="([^"]+)"', victim.get("/my/account").text
                ).group(1)
            },
        ).status_code
        == 303
    )  # type: ignore[union-attr]
    replay = httpx.get(f"{live_portal.url}/my/works", cookies={"mm_session": new}, follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login?next=")
    victim.close()


def test_pages_need_a_session(live_portal: LiveServer) -> None:
    answer = httpx.get(f"{live_portal.url}/my/works?q=x", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Fmy%2Fworks%3Fq%3Dx"
    assert httpx.post(f"{live_portal.url}/my/tokens").status_code == 403


def test_login_is_rate_limited_per_account_and_address(
    live_portal: LiveServer, portal_client: Callable[[], PortalClient]
) -> None:
    c = portal_client()
    c.signup("grace@example.org")
    other = portal_client()
    codes = []
    for _ in range(6):
        codes.append(
            other.post(
                "/login", {"email": "grace@example.org", "password": "wrong password!"}, page="/login"
            ).status_code
        )
    assert codes == [401, 401, 401, 401, 401, 429]
    # even the right password waits now
    right = other.post("/login", {"email": "grace@example.org", "password": PASSWORD}, page="/login")
    assert right.status_code == 429
    # another account from the same address is not locked out
    portal_client().signup("heidi@example.org")
    ok = other.post("/login", {"email": "heidi@example.org", "password": PASSWORD}, page="/login")
    assert ok.status_code == 303


def test_uploads_are_capped_and_type_checked(
    live_portal: LiveServer, portal_client: Callable[[], PortalClient]
) -> None:
    c = portal_client()
    c.signup("ivan@example.org")
    assert _upload(c, b"MZ\x90\x00" * 100, "tool.exe", "application/x-msdownload").status_code == 415
    corrupt = _upload(c, b"\xff\xd8\xff\xe0 not really a jpeg" * 10, "bad.jpg", "image/jpeg")
    assert corrupt.status_code in (415, 422) and "error" in corrupt.json()
    limit = live_portal.settings.max_upload_bytes  # type: ignore[union-attr]
    too_big = _upload(c, b"\0" * (limit + 1024 * 1024), "huge.jpg", "image/jpeg")
    assert too_big.status_code == 413
    ok = _upload(c, _jpeg(3), "fine.jpg", "image/jpeg", keep=False)
    assert ok.status_code == 201 and ok.json()["media_type"] == "image"
    again = _upload(c, _jpeg(3), "fine-again.jpg", "image/jpeg", keep=False)
    assert again.status_code == 200 and again.json()["status"] == "already registered"
    # not kept: no thumbnail, the bytes are gone
    assert c.http.get(f"/my/works/{ok.json()['work_id']}/thumbnail").status_code == 404
    assert "2 works" not in c.http.get("/my/works").text and "1 work" in c.http.get("/my/works").text


def test_password_reset_link_is_one_time(
    live_portal: LiveServer, portal_client: Callable[[], PortalClient], capsys: Any
) -> None:
    c = portal_client()
    c.signup("judy@example.org")
    other = portal_client()
    assert other.post("/reset", {"email": "judy@example.org"}, page="/reset").status_code == 303
    assert other.post("/reset", {"email": "nobody@example.org"}, page="/reset").status_code == 303
    out = capsys.readouterr().out
    links = re.findall(r"password reset link for (\S+): (\S+)", out)
    assert [who for who, _ in links] == ["judy@example.org"]
    path = links[0][1].split(live_portal.url, 1)[1]
    assert other.post(path, {"password": "a brand new password"}, page=path).status_code == 303
    assert other.post(path, {"password": "yet another password"}, page=path).status_code == 400  # used
    assert c.http.get("/my/works").status_code == 303  # the old session ended with the reset
    fresh = portal_client()
    ok = fresh.post(
        "/login", {"email": "judy@example.org", "password": "a brand new password"}, page="/login"
    )
    assert ok.status_code == 303
