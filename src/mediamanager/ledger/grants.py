"""Licence grants: the registry's Ed25519-signed statement that an owner licensed works to a builder.

A grant document (``format: mediamanager-licence-grant/1``)::

    grant_id, licence_id       ids in the registry
    registry_key_id            first 16 hex of sha256(the registry's raw public key)
    licensor   {owner_id, name}
    licensee   {builder_id, name, key_id}   key_id: the builder's scan-signing key (scan/attest.py)
    purpose                    the purpose licensed (genai-train, ...)
    works                      work ids covered
    terms      {work_id: Terms.to_dict()}
    issued_at, expires_at      ISO times; expires_at may be null (no expiry)
    signature                  base64 Ed25519 over the canonical JSON of every other field

A grant applies to an item when its signature verifies under the pinned registry key,
it names the work and the purpose, it has not expired at the scan time, it was not
revoked, and it was issued to the key that signs the scan. Anything else: it does not
apply, and the item stays as the scan decided.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mediamanager.ledger import LedgerError

__all__ = ["FORMAT", "grant_problems", "key_id", "public_key_b64", "sign_grant"]

FORMAT = "mediamanager-licence-grant/1"


def _canonical(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(_raw(key.public_key())).decode()


def key_id(public_b64: str) -> str:
    """The short id of a base64 raw Ed25519 public key (same rule as scan attestations)."""
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def sign_grant(payload: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``payload`` (every field but the signature) with the format, key id and signature added."""
    doc = dict(payload, format=FORMAT, registry_key_id=key_id(public_key_b64(key)))
    doc.pop("signature", None)
    return dict(doc, signature=base64.b64encode(key.sign(_canonical(doc))).decode())


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise LedgerError(f"bad grant time {value!r}") from None
    if parsed.tzinfo is None:
        raise LedgerError(f"grant time {value!r} has no time zone")
    return parsed


def grant_problems(
    doc: Mapping[str, Any],
    *,
    registry_key: str,
    when: datetime,
    licensee_key_id: str | None,
    revoked: Collection[str] = (),
) -> list[str]:
    """Why ``doc`` does not apply at ``when`` (empty: it applies). Never raises on a bad document."""
    gid = doc.get("grant_id", "?")
    try:
        body = {k: v for k, v in doc.items() if k != "signature"}
        signature = base64.b64decode(str(doc["signature"]), validate=True)
        Ed25519PublicKey.from_public_bytes(base64.b64decode(registry_key, validate=True)).verify(
            signature, _canonical(body)
        )
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return [f"grant {gid}: not signed by the registry's key"]
    problems = []
    if doc.get("format") != FORMAT:
        problems.append(f"grant {gid}: unknown format {doc.get('format')!r}")
    if gid in revoked:
        problems.append(f"grant {gid}: revoked by the owner")
    try:
        issued, expires = _when(doc.get("issued_at")), _when(doc.get("expires_at"))
    except LedgerError as exc:
        return [*problems, f"grant {gid}: {exc}"]
    if issued is not None and when < issued:
        problems.append(f"grant {gid}: issued at {issued.isoformat()}, after the scan time")
    if expires is not None and when >= expires:
        problems.append(f"grant {gid}: expired at {expires.isoformat()}")
    licensee = doc.get("licensee") or {}
    if licensee_key_id is None or licensee.get("key_id") != licensee_key_id:
        problems.append(f"grant {gid}: issued to key {licensee.get('key_id')!r}, not to this scan's key")
    return problems


def select_grants(
    bundle: Mapping[str, Any],
    *,
    registry_key: str,
    purpose: str,
    when: datetime,
    licensee_key_id: str | None,
    revoked: Collection[str] = (),
) -> tuple[dict[str, str], list[str]]:
    """``({work_id: grant_id}, problems)``: the works that valid grants in ``bundle`` cover for ``purpose``.

    Grants that do not apply are left out and say why in ``problems``; the bundle's own
    ``registry_key`` is never trusted (the caller pins the key).
    """
    grants = bundle.get("grants")
    if not isinstance(grants, list):
        raise LedgerError("the grants file has no list of grants")
    covered: dict[str, str] = {}
    problems: list[str] = []
    for doc in grants:
        if not isinstance(doc, Mapping):
            problems.append("a grant that is not an object")
            continue
        why = grant_problems(
            doc, registry_key=registry_key, when=when, licensee_key_id=licensee_key_id, revoked=revoked
        )
        if not why and doc.get("purpose") != purpose:
            why = [f"grant {doc.get('grant_id')}: for {doc.get('purpose')}, not {purpose}"]
        if why:
            problems.extend(why)
            continue
        for wid in doc.get("works") or []:
            covered.setdefault(str(wid), str(doc["grant_id"]))
    return covered, problems
