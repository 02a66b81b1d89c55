"""Export a snapshot and read it back offline with the scanner's SnapshotRegistryClient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.registry.conftest import edit_text, make_text

from mediamanager.errors import RegistryUnavailableError
from mediamanager.fingerprint import fingerprint_content
from mediamanager.lookup import LookupQuery
from mediamanager.model import MediaType, Purpose, Use, parse_preference_spec
from mediamanager.registry.client import LocalRegistryClient
from mediamanager.registry.service import Owner, RegistryService, WorkInput
from mediamanager.registry.snapshot import export_snapshot
from mediamanager.scan.clients import HttpRegistryClient, SnapshotRegistryClient, open_registry_client


def _register(service: RegistryService, owner: Owner, text: str, prefs: str, title: str) -> str:
    fp = fingerprint_content(text.encode(), filename="t.txt")
    data = WorkInput(
        fp.media_type,
        fp.sha256,
        fp.iscc,
        fp.fingerprints,
        title=title,
        preferences=parse_preference_spec(prefs),
    )
    return service.register_work(owner, data).work.id


def test_snapshot_answers_like_the_registry_and_leaks_nothing(
    service: RegistryService, alice: Owner, bob: Owner, tmp_path: Path
) -> None:
    text = make_text(21)
    wid = _register(service, alice, text, "genai-train=deny", "Essay")
    _register(service, bob, make_text(22), "search=allow", "Other")
    secret_token = service.create_token(alice, "s").secret
    out = tmp_path / "snap"
    manifest = export_snapshot(service, out)
    assert manifest.works == 2 and manifest.owners == 2
    blob = b"".join(p.read_bytes() for p in out.iterdir())
    assert b"alice@example.org" not in blob and secret_token.encode() not in blob
    assert text.encode()[:200] not in blob  # never the content itself
    client = open_registry_client(str(out))
    assert isinstance(client, SnapshotRegistryClient)
    copy = fingerprint_content(edit_text(text, 3).encode(), filename="c.txt")
    queries = [
        LookupQuery("near", media_type=MediaType.TEXT, fingerprints=copy.fingerprints),
        LookupQuery("exact", sha256=fingerprint_content(text.encode(), filename="t.txt").sha256),
        LookupQuery("none", sha256="1" * 64),
    ]
    offline = client.lookup(queries)
    online = LocalRegistryClient(service).lookup(queries)
    assert [[m.work_id for m in r.matches] for r in offline] == [
        [m.work_id for m in r.matches] for r in online
    ]
    assert offline[0].matches[0].work_id == wid and offline[2].matches == ()
    m = offline[1].matches[0]
    assert m.owner_name == "Alice" and m.iscc.startswith("ISCC:")
    assert m.preferences.effective(Purpose.GENAI_TRAIN).use is Use.DENY
    assert client.info().sha256 == manifest.sha256
    # Re-exporting replaces the snapshot in place.
    assert export_snapshot(service, out).works == 2


def test_missing_or_corrupt_snapshot_raises_unavailable(
    service: RegistryService, alice: Owner, tmp_path: Path
) -> None:
    with pytest.raises(RegistryUnavailableError):
        open_registry_client(str(tmp_path / "nowhere"))
    with pytest.raises(RegistryUnavailableError):
        SnapshotRegistryClient(tmp_path).lookup([LookupQuery("x", sha256="0" * 64)])
    _register(service, alice, make_text(23), "tdm=deny", "T")
    out = tmp_path / "snap"
    export_snapshot(service, out)
    works = out / "works.jsonl"
    works.write_text(works.read_text().replace("deny", "allow"))  # edited preferences
    with pytest.raises(RegistryUnavailableError, match="checksum"):
        SnapshotRegistryClient(out).lookup([LookupQuery("x", sha256="0" * 64)])
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["format_version"] = 99
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegistryUnavailableError, match="version"):
        SnapshotRegistryClient(out).info()


def test_http_client_raises_when_server_unreachable() -> None:
    client = open_registry_client("http://127.0.0.1:9")  # discard port: nothing listens
    assert isinstance(client, HttpRegistryClient)
    with pytest.raises(RegistryUnavailableError):
        client.lookup([LookupQuery("x", sha256="0" * 64)])
    with pytest.raises(RegistryUnavailableError):
        client.info()
