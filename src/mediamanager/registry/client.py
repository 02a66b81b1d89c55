"""The in-process registry as a :class:`~mediamanager.lookup.RegistryClient` (no HTTP, same answers)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from mediamanager.errors import RegistryUnavailableError
from mediamanager.lookup import LookupQuery, LookupResult, RegistryInfo
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.uow import UnitOfWork

__all__ = ["LocalRegistryClient"]


class LocalRegistryClient:
    """Answers lookups straight from the registry database, in batches of the configured maximum."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.service = LookupService(uow)

    def info(self) -> RegistryInfo:
        try:
            return self.service.info()
        except sa.exc.SQLAlchemyError as exc:
            raise RegistryUnavailableError(f"registry database unavailable: {exc}") from None

    def lookup(self, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        size = self.uow.settings.max_lookup_batch
        out: list[LookupResult] = []
        try:
            for i in range(0, len(queries), size):
                out.extend(self.service.lookup(queries[i : i + size]))
        except sa.exc.SQLAlchemyError as exc:
            raise RegistryUnavailableError(f"registry database unavailable: {exc}") from None
        return out
