"""One normal form for a work's source URL, so that a lookup by URL finds it however it was spelled.

Two URLs name the same page when they differ only in: the case of the scheme or host, ``http``
versus ``https``, a leading ``www.``, the scheme's default port, a trailing slash (the root path
is kept), the order of query parameters, a fragment, the case or needless use of percent-escapes,
or an internationalised host written in Unicode rather than IDNA (``xn--``). Pure: no I/O.

:func:`url_hash` is what the registry indexes (table ``work_urls``) and the snapshot stores
(``urls.npy``): the sha256 of the normal form, never the URL itself.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

__all__ = ["MAX_URL_LENGTH", "normalise_url", "url_hash"]

MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 3986 unreserved characters never need an escape; reserved ones keep theirs (``%2F`` stays).
_PATH_SAFE = "/:@!$&'()*+,;="
_QUERY_SAFE = "/:@!$'()*,;"
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _requote(text: str, safe: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others, escape what must be."""

    def fix(m: re.Match[str]) -> str:
        ch = chr(int(m.group(0)[1:], 16))
        if ch.isascii() and (ch.isalnum() or ch in "-._~"):
            return ch
        return m.group(0).upper()

    parts = _ESCAPE.split(text)
    escapes = [fix(m) for m in _ESCAPE.finditer(text)]
    out = [quote(parts[0], safe=safe + "%")]
    for esc, part in zip(escapes, parts[1:], strict=True):
        out.append(esc)
        out.append(quote(part, safe=safe + "%"))
    # quote() left bare '%' signs that start no escape alone (safe includes '%'): escape them.
    return re.sub(r"%(?![0-9A-F]{2})", "%25", "".join(out))


def _host(raw: str) -> str:
    host = unquote(raw).rstrip(".").lower()
    if host.startswith("[") or not host:
        return host  # an IPv6 literal (or nothing) is kept as written, lower-cased
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"host {raw!r} is not a valid domain name") from None
    return host.removeprefix("www.")


def normalise_url(url: str) -> str:
    """The normal form of an absolute http(s) URL; raises ValueError for anything else.

    >>> normalise_url("HTTPS://www.Example.com:443/a/b/?z=1&a=2#top")
    'http://example.com/a/b?a=2&z=1'
    """
    text = url.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise ValueError(f"a URL must have 1 to {MAX_URL_LENGTH} characters")
    if any(not c.isprintable() or c.isspace() for c in text):
        raise ValueError("a URL must not contain spaces or control characters")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(
            f"only http and https URLs can be looked up, not {parts.scheme or 'a relative URL'!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"bad port in {text[:100]!r}") from None
    host = _host(parts.hostname or "")
    if not host:
        raise ValueError(f"no host in {text[:100]!r}")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # urlsplit strips the brackets of an IPv6 literal
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _requote(parts.path, _PATH_SAFE)
    if path.endswith("/"):
        path = path.rstrip("/")
    path = path or "/"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode(sorted(pairs), quote_via=quote, safe=_QUERY_SAFE)
    # http and https name the same page for this purpose: one scheme in the normal form.
    return f"http://{netloc}{path}" + (f"?{query}" if query else "")


def url_hash(url: str) -> str:
    """sha256 (hex) of :func:`normalise_url` of ``url``."""
    return hashlib.sha256(normalise_url(url).encode("utf-8")).hexdigest()
