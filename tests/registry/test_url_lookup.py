"""Lookup by source URL: in process, over HTTP on loopback and from a snapshot, the same answers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from tests.loopback import serve_registry

from mediamanager.client import RegistryApi
from mediamanager.lookup import LookupQuery, LookupResult
from mediamanager.model import MediaType
from mediamanager.registry.client import LocalRegistryClient
from mediamanager.registry.records import Owner, WorkInput
from mediamanager.registry.snapshot import export_snapshot
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.works import WorkService
from mediamanager.scan.clients import SnapshotRegistryClient

POEM = "https://www.Example.org/poems/1/?lang=en&page=2#stanza"
SONG = "http://songs.example.net/track?id=7"

# (query URL, which works must match): the variants are written from the rules, not the code.
CASES = [
    ("http://example.org/poems/1?page=2&lang=en", {"poem", "copy"}),  # http, no www, no slash, reordered
    ("https://example.org/poems/1/?lang=en&page=2", {"poem", "copy"}),
    ("HTTPS://WWW.EXAMPLE.ORG:443/poems/1?page=2&lang=en", {"poem", "copy"}),
    ("http://example.org/poems/1?lang=en&page=3", set()),  # another query value: another page
    ("http://example.org/poems/1", set()),
    ("https://songs.example.net/track/?id=7", {"song"}),
    ("http://example.org/Poems/1?lang=en&page=2", set()),  # the path is case-sensitive
]


@pytest.fixture
def works(uow: UnitOfWork, alice: Owner, bob: Owner) -> dict[str, str]:
    ws = WorkService(uow)
    ids = {
        "poem": ws.register_work(
            alice, WorkInput(MediaType.TEXT, "1" * 64, source_urls=(POEM, "mailto:x@y"))
        ),
        "song": ws.register_work(alice, WorkInput(MediaType.AUDIO, "2" * 64, source_urls=(SONG,))),
        "copy": ws.register_work(bob, WorkInput(MediaType.TEXT, "3" * 64, source_urls=(POEM.upper(),))),
        "none": ws.register_work(bob, WorkInput(MediaType.TEXT, "4" * 64)),
    }
    out = {k: r.work.id for k, r in ids.items()}
    # The upper-cased copy names another path (/POEMS/1): make it name the poem's page instead.
    ws.update_work(bob, out["copy"], {"source_urls": ["http://example.org/poems/1?page=2&lang=en"]})
    return out


def _queries() -> list[LookupQuery]:
    return [LookupQuery(f"q{i}", url=url) for i, (url, _) in enumerate(CASES)]


def _check(results: list[LookupResult], works: dict[str, str]) -> list[list[tuple[str, float, str]]]:
    names = {v: k for k, v in works.items()}
    for r, (url, expected) in zip(results, CASES, strict=True):
        assert r.error is None, (url, r.error)
        assert {names[m.work_id] for m in r.matches} == expected, url
        assert all(m.kind == "url" and m.score == 1.0 for m in r.matches), url
    return [[(m.work_id, m.score, m.kind) for m in r.matches] for r in results]


def test_url_variants_answer_the_same_everywhere(
    uow: UnitOfWork, works: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    local = _check(LocalRegistryClient(uow).lookup(_queries()), works)
    with serve_registry(db_url) as server, RegistryApi(server.url, "") as api:
        remote = _check(api.lookup(_queries()), works)
    out = tmp_path / "snap"
    export_snapshot(uow, out)
    snap = _check(SnapshotRegistryClient(out).lookup(_queries()), works)
    assert local == remote == snap
    # The snapshot holds hashes only: no file carries a source URL's text in any spelling.
    for f in out.rglob("*"):
        if f.is_file():
            data = f.read_bytes().lower()
            for needle in (b"example.org", b"songs.example.net", b"poems/1", b"track?id"):
                assert needle not in data, (f.name, needle)


def test_sha256_and_url_in_one_query(uow: UnitOfWork, works: dict[str, str]) -> None:
    q = LookupQuery("both", sha256="2" * 64, url="http://example.org/poems/1?lang=en&page=2")
    [r] = LocalRegistryClient(uow).lookup([q])
    got = sorted((m.work_id, m.kind) for m in r.matches)
    assert got == sorted([(works["song"], "sha256"), (works["poem"], "url"), (works["copy"], "url")])


def test_edits_and_deletes_follow_the_index(uow: UnitOfWork, alice: Owner, works: dict[str, str]) -> None:
    client, ws = LocalRegistryClient(uow), WorkService(uow)
    q = [LookupQuery("s", url="https://songs.example.net/track?id=7")]
    ws.update_work(alice, works["song"], {"source_urls": ["https://songs.example.net/track?id=8"]})
    assert client.lookup(q)[0].matches == ()
    q8 = [LookupQuery("s", url="http://www.songs.example.net/track/?id=8")]
    assert [m.work_id for m in client.lookup(q8)[0].matches] == [works["song"]]
    ws.delete_work(alice, works["song"])
    assert client.lookup(q8)[0].matches == ()
    with uow.read() as conn:
        left = conn.exec_driver_sql("SELECT work_id FROM work_urls ORDER BY work_id").scalars().all()
    assert sorted(left) == sorted([works["poem"], works["copy"]])


def test_a_bad_url_refuses_that_item_only(
    uow: UnitOfWork, works: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    qs = [LookupQuery("bad", url="ftp://example.org/poems/1"), LookupQuery("ok", url=SONG)]
    export_snapshot(uow, tmp_path / "snap")
    with serve_registry(db_url) as server, RegistryApi(server.url, "") as api:
        answers = [
            LocalRegistryClient(uow).lookup(qs),
            api.lookup(qs),
            SnapshotRegistryClient(tmp_path / "snap").lookup(qs),
        ]
        too_long = httpx.post(
            f"{server.url}/lookup", json={"items": [{"id": "x", "url": "http://a.b/" + "a" * 2048}]}
        )
        control = httpx.post(f"{server.url}/lookup", json={"items": [{"id": "x", "url": "http://a.b/\x07"}]})
    for bad, ok in answers:
        assert bad.matches == () and bad.error is not None and "ftp" in bad.error
        assert [m.work_id for m in ok.matches] == [works["song"]] and ok.error is None
    assert too_long.status_code == 422
    assert control.status_code == 422


def test_a_version_3_snapshot_is_refused(uow: UnitOfWork, works: dict[str, str], tmp_path: Path) -> None:
    """A version-3 snapshot has no URL hashes: refused, never read as "no work names this URL"."""
    import json

    from mediamanager.errors import RegistryUnavailableError

    out = tmp_path / "snap"
    export_snapshot(uow, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format_version"] == 4 and "urls.npy" in manifest["files"]
    manifest["format_version"] = 3
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegistryUnavailableError, match="format version 3 is not supported"):
        SnapshotRegistryClient(out).lookup(_queries())
