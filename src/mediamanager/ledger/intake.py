"""Checks a submitted scan: its Ed25519 attestation, and the digest of every file sent with it.

The builder sends ``attestation.json`` with the files the ledger reads
(``decisions.parquet`` and ``report.json``). The signature covers the digests of
every output, so a file whose bytes changed, a re-signed attestation from another
key, or a signature that does not verify is refused with every reason found.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from mediamanager.ledger import LedgerError

__all__ = ["REQUIRED_FILES", "CheckedScan", "check_submission", "scan_id_of"]

FORMAT = "mediamanager-scan-attestation/1"  # scan/attest.py
REQUIRED_FILES = ("decisions.parquet", "report.json")


def _canonical(payload: Mapping[str, Any]) -> bytes:
    # The exact form scan/attest.py signs.
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class CheckedScan:
    """A submission whose files match a valid attestation."""

    scan_id: str  # sha256 of the signed payload: the same scan always has the same id
    digest: str  # sha256 of decisions.parquet
    key_id: str
    public_key: str
    created_at: str
    report: dict[str, Any]


def scan_id_of(attestation: Mapping[str, Any]) -> str:
    payload = {k: v for k, v in attestation.items() if k != "signature"}
    return hashlib.sha256(_canonical(payload)).hexdigest()


def check_submission(
    attestation_bytes: bytes, files: Mapping[str, bytes], *, expected_key: str | None = None
) -> CheckedScan:
    """The checked scan, or :class:`LedgerError` naming every problem (nothing is recorded)."""
    try:
        att = json.loads(attestation_bytes)
        signature = base64.b64decode(att.pop("signature"), validate=True)
        raw = base64.b64decode(att["public_key"], validate=True)
        listed: dict[str, str] = dict(att["files"])
        created_at = str(att["created_at"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LedgerError(f"attestation.json is malformed: {exc}") from None
    problems: list[str] = []
    if att.get("format") != FORMAT:
        problems.append(f"unknown attestation format {att.get('format')!r}")
    if expected_key is not None and base64.b64encode(raw).decode() != expected_key:
        problems.append("signed by a different key than the one this builder submitted with before")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, _canonical(att))
    except (InvalidSignature, ValueError):
        problems.append("the attestation's signature does not verify")
    for name in REQUIRED_FILES:
        if name not in files:
            problems.append(f"{name} was not sent")
    for name, content in sorted(files.items()):
        if name not in listed:
            problems.append(f"{name} is not covered by the attestation")
        elif hashlib.sha256(content).hexdigest() != listed[name]:
            problems.append(f"{name} changed since the scan signed it (sha256 differs)")
    report: dict[str, Any] = {}
    if not problems:
        try:
            report = json.loads(files["report.json"])
        except ValueError:
            problems.append("report.json is not JSON")
    if problems:
        raise LedgerError("scan refused: " + "; ".join(problems))
    return CheckedScan(
        scan_id=scan_id_of(dict(att, signature="")),
        digest=hashlib.sha256(files["decisions.parquet"]).hexdigest(),
        key_id=hashlib.sha256(raw).hexdigest()[:16],
        public_key=base64.b64encode(raw).decode(),
        created_at=created_at,
        report=report,
    )
