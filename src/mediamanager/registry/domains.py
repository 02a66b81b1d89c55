"""Domains: an owner claims a domain, publishes a token, and the registry verifies it.

The owner publishes the token at ``/.well-known/mediamanager-verification.txt``. The registry
fetches ``{scheme}://{domain}/.well-known/mediamanager-verification.txt`` with httpx, without
following redirects (a redirect could hand the proof to another host), within a timeout, reading
at most ``max_bytes``. The claim is verified when one line of the file, stripped, equals the token
the registry issued for that owner and domain. ``verification_timeout_s`` is a deadline on the
whole check, and the fetch is async (httpx.AsyncClient), so slow sites never hold the API's threads.

Before connecting, the host passes :func:`mediamanager.netguard.public_address` (SSRF guard); the
connection then goes to the checked address itself (``Host`` and TLS SNI still name the domain).
``allow_loopback`` (``Settings.verification_allow_loopback``) admits loopback for tests and development only.
"""

from __future__ import annotations

import asyncio
import fnmatch
import functools
import re
import secrets
import ssl
from typing import Any

import httpx
import sqlalchemy as sa

from mediamanager.errors import InputError, NotFoundError, VerificationError
from mediamanager.netguard import public_address
from mediamanager.registry.preferences import pref_record
from mediamanager.registry.records import DomainRecord, Owner, PreferenceRecord
from mediamanager.registry.store.tables import domains, preferences
from mediamanager.registry.uow import UnitOfWork, new_id

__all__ = [
    "WELL_KNOWN_PATH",
    "DomainService",
    "check_domain_token",
    "normalise_domain",
    "verification_url",
]


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


async def check_domain_token(
    domain: str,
    token: str,
    *,
    scheme: str = "https",
    timeout_s: float = 5.0,
    max_bytes: int = 4096,
    allow_loopback: bool = False,
) -> None:
    """Raise :class:`VerificationError` unless the domain serves ``token`` at the well-known path.

    ``timeout_s`` bounds the whole check (name resolution, connect, every read), not each read: a
    server dripping a byte every few seconds fails at the deadline. The fetch is async, so a slow
    site holds no worker thread of the API while it waits.
    """
    url = verification_url(domain, scheme)
    try:
        async with asyncio.timeout(timeout_s):
            body = await _fetch(domain, scheme, timeout_s, max_bytes, allow_loopback, url)
    except TimeoutError:
        raise VerificationError(f"{url} did not answer in full within {timeout_s:g} s") from None
    lines = {line.strip() for line in body.decode("utf-8", "replace").splitlines()}
    if token not in lines:
        raise VerificationError(f"{url} does not contain the verification token")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every check: building one loads the CA bundle, too slow to repeat on the event loop."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


