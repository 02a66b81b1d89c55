"""The shapes of a registry lookup, shared by the registry, its clients and the scanner.

A lookup asks, for a batch of items, which registered works each one matches and
what the owners of those works prefer. The registry answers it over HTTP
(``POST /lookup``), in process, or from an offline snapshot; the scanner only
ever sees :class:`RegistryClient`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from mediamanager.model import Fingerprint, MediaType, Preferences

# DisputeStatus (the type of WorkMatch.dispute) is importable here; the public list names entry points only.
__all__ = ["DisputeStatus", "LookupQuery", "LookupResult", "RegistryClient", "RegistryInfo", "WorkMatch"]


@dataclass(frozen=True)
class LookupQuery:
    """One item to look up: its exact hash and/or matching-grade fingerprints."""

    item_id: str
    sha256: str | None = None
    media_type: MediaType | None = None
    fingerprints: tuple[Fingerprint, ...] = ()
    url: str | None = None  # where the item is published: a URL-only row is matched by it

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.item_id,
            "sha256": self.sha256,
            "media_type": None if self.media_type is None else self.media_type.value,
            "fingerprints": [f.to_dict() for f in self.fingerprints],
        }
        if self.url is not None:
            d["url"] = self.url
        return d


@dataclass(frozen=True)
class DisputeStatus:
    """Where a matched work's dispute stands, as of the lookup (or, from a snapshot, of its export).

    ``state`` is ``open``, ``answered`` (both live: the work is ``disputed``), ``lapsed`` (unanswered
    past ``deadline_at``: the earlier claim stands), ``withdrawn`` or ``resolved``. ``role`` says
    whether this work is the ``earlier`` or ``later`` registration, which is what ``outcome``
    (``earlier``, ``later`` or ``shared``; set once withdrawn or resolved) refers to. Nothing else
    of a dispute (evidence, proposals, who closed it) is public.
    """

    state: str
    deadline_at: str | None  # ISO-8601, UTC
    role: str
    outcome: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "deadline_at": self.deadline_at,
            "role": self.role,
            "outcome": self.outcome,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> DisputeStatus | None:
        if d is None:
            return None
        return cls(
            state=d["state"], deadline_at=d.get("deadline_at"), role=d["role"], outcome=d.get("outcome")
        )


@dataclass(frozen=True)
class WorkMatch:
    """A registered work matched by a query, with its owner's effective preferences.

    ``disputed`` and ``claimants`` speak of live (open or answered) disputes only; ``dispute`` is
    the work's most relevant dispute in any state (None when it never had one): see
    :func:`mediamanager.registry.disputes.dispute_statuses`.
    """

    work_id: str
    score: float
    kind: str
    owner_id: str
    owner_name: str
    title: str
    iscc: str
    preferences: Preferences
    disputed: bool = False
    claimants: tuple[str, ...] = ()
    dispute: DisputeStatus | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "score": self.score,
            "kind": self.kind,
            "owner_id": self.owner_id,
            "owner_name": self.owner_name,
            "title": self.title,
            "iscc": self.iscc,
            "preferences": self.preferences.to_dict(effective=True),
            "disputed": self.disputed,
            "claimants": list(self.claimants),
            "dispute": None if self.dispute is None else self.dispute.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorkMatch:
        return cls(
            work_id=d["work_id"],
            score=float(d["score"]),
            kind=d["kind"],
            owner_id=d["owner_id"],
            owner_name=d.get("owner_name", ""),
            title=d.get("title", ""),
            iscc=d.get("iscc", ""),
            preferences=Preferences.from_dict(d.get("preferences", {})),
            disputed=bool(d.get("disputed", False)),
            claimants=tuple(d.get("claimants", ())),
            dispute=DisputeStatus.from_dict(d.get("dispute")),
        )


@dataclass(frozen=True)
class LookupResult:
    """The matches for one query, best first (empty when nothing matched).

    ``error`` is set when the registry refused this one query (a 4xx, say, for an item over its
    limits): the item then has no answer, which callers must report as an error, never as "no match".
    """

    item_id: str
    matches: tuple[WorkMatch, ...] = field(default_factory=tuple)
    error: str | None = None


@dataclass(frozen=True)
class RegistryInfo:
    """Which registry answered: a server URL or a snapshot, with its version and content hash."""

    source: str
    version: str
    sha256: str


@runtime_checkable
class RegistryClient(Protocol):
    """The one seam between the scanner and a registry.

    Implementations: an offline snapshot, the in-process registry and the HTTP
    API. ``lookup`` raises :class:`~mediamanager.errors.RegistryUnavailableError`
    when the registry cannot be reached; it never returns "no match" for a
    failure.
    """

    def info(self) -> RegistryInfo: ...

    def lookup(self, queries: Sequence[LookupQuery]) -> list[LookupResult]: ...
