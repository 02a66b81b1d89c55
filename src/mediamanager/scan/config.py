"""What one scan was asked to do: a plain, picklable value shared by the driver and every worker."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from mediamanager.errors import InputError
from mediamanager.model import Purpose

__all__ = ["UNKNOWN_POLICIES", "ScanConfig"]

UNKNOWN_POLICIES = ("keep", "drop")


@dataclass(frozen=True)
class ScanConfig:
    """The policy and plumbing of one scan.

    ``unknown`` is ``drop`` by default: unknown is not allowed, so an item no
    signal and no registered work speaks for is left out unless the builder
    explicitly chooses ``keep`` (and the data card then says so).
    ``iscc`` computes the ISCC code of texts too (slow in pure Python; images and
    audio always get theirs). ``scan_time`` stamps the evidence of captured signals, so a resumed scan
    writes exactly what an uninterrupted one would.
    """

    purpose: Purpose
    registry: str
    scan_time: datetime
    unknown: str = "drop"
    user_agent: str | None = None
    evidence_cache: str | None = None
    batch_size: int = 256
    licensed_in_output: bool = True
    iscc: bool = False
    columns: dict[str, str] = field(default_factory=dict)
    # work id -> grant id of licence grants already verified for this purpose, scan time and key
    # (scan/steps/grants.py); empty when the scan was given no --grants.
    grants: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.unknown not in UNKNOWN_POLICIES:
            raise InputError(f"--unknown must be keep or drop, not {self.unknown!r}")
        if self.batch_size < 1:
            raise InputError("batch size must be at least 1")

    def policy(self) -> dict[str, Any]:
        """The policy part, as written to the report and the data card."""
        return {
            "purpose": self.purpose.value,
            "unknown": self.unknown,
            "user_agent": self.user_agent,
            "licensed_items_in_output": self.licensed_in_output,
            "combine": "deny > allow-if > allow > unknown (most restrictive wins)",
        }

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["purpose"] = self.purpose.value
        d["scan_time"] = self.scan_time.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScanConfig:
        d = dict(d)
        d["purpose"] = Purpose(d["purpose"])
        d["scan_time"] = datetime.fromisoformat(d["scan_time"])
        return cls(**d)
