"""Signs a scan's outputs (``attestation.json``) with the builder's Ed25519 key, and verifies them.

``attestation.json``::

    {
      "format": "mediamanager-scan-attestation/1",
      "created_at": ISO time (the scan's start time),
      "algorithm": "ed25519",
      "public_key": base64 of the 32-byte raw public key,
      "key_id": first 16 hex digits of sha256(raw public key),
      "files": {"relative/path": "sha256 hex", ...}    every file in the output folder but this one,
      "signature": base64 Ed25519 signature
    }

The signature covers the canonical JSON (sorted keys, no spaces, UTF-8) of
every field except ``signature``. Verification recomputes every hash, rejects
missing, changed and unlisted files, and checks the signature (and, when
given, that the key is the expected one).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mediamanager.errors import InputError, IntegrityError

__all__ = ["ATTESTATION", "default_key_path", "load_or_create_key", "sign_outputs", "verify_outputs"]

ATTESTATION = "attestation.json"
FORMAT = "mediamanager-scan-attestation/1"


def default_key_path() -> Path:
    """``$MEDIAMANAGER_BUILDER_KEY``, else ``~/.config/mediamanager/builder-ed25519.pem``."""
    env = os.environ.get("MEDIAMANAGER_BUILDER_KEY")
    return Path(env) if env else Path.home() / ".config" / "mediamanager" / "builder-ed25519.pem"


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The builder's private key from a PEM file, created (mode 0600) when absent."""
    if path.is_file():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError(f"{path} is not an Ed25519 private key")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _output_files(out: Path) -> list[str]:
    found = []
    for p in out.rglob("*"):
        rel = p.relative_to(out).as_posix()
        if p.is_file() and rel != ATTESTATION and not rel.startswith(".scan/"):
            found.append(rel)
    return sorted(found)


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign_outputs(out: Path, *, key_path: str | Path | None = None, scan_time: datetime) -> list[str]:
    """Hash every output file, sign the list, write attestation.json; returns the files covered."""
    from mediamanager.scan.checkpoint import atomic_write

    key = load_or_create_key(Path(key_path) if key_path else default_key_path())
    raw = _raw_public(key.public_key())
    files = _output_files(out)
    payload = {
        "format": FORMAT,
        "created_at": scan_time.isoformat(),
        "algorithm": "ed25519",
        "public_key": base64.b64encode(raw).decode(),
        "key_id": hashlib.sha256(raw).hexdigest()[:16],
        "files": {f: _sha256_file(out / f) for f in files},
    }
    signed = dict(payload, signature=base64.b64encode(key.sign(_canonical(payload))).decode())
    data = (json.dumps(signed, indent=2, sort_keys=True) + "\n").encode()
    atomic_write(out / ATTESTATION, lambda fh: fh.write(data), durable=True)
    return files


def public_key_b64(key_path: Path) -> str:
    """The base64 raw public key of a private key file (what a verifier pins)."""
    return base64.b64encode(_raw_public(load_or_create_key(key_path).public_key())).decode()


def verify_outputs(out: Path, *, public_key: str | None = None) -> dict[str, Any]:
    """Check attestation.json against the folder; returns it, or raises :class:`IntegrityError` listing every problem."""
    path = out / ATTESTATION
    if not path.is_file():
        raise IntegrityError(f"{path} not found: this folder has no attestation")
    try:
        att = json.loads(path.read_text())
        signature = base64.b64decode(att.pop("signature"))
        raw = base64.b64decode(att["public_key"])
        files: dict[str, str] = att["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"{path} is malformed: {exc}") from None
    problems: list[str] = []
    if att.get("format") != FORMAT:
        problems.append(f"unknown attestation format {att.get('format')!r}")
    if public_key is not None and base64.b64decode(public_key) != raw:
        problems.append("signed by a different key than the one expected")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, _canonical(att))
    except (InvalidSignature, ValueError):
        problems.append("the signature does not verify")
    present = set(_output_files(out))
    for name, digest in sorted(files.items()):
        if name not in present:
            problems.append(f"missing: {name}")
        elif _sha256_file(out / name) != digest:
            problems.append(f"changed: {name}")
    for name in sorted(present - set(files)):
        problems.append(f"not covered by the attestation: {name}")
    if problems:
        raise IntegrityError(f"{out}: " + "; ".join(problems))
    return dict(att, signature=base64.b64encode(signature).decode())
