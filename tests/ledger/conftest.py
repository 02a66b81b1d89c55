"""Fixtures for the ledger: the registry API on a real uvicorn server on 127.0.0.1, accounts, works, texts."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.conftest import Account

from mediamanager.fingerprint import fingerprint_content


@dataclass
class Server:
    url: str
    app: Any
    http: httpx.Client

    def sign_up(self, name: str) -> Account:
        r = self.http.post("/owners", json={"display_name": name})
        assert r.status_code == 201, r.text
        return Account(r.json()["owner"]["id"], r.json()["token"]["token"])

    def register(self, owner: Account, text: str, prefs: str, title: str) -> str:
        fp = fingerprint_content(text.encode(), filename="t.txt")
        body = {
            "media_type": fp.media_type.value, "sha256": fp.sha256, "iscc": fp.iscc, "title": title,
            "fingerprints": [f.to_dict() for f in fp.fingerprints], "preferences": {"spec": prefs},
        }  # fmt: skip
        r = self.http.post("/works", json=body, headers=owner.auth)
        assert r.status_code == 201, r.text
        return str(r.json()["work"]["id"])


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    """The registry API on the suite's one loopback server (tests/loopback.py), with its own grant key."""
    from tests.loopback import serve_registry

    with (
        serve_registry(db_url, grant_key_path=str(tmp_path / "grant-key.pem")) as live,
        httpx.Client(base_url=live.url, timeout=30) as http,
    ):
        yield Server(live.url, live.app, http)


@pytest.fixture(scope="session")
def texts(test_data: Path) -> list[str]:
    """Six State of the Union addresses (public domain), long and unlike each other."""
    out: list[str] = []
    with gzip.open(test_data / "text-sotu" / "corpus.jsonl.gz", "rt") as fh:
        for line in fh:
            out.append(json.loads(line)["text"])
            if len(out) == 6:
                break
    return out
