"""RegistryApi (the scanner's HTTP client) against a real server answers exactly what the in-process client answers."""

from __future__ import annotations

import pytest
from tests.loopback import LiveServer
from tests.registry.conftest import edit_text, make_text

from mediamanager import client_lookup
from mediamanager.client import RegistryApi
from mediamanager.fingerprint import fingerprint_content
from mediamanager.lookup import LookupQuery
from mediamanager.model import MediaType
from mediamanager.registry.client import LocalRegistryClient
from mediamanager.scan.clients import open_registry_client


def test_http_and_local_clients_agree(live_registry: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    app = live_registry.app
    texts = [make_text(700 + i) for i in range(3)]
    with RegistryApi(live_registry.url, "") as anon:
        tokens = [anon.create_owner(name)["token"]["token"] for name in ("Ann", "Ben")]
    with RegistryApi(live_registry.url, tokens[0]) as ann, RegistryApi(live_registry.url, tokens[1]) as ben:
        ann.set_collection_preferences("c", "ai-train=deny,search=allow")
        for i, text in enumerate(texts):
            prefs = "ai-input=allow-if:attribution" if i else None
            assert ann.upload_work(
                f"{i}.txt", text.encode(), fields={"collection": "c", "preferences": prefs}
            ).created
        ben.upload_work("x.txt", texts[0].encode())  # dispute
    queries = [
        LookupQuery(f"exact{i}", sha256=fingerprint_content(t.encode(), filename="t.txt").sha256)
        for i, t in enumerate(texts)
    ]
    copy = fingerprint_content(edit_text(texts[1], 3).encode(), filename="c.txt")
    queries += [
        LookupQuery("near", media_type=MediaType.TEXT, fingerprints=copy.fingerprints),
        LookupQuery("none", sha256="e" * 64),
    ]
    client = open_registry_client(live_registry.url)
    assert isinstance(client, RegistryApi)
    remote = client.lookup(queries)
    local = LocalRegistryClient(app.state.service).lookup(queries)
    assert [r.item_id for r in remote] == [q.item_id for q in queries]
    assert [[m.to_dict() for m in r.matches] for r in remote] == [
        [m.to_dict() for m in r.matches] for r in local
    ]
    assert len(remote[0].matches) == 2 and all(m.disputed for m in remote[0].matches)
    assert remote[3].matches[0].work_id == remote[1].matches[0].work_id
    assert client.info().version == app.state.service.info().version
    monkeypatch.setattr(client_lookup, "REQUEST_ITEMS", 2)  # several requests, same answers
    assert [[m.to_dict() for m in r.matches] for r in client.lookup(queries)] == [
        [m.to_dict() for m in r.matches] for r in local
    ]
