"""Domain ownership verification: the owner publishes a token at ``/.well-known/mediamanager-verification.txt``.

The registry fetches ``{scheme}://{domain}/.well-known/mediamanager-verification.txt``
with httpx, without following redirects (a redirect could hand the proof to
another host), within a timeout, reading at most ``max_bytes``. The claim is
verified when one line of the file, stripped, equals the token the registry
issued for that owner and domain.

Before connecting, the host passes :func:`mediamanager.netguard.public_address` (SSRF guard); the
connection then goes to the checked address itself (``Host`` and TLS SNI still name the domain).
``allow_loopback`` (``Settings.verification_allow_loopback``) admits loopback for tests and development only.
"""

from __future__ import annotations

import re

import httpx

from mediamanager.errors import InputError, VerificationError
from mediamanager.netguard import public_address

__all__ = ["WELL_KNOWN_PATH", "check_domain_token", "normalise_domain", "verification_url"]

WELL_KNOWN_PATH = "/.well-known/mediamanager-verification.txt"
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$"
)


def normalise_domain(domain: str) -> str:
    """``https://Example.COM/`` -> ``example.com`` (a port is kept); anything else is an :class:`InputError`."""
    d = domain.strip().lower()
    if "://" in d:
        d = d.split("://", 1)[1]
    d = d.split("/", 1)[0]
    if not _DOMAIN.match(d):
        raise InputError(f"not a domain name: {domain[:100]!r}")
    return d


def verification_url(domain: str, scheme: str = "https") -> str:
    return f"{scheme}://{normalise_domain(domain)}{WELL_KNOWN_PATH}"


def check_domain_token(
    domain: str,
    token: str,
    *,
    scheme: str = "https",
    timeout_s: float = 5.0,
    max_bytes: int = 4096,
    allow_loopback: bool = False,
) -> None:
    """Raise :class:`VerificationError` unless the domain serves ``token`` at the well-known path."""
    url = verification_url(domain, scheme)
    name = normalise_domain(domain)
    host, _, port = name.partition(":")
    ip = public_address(
        host, int(port) if port else (443 if scheme == "https" else 80), allow_loopback=allow_loopback
    )
    pinned = f"{scheme}://{f'[{ip}]' if ':' in ip else ip}{':' + port if port else ''}{WELL_KNOWN_PATH}"
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False) as client,
            client.stream(
                "GET",
                pinned,
                headers={"User-Agent": "mediamanager-verifier", "Host": name},
                extensions={"sni_hostname": host},
            ) as resp,
        ):
            if resp.status_code != 200:
                raise VerificationError(
                    f"{url} answered HTTP {resp.status_code}; expected 200 with the token"
                )
            body = b""
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise VerificationError(f"{url} is larger than {max_bytes} bytes")
    except httpx.HTTPError as exc:
        raise VerificationError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
    lines = {line.strip() for line in body.decode("utf-8", "replace").splitlines()}
    if token not in lines:
        raise VerificationError(f"{url} does not contain the verification token")
