"""The one canonical JSON form and chain step that the audit log and the usage ledger both hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from mediamanager import canonical
from mediamanager.ledger import chain
from mediamanager.registry import audit


def test_canonical_json_is_sorted_compact_ascii() -> None:
    value = {"b": [1, "é"], "a": None, "at": datetime(2026, 1, 2, tzinfo=UTC)}
    assert canonical.canonical_json(value) == '{"a":null,"at":"2026-01-02 00:00:00+00:00","b":[1,"\\u00e9"]}'


def test_chain_hash_is_sha256_of_prev_newline_body() -> None:
    # The oracle is the documented formula written out with hashlib, not the code under test.
    expected = hashlib.sha256(("0" * 64 + "\n" + '[1,"x"]').encode()).hexdigest()
    assert canonical.chain_hash(canonical.GENESIS, '[1,"x"]') == expected


def test_audit_log_and_ledger_share_one_definition() -> None:
    assert audit.canonical_json is chain.canonical_json is canonical.canonical_json
    assert audit.GENESIS == chain.GENESIS == "0" * 64
