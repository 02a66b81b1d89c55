"""What one scan was asked to do: a plain, picklable value shared by the driver and every worker."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from mediamanager.errors import InputError
from mediamanager.model import Purpose

__all__ = ["DEFAULT_MATCH_THRESHOLDS", "UNKNOWN_POLICIES", "URL_ONLY_POLICIES", "ScanConfig"]

UNKNOWN_POLICIES = ("keep", "drop")
URL_ONLY_POLICIES = ("decide", "error")

# The lowest score at which a near-duplicate match of each kind decides an outcome (docs/scan.md).
# minhash: the text index also accepts "containment" hits down to about 0.2, which is how unrelated,
# boilerplate-heavy texts matched registered works (red-team D12); 0.5 is the index's own overlap
# threshold, i.e. at least half of the shorter text is shared. pdq: the index's corroborated-weak
# boundary (PDQ distance 60 with pHash agreeing, 1 - 60/128). orb: 10 verified inliers. chromaprint:
# bit error rate 0.2. Exact kinds (sha256, iscc) always decide; a kind with no threshold never does.
DEFAULT_MATCH_THRESHOLDS: dict[str, float] = {"minhash": 0.5, "pdq": 0.53, "orb": 0.5, "chromaprint": 0.6}


@dataclass(frozen=True)
class ScanConfig:
    """The policy and plumbing of one scan.

    ``unknown`` is ``drop`` by default: unknown is not allowed, so an item no
    signal and no registered work speaks for is left out unless the builder
    explicitly chooses ``keep`` (and the data card then says so).
    ``iscc`` computes the ISCC code of texts too (slow in pure Python; images and
    audio always get theirs). ``match_thresholds`` is the lowest score at which a near-duplicate
    match of each kind decides; weaker ones are only reported as possible matches.
    ``scan_time`` stamps the evidence of captured signals, so a resumed scan
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
    match_thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MATCH_THRESHOLDS))
    # work id -> grant id of licence grants already verified for this purpose, scan time and key
    # (scan/steps/grants.py); empty when the scan was given no --grants.
    grants: dict[str, str] = field(default_factory=dict)
    # URL-only rows (a URL, no content): ``decide`` them from site signals and the registry's URL
    # match before download, or make each an ``error`` row (docs/scan.md, "URL-only datasets").
    url_only: str = "decide"

    def __post_init__(self) -> None:
        if self.unknown not in UNKNOWN_POLICIES:
            raise InputError(f"--unknown must be keep or drop, not {self.unknown!r}")
        for kind, score in self.match_thresholds.items():
            if not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
                raise InputError(f"match threshold for {kind!r} must be a score in [0, 1], not {score!r}")
        if self.url_only not in URL_ONLY_POLICIES:
            raise InputError(f"--url-only must be decide or error, not {self.url_only!r}")
        if self.batch_size < 1:
            raise InputError("batch size must be at least 1")

    def policy(self) -> dict[str, Any]:
        """The policy part, as written to the report and the data card."""
        return {
            "purpose": self.purpose.value,
            "unknown": self.unknown,
            "url_only": self.url_only,
            "user_agent": self.user_agent,
            "licensed_items_in_output": self.licensed_in_output,
            "combine": "deny > allow-if > allow > unknown (most restrictive wins)",
            "match_thresholds": dict(sorted(self.match_thresholds.items())),
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
