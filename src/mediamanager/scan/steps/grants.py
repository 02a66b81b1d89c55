"""Step (after decide): an item held back for a licence becomes ``keep`` when a valid grant covers it.

``ScanConfig.grants`` maps work ids to grant ids, already checked once in the driver by
:func:`load_grants` (signature under the pinned registry key, purpose, expiry at the scan
time, revocation, issued to this scan's key). An item whose outcome is ``license`` is
kept under licence only when every matched work that asks for a licence is covered and
no signal adds conditions of its own; its reasons start with ``allow:grant`` and each
grant is a piece of evidence (source ``grant``, location the grant id, detail the work id).
Anything else stays exactly as decided.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mediamanager.ledger import LedgerError
from mediamanager.ledger.events import GRANT_REASON, GRANT_SOURCE
from mediamanager.ledger.grants import key_id, select_grants
from mediamanager.model import Evidence, Outcome, Rule, Use
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext

__all__ = ["apply_grants", "load_grants"]


def _covered(rec: Record, config: ScanConfig) -> list[tuple[str, str]] | None:
    """``[(work_id, grant_id)]`` when grants cover every allow-if of this licensed item, else None."""
    purpose = config.purpose
    if rec.signals is not None and rec.signals.effective(purpose).use is Use.ALLOW_IF:
        return None  # a signal's conditions are not the registry owner's to license
    pairs = []
    for m in rec.matches:
        if m.preferences.effective(purpose).use is Use.ALLOW_IF:
            gid = config.grants.get(m.work_id)
            if gid is None:
                return None
            pairs.append((m.work_id, gid))
    return pairs or None


def apply_grants(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    cfg = ctx.config
    for rec in records:
        d = rec.decision
        if cfg.grants and d is not None and d.outcome is Outcome.LICENSE:
            pairs = _covered(rec, cfg)
            if pairs:
                evidence = tuple(
                    Evidence(
                        source=GRANT_SOURCE, raw=f"grant {gid} licenses work {wid}", location=gid,
                        purpose=cfg.purpose, use=Use.ALLOW, observed_at=cfg.scan_time, detail=wid,
                    )
                    for wid, gid in pairs
                )  # fmt: skip
                reasons = (
                    GRANT_REASON,
                    *(f"grant {gid} licenses work {wid} for {cfg.purpose.value}" for wid, gid in pairs),
                    *d.reasons[1:],
                )
                rule = Rule(Use.ALLOW, d.rule.conditions, evidence + d.rule.evidence)
                rec.decision = replace(d, outcome=Outcome.KEEP, reasons=reasons, rule=rule)
        yield rec


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _get(url: str, path: str, token: str | None) -> Any:
    from mediamanager.client import RegistryApi

    with RegistryApi(url, token) as api:
        return api.request("GET", path)


def load_grants(
    source: str,
    *,
    config: ScanConfig,
    key_path: str | Path | None,
    grant_key: str | None = None,
    token: str | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Read a grants bundle (a file, or the URL of a registry's ``GET /ledger/grants``) and keep what applies.

    The registry key is ``grant_key`` when given, else fetched from ``config.registry`` when that is
    an http(s) registry (which also gives the revocation list); never the bundle's own copy.
    """
    from mediamanager.ledger.grants import public_key_b64
    from mediamanager.scan.attest import default_key_path, load_or_create_key

    if _is_url(source):
        parts = urlsplit(source)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        bundle = _get(f"{parts.scheme}://{parts.netloc}", path, token)
    else:
        try:
            bundle = json.loads(Path(source).read_text())
        except (OSError, ValueError) as exc:
            raise LedgerError(f"cannot read grants file {source}: {exc}") from None
    if not isinstance(bundle, dict):
        raise LedgerError(f"{source} is not a grants bundle")
    revoked: list[str] = []
    if _is_url(config.registry):
        if grant_key is None:
            grant_key = str(_get(config.registry, "/ledger/key", None)["public_key"])
        revoked = [str(g) for g in _get(config.registry, "/ledger/grants/revoked", None)["revoked"]]
    elif grant_key is None:
        raise LedgerError("--grants with a snapshot registry needs --grant-key (the registry's public key)")
    scan_key = load_or_create_key(Path(key_path) if key_path else default_key_path())
    return select_grants(
        bundle, registry_key=grant_key, purpose=config.purpose.value, when=config.scan_time,
        licensee_key_id=key_id(public_key_b64(scan_key)), revoked=revoked,
    )  # fmt: skip
