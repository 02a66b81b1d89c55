"""Fixtures for API tests: an app over each database, and signed-up owners."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediamanager.api.app import create_app
from mediamanager.fingerprint import fingerprint_content
from mediamanager.settings import Settings


@dataclass
class Account:
    id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        db_url=db_url,
        max_upload_bytes=200_000,
        verification_scheme="http",
        verification_timeout_s=2,
        verification_allow_loopback=True,  # the test sites listen on 127.0.0.1
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def sign_up(client: TestClient, name: str) -> Account:
    r = client.post("/owners", json={"display_name": name, "email": f"{name.lower()}@example.org"})
    assert r.status_code == 201, r.text
    return Account(r.json()["owner"]["id"], r.json()["token"]["token"])


@pytest.fixture
def alice(client: TestClient) -> Account:
    return sign_up(client, "Alice")


@pytest.fixture
def bob(client: TestClient) -> Account:
    return sign_up(client, "Bob")


def fp_body(text: str, **extra: Any) -> dict[str, Any]:
    """A ``POST /works`` body registering ``text`` by its fingerprints only."""
    fp = fingerprint_content(text.encode(), filename="t.txt")
    return {
        "media_type": fp.media_type.value,
        "sha256": fp.sha256,
        "iscc": fp.iscc,
        "fingerprints": [f.to_dict() for f in fp.fingerprints],
        **extra,
    }
