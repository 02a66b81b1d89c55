"""Signed checkpoints of the audit chain's head (review D10).

The chain alone proves only itself: whoever can write the database can cut its tail and move the
head, or recompute every hash after an edit. A checkpoint is the head ``(seq, hash)`` signed with
the registry's Ed25519 key; it is published (``GET /audit/checkpoint``, ``checkpoint.json`` in every
snapshot) and kept by whoever reads it. ``mediamanager audit verify --checkpoint FILE`` then proves
that the log still holds entry ``seq`` with that hash, so a re-chain or a tail cut before the
checkpoint is caught. Format::

    {"format": "mediamanager-audit-checkpoint", "version": 1, "seq": int, "head": "<sha256 hex>",
     "at": ISO-8601, "public_key": "<base64 raw Ed25519 key>", "key_id": "<sha256 hex of it, 16>",
     "signature": "<base64 Ed25519 signature of canonical_json of the other fields>"}
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mediamanager.errors import InputError, IntegrityError
from mediamanager.model import utcnow
from mediamanager.registry.audit import canonical_json, read_head
from mediamanager.registry.store.tables import audit_log
from mediamanager.settings import Settings

__all__ = [
    "FORMAT",
    "check_checkpoint",
    "key_path",
    "load_or_create_key",
    "read_checkpoint",
    "sign_checkpoint",
]

FORMAT = "mediamanager-audit-checkpoint"


def key_path(settings: Settings, db_url: str | sa.URL | None = None) -> Path:
    """``settings.registry_key_path``; by default beside an SQLite file, else in ~/.config/mediamanager.

    ``db_url`` (the engine's, when it is not ``settings.db_url``) names the database the key is for.
    """
    if settings.registry_key_path:
        return Path(settings.registry_key_path).expanduser()
    url = sa.engine.make_url(db_url if db_url is not None else settings.db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database + ".registry-key.pem")
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:12]
    return Path.home() / ".config" / "mediamanager" / f"registry-key-{digest}.pem"


def load_or_create_key(settings: Settings, db_url: str | sa.URL | None = None) -> Ed25519PrivateKey:
    """The registry's signing key, generated (mode 0600, never overwritten) on first use."""
    path = key_path(settings, db_url)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path} is not an Ed25519 private key")
    return key


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign_checkpoint(key: Ed25519PrivateKey, seq: int, head: str) -> dict[str, Any]:
    raw = _raw(key.public_key())
    body: dict[str, Any] = {
        "format": FORMAT,
        "version": 1,
        "seq": seq,
        "head": head,
        "at": utcnow().isoformat(),
        "public_key": base64.b64encode(raw).decode(),
        "key_id": hashlib.sha256(raw).hexdigest()[:16],
    }
    body["signature"] = base64.b64encode(key.sign(canonical_json(body).encode())).decode()
    return body


def current_checkpoint(conn: sa.Connection, settings: Settings) -> dict[str, Any]:
    seq, head = read_head(conn)
    return sign_checkpoint(load_or_create_key(settings, conn.engine.url), seq, head)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read checkpoint {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path} is not an audit checkpoint")
    return data


def check_checkpoint(
    conn: sa.Connection, checkpoint: dict[str, Any], *, trusted_key: Ed25519PublicKey | None = None
) -> None:
    """Raise :class:`IntegrityError` unless the signature holds and the log still has the checkpointed head.

    ``trusted_key``, when given (the registry's own key), must be the key that signed it.
    """
    body = {k: v for k, v in checkpoint.items() if k != "signature"}
    try:
        raw = base64.b64decode(str(checkpoint["public_key"]), validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
        public.verify(
            base64.b64decode(str(checkpoint["signature"]), validate=True), canonical_json(body).encode()
        )
        seq, head = int(checkpoint["seq"]), str(checkpoint["head"])
    except (KeyError, ValueError, TypeError, InvalidSignature):
        raise IntegrityError("the checkpoint's signature does not verify") from None
    if trusted_key is not None and _raw(trusted_key) != raw:
        raise IntegrityError("the checkpoint was signed by another key than this registry's")
    if seq == 0:
        return
    row = conn.execute(sa.select(audit_log.c.hash).where(audit_log.c.seq == seq)).first()
    if row is None:
        raise IntegrityError(f"entry {seq} of the signed checkpoint is gone (the log was cut)")
    if row.hash != head:
        raise IntegrityError(f"entry {seq} no longer has the signed hash (the log was re-chained)")
    head_seq, _ = read_head(conn)
    if head_seq < seq:
        raise IntegrityError(f"the head is at entry {head_seq}, before the signed entry {seq}")
