"""What a step is given besides its records: the scan's config and per-process resources."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mediamanager.lookup import RegistryClient
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.record import Record

__all__ = ["Step", "StepContext"]


@dataclass
class StepContext:
    """The config plus resources opened once per process (the registry client, the evidence cache)."""

    config: ScanConfig
    shard: str = ""
    _client: RegistryClient | None = None
    _cache: Any = None
    resources: dict[str, Any] = field(default_factory=dict)

    @property
    def client(self) -> RegistryClient:
        """The registry client, opened on first use in this process."""
        if self._client is None:
            from mediamanager.scan.clients import open_registry_client

            self._client = open_registry_client(self.config.registry)
        return self._client

    @property
    def evidence_cache(self) -> Any:
        """The crawl-evidence cache, or None when the scan has none."""
        if self._cache is None and self.config.evidence_cache:
            from mediamanager.scan.evidence import EvidenceCache

            self._cache = EvidenceCache(self.config.evidence_cache, readonly=True)
        return self._cache


# A step: records in, records out, with the context; a plain function with this signature is a step.
Step = Callable[[Iterator[Record], StepContext], Iterator[Record]]
