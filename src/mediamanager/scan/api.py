"""The scanner as a library: a per-record check for ``datasets.Dataset.filter`` and a datatrove step.

Example with Hugging Face datasets::

    from mediamanager.scan import allowed
    ds = ds.filter(lambda row: allowed(row, purpose="genai-train", registry="snapshot/"))

Example with datatrove (any pipeline position after a reader)::

    from mediamanager.scan.api import ConsentFilter
    pipeline = [JsonlReader("data/"), ConsentFilter(purpose="genai-train", registry="snapshot/"), JsonlWriter("out/")]

Both run the same steps as ``mediamanager scan``; an unreadable item is not allowed,
and an unreachable registry raises :class:`~mediamanager.errors.RegistryUnavailableError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mediamanager.lookup import RegistryClient
from mediamanager.model import Decision, Outcome, Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.pipeline import run_steps
from mediamanager.scan.readers.base import Columns, record_from_mapping
from mediamanager.scan.record import Record
from mediamanager.scan.steps import StepContext

__all__ = ["ConsentFilter", "allowed", "decide_record"]

_CONTEXTS: dict[tuple[Any, ...], StepContext] = {}


def _context(
    purpose: str | Purpose,
    registry: str | RegistryClient,
    unknown: str,
    user_agent: str | None,
    evidence: str | None,
) -> StepContext:
    spec = registry if isinstance(registry, str) else f"client:{id(registry)}"
    key = (str(purpose), spec, unknown, user_agent, evidence)
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        config = ScanConfig(
            purpose=Purpose.parse(str(purpose)),
            registry=spec,
            scan_time=utcnow().replace(microsecond=0),
            unknown=unknown,
            user_agent=user_agent,
            evidence_cache=evidence,
        )
        ctx = StepContext(config, _client=None if isinstance(registry, str) else registry)
        _CONTEXTS[key] = ctx
    return ctx


def decide_record(
    record: Mapping[str, Any] | Record,
    *,
    purpose: str | Purpose = "genai-train",
    registry: str | RegistryClient,
    unknown: str = "drop",
    user_agent: str | None = None,
    evidence: str | None = None,
    columns: Columns | None = None,
) -> Decision:
    """The full decision (outcome, reasons, evidence) for one row or record."""
    ctx = _context(purpose, registry, unknown, user_agent, evidence)
    rec = (
        record
        if isinstance(record, Record)
        else record_from_mapping(record, columns or Columns(), shard="", offset=0)
    )
    (out,) = list(run_steps([rec], ctx))
    assert out.decision is not None
    return out.decision


def allowed(
    record: Mapping[str, Any] | Record,
    *,
    purpose: str | Purpose = "genai-train",
    registry: str | RegistryClient,
    unknown: str = "drop",
    user_agent: str | None = None,
    evidence: str | None = None,
    columns: Columns | None = None,
    licensed: bool = True,
) -> bool:
    """True when the row may be used for ``purpose``: keep, or license when ``licensed`` (conditions apply)."""
    d = decide_record(
        record, purpose=purpose, registry=registry, unknown=unknown, user_agent=user_agent, evidence=evidence,
        columns=columns,
    )  # fmt: skip
    return d.outcome is Outcome.KEEP or (licensed and d.outcome is Outcome.LICENSE)


class ConsentFilter:
    """A datatrove-compatible pipeline step: documents in, allowed documents out.

    It follows datatrove's step contract, ``run(data, rank, world_size)``, and
    is callable the same way, so it works without datatrove installed. A
    document is anything with ``text``, ``id`` and a ``metadata`` dict (url,
    headers, html_head... are read from metadata); each kept document gets
    ``metadata["mediamanager"]`` with its outcome and reason, and ``counts`` tallies the outcomes.
    """

    name = "🛡 Media Manager consent filter"
    type = "🔻 - FILTER"

    def __init__(
        self,
        *,
        purpose: str | Purpose = "genai-train",
        registry: str | RegistryClient,
        unknown: str = "drop",
        user_agent: str | None = None,
        evidence: str | None = None,
        licensed: bool = True,
    ) -> None:
        self.kwargs: dict[str, Any] = {
            "purpose": purpose, "registry": registry, "unknown": unknown, "user_agent": user_agent,
            "evidence": evidence,
        }  # fmt: skip
        self.licensed = licensed
        # Outcome counts. Not ``stats``: datatrove's executor reads a step's ``stats`` as its own
        # Stats object when it saves the pipeline's statistics.
        self.counts: dict[str, int] = {}

    def run(self, data: Any, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        for doc in data:
            meta = dict(getattr(doc, "metadata", None) or {})
            row = {**meta, "id": getattr(doc, "id", None), "text": getattr(doc, "text", None)}
            d = decide_record(row, **self.kwargs)
            self.counts[d.outcome.value] = self.counts.get(d.outcome.value, 0) + 1
            if d.outcome is Outcome.KEEP or (self.licensed and d.outcome is Outcome.LICENSE):
                if isinstance(getattr(doc, "metadata", None), dict):
                    doc.metadata["mediamanager"] = {"outcome": d.outcome.value, "reason": d.reasons[0]}
                yield doc

    def __call__(self, data: Any, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        return self.run(data, rank, world_size)
