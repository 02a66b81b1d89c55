"""Export a snapshot and read it back offline with the scanner's SnapshotRegistryClient."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from tests.registry.conftest import edit_text, make_text

from mediamanager.client import RegistryApi
from mediamanager.errors import RegistryUnavailableError
from mediamanager.fingerprint import fingerprint_content
from mediamanager.lookup import LookupQuery
from mediamanager.model import MediaType, Purpose, Use, parse_preference_spec
from mediamanager.registry.accounts import AccountService
from mediamanager.registry.client import LocalRegistryClient
from mediamanager.registry.records import Owner, WorkInput
from mediamanager.registry.snapshot import SnapshotWork, export_snapshot, write_snapshot
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService
from mediamanager.scan.clients import SnapshotRegistryClient, open_registry_client


def _register(uow: UnitOfWork, owner: Owner, text: str, prefs: str, title: str) -> str:
    fp = fingerprint_content(text.encode(), filename="t.txt")
    data = WorkInput(
        fp.media_type,
        fp.sha256,
        fp.iscc,
        fp.fingerprints,
        title=title,
        preferences=parse_preference_spec(prefs),
    )
    return WorkService(uow).register_work(owner, data).work.id


def test_snapshot_answers_like_the_registry_and_leaks_nothing(
    uow: UnitOfWork, alice: Owner, bob: Owner, tmp_path: Path
) -> None:
    text = make_text(21)
    wid = _register(uow, alice, text, "genai-train=deny", "Essay")
    _register(uow, bob, make_text(22), "search=allow", "Other")
    secret_token = AccountService(uow).create_token(alice, "s").secret
    out = tmp_path / "snap"
    manifest = export_snapshot(uow, out)
    assert manifest.works == 2 and manifest.owners == 2
    blob = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
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
    online = LocalRegistryClient(uow).lookup(queries)
    assert [[m.work_id for m in r.matches] for r in offline] == [
        [m.work_id for m in r.matches] for r in online
    ]
    assert offline[0].matches[0].work_id == wid and offline[2].matches == ()
    m = offline[1].matches[0]
    assert m.owner_name == "Alice" and m.iscc.startswith("ISCC:")
    assert m.preferences.effective(Purpose.GENAI_TRAIN).use is Use.DENY
    assert client.info().sha256 == manifest.sha256
    # Re-exporting replaces the snapshot in place.
    assert export_snapshot(uow, out).works == 2


def test_missing_or_corrupt_snapshot_raises_unavailable(
    uow: UnitOfWork, alice: Owner, tmp_path: Path
) -> None:
    with pytest.raises(RegistryUnavailableError):
        open_registry_client(str(tmp_path / "nowhere"))
    with pytest.raises(RegistryUnavailableError):
        SnapshotRegistryClient(tmp_path).lookup([LookupQuery("x", sha256="0" * 64)])
    _register(uow, alice, make_text(23), "tdm=deny", "T")
    out = tmp_path / "snap"
    export_snapshot(uow, out)
    prefs = out / "preferences.arrow"
    original = prefs.read_bytes()
    prefs.write_bytes(original.replace(b"deny", b"allo"))  # edited preferences
    with pytest.raises(RegistryUnavailableError, match="checksum"):
        SnapshotRegistryClient(out).lookup([LookupQuery("x", sha256="0" * 64)])
    prefs.write_bytes(original)
    band = out / "index" / "text" / "band-00.keys.npy"
    band.rename(band.with_suffix(".gone"))  # a missing index file
    with pytest.raises(RegistryUnavailableError, match="cannot read"):
        SnapshotRegistryClient(out).lookup([LookupQuery("x", sha256="0" * 64)])
    band.with_suffix(".gone").rename(band)
    assert SnapshotRegistryClient(out).lookup([LookupQuery("x", sha256="0" * 64)])[0].matches == ()
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["format_version"] = 99
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegistryUnavailableError, match="version"):
        SnapshotRegistryClient(out).info()


def test_http_client_raises_when_server_unreachable() -> None:
    client = open_registry_client("http://127.0.0.1:9")  # discard port: nothing listens
    assert isinstance(client, RegistryApi)
    with pytest.raises(RegistryUnavailableError):
        client.lookup([LookupQuery("x", sha256="0" * 64)])
    with pytest.raises(RegistryUnavailableError):
        client.info()


def _v1_snapshot(out: Path) -> None:
    """A format-version-1 snapshot (works.jsonl), as unreleased development builds wrote it."""
    import hashlib

    from mediamanager.registry.audit import canonical_json

    out.mkdir()
    data = b'{"id": "o1", "kind": "person", "display_name": "Ann"}\n'
    (out / "owners.jsonl").write_bytes(data)
    (out / "works.jsonl").write_bytes(b"")
    files = {"owners.jsonl": hashlib.sha256(data).hexdigest(), "works.jsonl": hashlib.sha256(b"").hexdigest()}
    manifest = {
        "format": "mediamanager-registry-snapshot", "format_version": 1, "registry_version": "audit-1",
        "files": files, "sha256": hashlib.sha256(canonical_json(files).encode()).hexdigest(),
    }  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest))


def test_snapshot_batches_answer_like_single_lookups_and_v1_is_refused(tmp_path: Path) -> None:
    owners = [
        {"id": "o1", "kind": "person", "display_name": "Ann"},
        {"id": "o2", "kind": "org", "display_name": "B"},
    ]
    prefs = [parse_preference_spec(s, source="registry:work").to_dict(effective=True)
             for s in ("genai-train=deny", "genai-train=allow-if:attribution")]  # fmt: skip
    texts = [make_text(40 + i) for i in range(12)]
    works = []
    for i, text in enumerate(texts):
        fp = fingerprint_content(text, with_iscc=False)
        works.append(
            SnapshotWork(f"w{i:02d}", f"o{1 + i % 2}", "text", f"T{i}", fp.sha256, "", fp.fingerprints,
                         prefs[i % 2], disputed=i == 3, claimants=("o1", "o2") if i == 3 else ())
        )  # fmt: skip
    # The same content claimed twice: both works answer an exact lookup.
    works.append(replace(works[0], id="w99", owner_id="o2", preferences=prefs[1]))
    v2 = write_snapshot(tmp_path / "v2", owners, works, registry_version="audit-7", registry_head="0" * 64)
    assert v2.works == 13 and v2.owners == 2
    manifest = json.loads((tmp_path / "v2" / "manifest.json").read_text())
    assert manifest["format_version"] == 4 and manifest["counts"]["preferences"] == 2  # de-duplicated
    assert "index/text/signatures.npy" in manifest["files"]
    _v1_snapshot(tmp_path / "v1")
    with pytest.raises(RegistryUnavailableError, match="version 1 is not supported"):
        SnapshotRegistryClient(tmp_path / "v1").info()
    queries = [
        LookupQuery(f"q{i}", media_type=MediaType.TEXT,
                    fingerprints=fingerprint_content(edit_text(t, i), with_iscc=False).fingerprints)
        for i, t in enumerate(texts)
    ] + [
        LookupQuery("exact", sha256=works[0].sha256),
        LookupQuery("miss", sha256="ab" * 32, media_type=MediaType.TEXT,
                    fingerprints=fingerprint_content(make_text(99), with_iscc=False).fingerprints),
        LookupQuery("bad-sha", sha256="not-hex"),
    ]  # fmt: skip
    new = SnapshotRegistryClient(tmp_path / "v2")
    batched = new.lookup(queries)
    assert batched == [new.lookup([q])[0] for q in queries]  # one batch answers like one query at a time
    for i in range(12):
        assert batched[i].matches and batched[i].matches[0].work_id == f"w{i:02d}", i
    assert [m.work_id for m in batched[12].matches] == ["w00", "w99"]
    assert {m.owner_name for m in batched[12].matches} == {"Ann", "B"}
    assert batched[13].matches == () and batched[14].matches == ()
    disputed = batched[3].matches[0]
    assert disputed.disputed and disputed.claimants == ("o1", "o2")
    assert batched[1].matches[0].preferences.effective(Purpose.GENAI_TRAIN).use is Use.ALLOW_IF
    assert new.info().version == "audit-7"
