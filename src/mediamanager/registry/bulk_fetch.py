"""Fetching for bulk registration (sitemaps, feeds, the pages they list, manifest URLs), behind the
address guard.

Every hop, redirects included, resolves its host through :func:`mediamanager.netguard.public_address`
and connects to the checked address itself (``Host`` and TLS SNI still name the host), so a
received sitemap cannot make the creator's machine fetch from its own network (loopback, private,
link-local or metadata addresses). ``allow_loopback`` (``Settings.bulk_fetch_allow_loopback``,
env ``MEDIAMANAGER_BULK_FETCH_ALLOW_LOOPBACK``) admits loopback for tests and development only.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import httpx

from mediamanager.errors import InputError, MediaTooLargeError
from mediamanager.netguard import public_address

__all__ = ["MAX_REDIRECTS", "guarded_fetch"]

MAX_REDIRECTS = 5


def _pinned(url: str, allow_loopback: bool) -> tuple[str, str, str]:
    """(URL with the checked address as host, Host header, SNI name) for ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url}: only http(s) URLs with a host can be fetched")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    ip = public_address(host, port, allow_loopback=allow_loopback, error=InputError)
    netloc = f"[{ip}]" if ":" in ip else ip
    if parts.port:
        netloc += f":{parts.port}"
    target = parts._replace(netloc=netloc).geturl()
    return target, parts.netloc.rsplit("@", 1)[-1], host


def guarded_fetch(url: str, limit: int, *, timeout: float = 30.0, allow_loopback: bool = False) -> bytes:
    """The body of ``url`` (at most ``limit`` bytes), following up to :data:`MAX_REDIRECTS` redirects,
    each one through the address guard; anything else is an :class:`InputError`."""
    current = url
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                target, host_header, sni = _pinned(current, allow_loopback)
                with client.stream(
                    "GET",
                    target,
                    headers={"Host": host_header, "User-Agent": "mediamanager-bulk"},
                    extensions={"sni_hostname": sni},
                ) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        current = urljoin(current, resp.headers["location"])
                        continue
                    if resp.status_code != 200:
                        raise InputError(f"{url}: HTTP {resp.status_code}")
                    body = bytearray()
                    for chunk in resp.iter_bytes():
                        body.extend(chunk)
                        if len(body) > limit:
                            raise MediaTooLargeError(f"{url} is larger than {limit} bytes")
                    return bytes(body)
    except httpx.HTTPError as exc:
        raise InputError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
    raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects")
