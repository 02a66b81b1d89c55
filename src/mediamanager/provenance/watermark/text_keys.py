"""Text watermark keys: ids, parameters and secrets, kept in a JSON keyring file.

A key is what both generation and detection need: a secret plus the scheme's
parameters. Several keys may be active at once (rotation, one per model or
deployment); detection against all of them corrects for multiple testing.

Keyring file format (UTF-8 JSON, written with mode 0600)::

    {
      "format": "mediamanager.text-watermark-keyring/1",
      "keys": [
        {
          "key_id": "prod-2026-11",          # [A-Za-z0-9._-]{1,64}, unique in the file
          "scheme": "kgw",                   # "kgw" or "synthid"
          "secret": "<64 hex chars>",        # 32 random bytes; never printed
          "gamma": 0.25,                     # KGW green-list fraction
          "delta": 2.0,                      # KGW logit bias
          "context_width": 1,                # KGW h: previous tokens hashed into the seed
          "self_hash": false,                # KGW SelfHash (min-hash incl. the candidate)
          "ngram_len": 5,                    # SynthID n-gram length
          "depth": 30,                       # SynthID tournament layers
          "tokenizer": "SmolLM2-135M-Instruct",
          "vocab_size": 49152,               # or null: ids >= vocab_size are not scored
          "active": true,
          "created": "2026-11-22T19:00:00+00:00"
        }
      ]
    }

Secrets appear only in this file: ``repr`` and :meth:`TextWatermarkKey.public_dict`
leave them out and show a short check value instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from mediamanager.errors import ConflictError, InputError, NotFoundError

__all__ = [
    "DEFAULT_KEYRING_ENV",
    "KEYRING_FORMAT",
    "TextWatermarkKey",
    "TextWatermarkKeyring",
    "default_keyring_path",
    "new_text_key",
]

KEYRING_FORMAT = "mediamanager.text-watermark-keyring/1"
DEFAULT_KEYRING_ENV = "MEDIAMANAGER_TEXT_KEYRING"
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_MAX_KEYRING_BYTES = 4 * 1024 * 1024

Scheme = Literal["kgw", "synthid"]


@dataclass(frozen=True)
class TextWatermarkKey:
    """One text watermark key: its id, the scheme's parameters and the secret."""

    key_id: str
    secret: bytes = field(repr=False)
    scheme: Scheme = "kgw"
    gamma: float = 0.25
    delta: float = 2.0
    context_width: int = 1
    self_hash: bool = False
    ngram_len: int = 5
    depth: int = 30
    tokenizer: str = "SmolLM2-135M-Instruct"
    vocab_size: int | None = None
    active: bool = True
    created: str = ""

    def __post_init__(self) -> None:
        if not _KEY_ID.match(self.key_id):
            raise InputError(f"invalid key id {self.key_id!r}: use 1-64 of A-Z a-z 0-9 . _ -")
        if self.scheme not in ("kgw", "synthid"):
            raise InputError(f"unknown text watermark scheme {self.scheme!r}: use 'kgw' or 'synthid'")
        if len(self.secret) < 16:
            raise InputError(f"key {self.key_id}: the secret must be at least 16 bytes")
        if not (0.0 < self.gamma < 1.0):
            raise InputError(f"key {self.key_id}: gamma must lie strictly between 0 and 1")
        if not (math.isfinite(self.delta) and 0.0 <= self.delta <= 50.0):
            raise InputError(f"key {self.key_id}: delta must be a number in [0, 50]")
        if not (1 <= self.context_width <= 16):
            raise InputError(f"key {self.key_id}: context_width must be in 1..16")
        if not (2 <= self.ngram_len <= 16 and 1 <= self.depth <= 64):
            raise InputError(f"key {self.key_id}: ngram_len must be in 2..16 and depth in 1..64")
        if self.vocab_size is not None and self.vocab_size < 2:
            raise InputError(f"key {self.key_id}: vocab_size must be at least 2")

    @property
    def check_value(self) -> str:
        """A short public value that identifies the secret without revealing it."""
        return hashlib.sha256(b"mediamanager.text-watermark.check\x00" + self.secret).hexdigest()[:12]

    def public_dict(self) -> dict[str, Any]:
        """The key's id and parameters, safe to print: the secret is replaced by its check value."""
        out = self._fields()
        out["check_value"] = self.check_value
        return out

    def to_json_dict(self) -> dict[str, Any]:
        """The keyring entry for this key, secret included (hex)."""
        out = self._fields()
        out["secret"] = self.secret.hex()
        return out

    def _fields(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "scheme": self.scheme,
            "gamma": self.gamma,
            "delta": self.delta,
            "context_width": self.context_width,
            "self_hash": self.self_hash,
            "ngram_len": self.ngram_len,
            "depth": self.depth,
            "tokenizer": self.tokenizer,
            "vocab_size": self.vocab_size,
            "active": self.active,
            "created": self.created,
        }

    @classmethod
    def from_json_dict(cls, raw: object) -> TextWatermarkKey:
        """Read one keyring entry; malformed entries raise :class:`InputError` (never showing the secret)."""
        if not isinstance(raw, dict):
            raise InputError("keyring entry is not a JSON object")
        key_id = raw.get("key_id")
        if not isinstance(key_id, str):
            raise InputError("keyring entry without a string key_id")
        secret_hex = raw.get("secret")
        try:
            secret = bytes.fromhex(secret_hex) if isinstance(secret_hex, str) else b""
        except ValueError:
            raise InputError(f"key {key_id}: the secret is not hex") from None
        try:
            vocab = raw.get("vocab_size")
            return cls(
                key_id=key_id,
                secret=secret,
                scheme=raw.get("scheme", "kgw"),
                gamma=float(raw.get("gamma", 0.25)),
                delta=float(raw.get("delta", 2.0)),
                context_width=int(raw.get("context_width", 1)),
                self_hash=bool(raw.get("self_hash", False)),
                ngram_len=int(raw.get("ngram_len", 5)),
                depth=int(raw.get("depth", 30)),
                tokenizer=str(raw.get("tokenizer", "SmolLM2-135M-Instruct")),
                vocab_size=None if vocab is None else int(vocab),
                active=bool(raw.get("active", True)),
                created=str(raw.get("created", "")),
            )
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"key {key_id}: malformed parameter ({type(exc).__name__})") from None


