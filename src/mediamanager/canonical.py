"""The canonical JSON form and the sha256 chain step shared by the audit log and the usage ledger.

Both logs store ``hash_n = sha256_hex(prev_hash + "\\n" + canonical_json(body_n))`` with the first
entry following :data:`GENESIS`; keeping the one definition here means the two can never drift
apart in what "canonical" means. This module imports nothing of the project, so any layer may use it.
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring_ascii
from typing import Any

__all__ = ["GENESIS", "canonical_json", "canonical_str", "chain_hash"]

GENESIS = "0" * 64

# One encoder, built once: json.dumps with options builds a new one per call (a third of the cost).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


# The escaping the encoder applies to every str (C-accelerated): a flat list of plain scalars can be
# written piece by piece with it and gives exactly canonical_json's text (tests/test_canonical.py).
canonical_str = encode_basestring_ascii


def canonical_json(value: Any) -> str:
    """JSON text that is the same for equal values: sorted keys, no whitespace, ASCII."""
    return _ENCODER.encode(value)


def chain_hash(prev_hash: str, body: str) -> str:
    """The next link of a chain: sha256 hex of ``prev_hash``, a newline and the canonical ``body``."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()
