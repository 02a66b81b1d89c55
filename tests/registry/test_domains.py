"""Domain verification against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from tests.loopback import StaticSite, static_site

from mediamanager.errors import InputError, VerificationError
from mediamanager.registry.domains import WELL_KNOWN_PATH, DomainService, check_domain_token, normalise_domain
from mediamanager.registry.records import Owner
from mediamanager.registry.uow import UnitOfWork


@pytest.fixture
def site() -> Iterator[StaticSite]:
    with static_site() as s:
        yield s


def test_domain_is_verified_when_token_is_published(uow: UnitOfWork, alice: Owner, site: StaticSite) -> None:
    claim = DomainService(uow).add_domain(alice, site.domain)
    assert not claim.verified
    with pytest.raises(VerificationError, match="404"):
        asyncio.run(DomainService(uow).verify_domain(alice, site.domain))
    site.files[WELL_KNOWN_PATH] = (200, b"some other line\nwrong-token\n", {})
    with pytest.raises(VerificationError, match="does not contain"):
        asyncio.run(DomainService(uow).verify_domain(alice, site.domain))
    site.files[WELL_KNOWN_PATH] = (200, f"# mediamanager\n{claim.token}\n".encode(), {})
    done = asyncio.run(DomainService(uow).verify_domain(alice, site.domain))
    assert done.verified and [d.domain for d in DomainService(uow).verified_domains(alice.id)] == [
        site.domain
    ]


def test_verification_is_bounded(site: StaticSite) -> None:
    site.files[WELL_KNOWN_PATH] = (200, b"x" * 10_000, {})
    with pytest.raises(VerificationError, match="larger"):
        # A generous deadline: this case is about the size bound, not time, and must hold on a loaded machine.
        asyncio.run(
            check_domain_token(
                site.domain, "t", scheme="http", max_bytes=4096, allow_loopback=True, timeout_s=60
            )
        )
    site.files[WELL_KNOWN_PATH] = (302, b"", {"Location": "http://example.invalid/elsewhere"})
    with pytest.raises(VerificationError, match="302"):
        asyncio.run(check_domain_token(site.domain, "t", scheme="http", allow_loopback=True, timeout_s=60))
    with pytest.raises(VerificationError, match="cannot fetch"):
        asyncio.run(check_domain_token("127.0.0.1:9", "t", scheme="http", timeout_s=1, allow_loopback=True))


def test_bad_domain_names_are_input_errors(uow: UnitOfWork, alice: Owner) -> None:
    for bad in ("", "exa mple.com", "-bad.com", "a" * 300):
        with pytest.raises(InputError):
            normalise_domain(bad)
    with pytest.raises(InputError):
        DomainService(uow).add_domain(alice, "not a domain")
    assert normalise_domain("https://Example.COM/path") == "example.com"