async def _fetch(
    domain: str, scheme: str, timeout_s: float, max_bytes: int, allow_loopback: bool, url: str
) -> bytes:
    name = normalise_domain(domain)
    host, _, port = name.partition(":")
    default_port = 443 if scheme == "https" else 80
    # getaddrinfo blocks: run it beside the event loop (still under the caller's deadline).
    ip = await asyncio.to_thread(
        public_address, host, int(port) if port else default_port, allow_loopback=allow_loopback
    )
    pinned = f"{scheme}://{f'[{ip}]' if ':' in ip else ip}{':' + port if port else ''}{WELL_KNOWN_PATH}"
    body = b""
    tls = _tls() if scheme == "https" else False
    try:
        async with (
            httpx.AsyncClient(
                timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False, verify=tls
            ) as client,
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
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise VerificationError(f"{url} is larger than {max_bytes} bytes")
    except httpx.HTTPError as exc:
        raise VerificationError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
    return body


def _host(name: str) -> str:
    """``example.com:8443/photos/*`` -> ``example.com``; IPv6 literals keep their brackets' content whole."""
    hostport = name.split("/", 1)[0].lower()
    if hostport.startswith("["):
        return hostport[1:].split("]", 1)[0]
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


def _domain(row: Any) -> DomainRecord:
    return DomainRecord(row.id, row.owner_id, row.domain, row.token, row.created_at, row.verified_at)


class DomainService:
    """Claim, list and verify domains; read an owner's preferences on a domain."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def add_domain(self, owner: Owner, domain: str) -> DomainRecord:
        """Claim a domain: returns the token to publish at ``/.well-known/mediamanager-verification.txt``."""
        name = normalise_domain(domain)
        with self.uow.write(owner.id) as tx:
            row = tx.conn.execute(
                sa.select(domains).where(domains.c.owner_id == owner.id, domains.c.domain == name)
            ).first()
            if row is not None:
                return _domain(row)
            rec = DomainRecord(
                new_id(), owner.id, name, "mm-verify-" + secrets.token_hex(16), self.uow.now(), None
            )
            tx.conn.execute(sa.insert(domains).values(**rec.__dict__))
            tx.log("domain.claim", "domain", rec.id, owner_id=owner.id, domain=name)
            return rec

    def list_domains(self, owner: Owner) -> list[DomainRecord]:
        with self.uow.read() as conn:
            rows = conn.execute(
                sa.select(domains).where(domains.c.owner_id == owner.id).order_by(domains.c.domain)
            ).all()
        return [_domain(r) for r in rows]

    def verified_domains(self, owner_id: str) -> list[DomainRecord]:
        with self.uow.read() as conn:
            rows = conn.execute(
                sa.select(domains)
                .where(domains.c.owner_id == owner_id, domains.c.verified_at.is_not(None))
                .order_by(domains.c.domain)
            ).all()
        return [_domain(r) for r in rows]

    async def verify_domain(self, owner: Owner, domain: str) -> DomainRecord:
        """Fetch the domain's verification file; mark the claim verified when it holds the token.

        Async: the database steps run in a worker thread, the fetch on the event loop.
        """
        name = normalise_domain(domain)
        row = await asyncio.to_thread(self._claim, owner, name)
        settings = self.uow.settings
        await check_domain_token(
            name,
            row.token,
            scheme=settings.verification_scheme,
            timeout_s=settings.verification_timeout_s,
            max_bytes=settings.verification_max_bytes,
            allow_loopback=settings.verification_allow_loopback,
        )
        return await asyncio.to_thread(self._mark_verified, owner, row)

    def _claim(self, owner: Owner, name: str) -> Any:
        with self.uow.read() as conn:
            row = conn.execute(
                sa.select(domains).where(domains.c.owner_id == owner.id, domains.c.domain == name)
            ).first()
        if row is None:
            raise NotFoundError(f"no claim on domain {name!r}; add it first")
        return row

    def _mark_verified(self, owner: Owner, row: Any) -> DomainRecord:
        with self.uow.write(owner.id) as tx:
            now = self.uow.now()
            tx.conn.execute(sa.update(domains).where(domains.c.id == row.id).values(verified_at=now))
            tx.log("domain.verify", "domain", row.id, owner_id=owner.id, domain=row.domain)
        return DomainRecord(row.id, row.owner_id, row.domain, row.token, row.created_at, now)

    def domain_preferences(self, owner_id: str, domain: str) -> list[PreferenceRecord]:
        """The owner's domain-level preferences whose pattern's host covers ``domain`` (ports aside).

        Source URLs match patterns by host name, without the port, so ``example.com:8443`` and a
        pattern ``example.com/photos/*`` (or ``example.com:8443/photos/*``) are on the same site.
        """
        with self.uow.read() as conn:
            rows = conn.execute(
                sa.select(preferences).where(
                    preferences.c.owner_id == owner_id, preferences.c.scope == "domain"
                )
            ).all()
        host = _host(domain)
        return [pref_record(r) for r in rows if fnmatch.fnmatchcase(host, _host(r.target))]