def new_text_key(key_id: str, **params: Any) -> TextWatermarkKey:
    """A fresh key with a 32-byte random secret and the given parameters."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return TextWatermarkKey(key_id=key_id, secret=secrets.token_bytes(32), created=now, **params)


def default_keyring_path() -> Path:
    """Where the keyring lives: ``$MEDIAMANAGER_TEXT_KEYRING`` or the user's config folder."""
    env = os.environ.get(DEFAULT_KEYRING_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "mediamanager" / "text-watermark-keys.json"


class TextWatermarkKeyring:
    """The set of text watermark keys, several of which may be active."""

    def __init__(self, keys: Iterable[TextWatermarkKey] = ()) -> None:
        self._keys: dict[str, TextWatermarkKey] = {}
        for key in keys:
            self.add(key)

    def __iter__(self) -> Iterator[TextWatermarkKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"TextWatermarkKeyring(key_ids={list(self._keys)!r})"

    def add(self, key: TextWatermarkKey) -> None:
        """Add a key; a key id that already exists is a :class:`ConflictError`."""
        if key.key_id in self._keys:
            raise ConflictError(f"text watermark key {key.key_id!r} already exists")
        self._keys[key.key_id] = key

    def get(self, key_id: str) -> TextWatermarkKey:
        """The key with this id, or :class:`NotFoundError`."""
        try:
            return self._keys[key_id]
        except KeyError:
            raise NotFoundError(f"no text watermark key {key_id!r} in the keyring") from None

    def active(self) -> list[TextWatermarkKey]:
        """The keys that detection tests by default."""
        return [k for k in self._keys.values() if k.active]

    def set_active(self, key_id: str, active: bool) -> None:
        """Retire (or re-activate) a key; retired keys stay so old texts can still be checked by id."""
        self._keys[key_id] = replace(self.get(key_id), active=active)

    @classmethod
    def load(cls, path: str | Path) -> TextWatermarkKeyring:
        """Read a keyring file; a missing file is an empty keyring, a malformed one an :class:`InputError`."""
        p = Path(path)
        if not p.exists():
            return cls()
        if p.stat().st_size > _MAX_KEYRING_BYTES:
            raise InputError(f"keyring {p} is larger than {_MAX_KEYRING_BYTES} bytes")
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"keyring {p} is not valid JSON: {exc.__class__.__name__}") from None
        if (
            not isinstance(raw, dict)
            or raw.get("format") != KEYRING_FORMAT
            or not isinstance(raw.get("keys"), list)
        ):
            raise InputError(f"keyring {p} is not a {KEYRING_FORMAT} file")
        return cls(TextWatermarkKey.from_json_dict(entry) for entry in raw["keys"])

    def save(self, path: str | Path) -> None:
        """Write the keyring atomically, readable by the owner only (mode 0600)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(
            {"format": KEYRING_FORMAT, "keys": [k.to_json_dict() for k in self._keys.values()]}, indent=2
        )
        fd, tmp = tempfile.mkstemp(prefix=".keyring-", dir=p.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body + "\n")
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
