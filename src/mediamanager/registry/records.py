"""The registry's records, as its use cases hand them out, and the checks on their text fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mediamanager.errors import InputError, InvalidFingerprintError
from mediamanager.model import Fingerprint, MediaType, Preferences

__all__ = [
    "DisputeRecord",
    "DomainRecord",
    "NewToken",
    "Owner",
    "PreferenceRecord",
    "Registration",
    "TokenInfo",
    "WorkInput",
    "WorkRecord",
    "check_sha256",
    "clean_text",
]


def check_sha256(value: str) -> str:
    v = value.strip().lower()
    if len(v) != 64 or not _is_hex(v):
        raise InvalidFingerprintError(f"sha256 must be 64 hex characters, got {value[:80]!r}")
    return v


def _is_hex(value: str) -> bool:
    # bytes.fromhex is C-fast but tolerates spaces between byte pairs, hence the extra check.
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return " " not in value


def clean_text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise InputError(f"{name} is longer than {limit} characters")
    return value


@dataclass(frozen=True)
class Owner:
    """A person or organisation that registers works; an operator may also settle disputes."""

    id: str
    kind: str
    display_name: str
    email: str | None
    created_at: datetime
    operator: bool = False


@dataclass(frozen=True)
class TokenInfo:
    """An API token as the owner may see it (never the secret)."""

    id: str
    owner_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A freshly issued token: the only time its secret is visible."""

    info: TokenInfo
    secret: str


@dataclass(frozen=True)
class WorkInput:
    """What a caller states when registering a work (fingerprints already computed)."""

    media_type: MediaType
    sha256: str
    iscc: str = ""
    fingerprints: tuple[Fingerprint, ...] = ()
    title: str = ""
    creator: str = ""
    aliases: tuple[str, ...] = ()
    source_urls: tuple[str, ...] = ()
    collection: str | None = None
    size_bytes: int | None = None
    preferences: Preferences | None = None


@dataclass(frozen=True)
class WorkRecord:
    """A registered work as its owner sees it."""

    id: str
    owner_id: str
    media_type: MediaType
    title: str
    creator: str
    aliases: tuple[str, ...]
    source_urls: tuple[str, ...]
    collection: str | None
    sha256: str
    iscc: str
    size_bytes: int | None
    status: str
    content_kept: bool
    created_at: datetime
    updated_at: datetime
    fingerprints: tuple[Fingerprint, ...] = ()


@dataclass(frozen=True)
class DisputeRecord:
    """Two owners claiming the same content, seen from one side (``role``: ``earlier``, ``later``, ``operator``).

    ``state`` is ``open``, ``answered``, ``lapsed`` (open past ``deadline_at``: evaluated when read),
    ``withdrawn`` or ``resolved``; ``outcome`` says whose claim stands: ``earlier``, ``later`` or ``shared``.
    """

    id: str
    work_id: str
    other_work_id: str
    other_owner_id: str
    other_owner_name: str
    kind: str
    score: float
    created_at: datetime
    role: str = "earlier"
    state: str = "open"
    deadline_at: datetime | None = None
    my_evidence: str | None = None
    their_evidence: str | None = None
    my_proposal: str | None = None
    their_proposal: str | None = None
    outcome: str | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Registration:
    """The result of registering one work."""

    work: WorkRecord
    created: bool
    disputes: tuple[DisputeRecord, ...] = ()


@dataclass(frozen=True)
class PreferenceRecord:
    """Preferences an owner stated at one level."""

    id: str
    owner_id: str
    scope: str
    target: str
    preferences: Preferences
    updated_at: datetime


@dataclass(frozen=True)
class DomainRecord:
    """A domain an owner claims, and whether the claim is verified."""

    id: str
    owner_id: str
    domain: str
    token: str
    created_at: datetime
    verified_at: datetime | None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None
