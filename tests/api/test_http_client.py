"""HttpRegistryClient against a real server answers exactly what the in-process client answers."""

from __future__ import annotations

import httpx
from tests.registry.conftest import edit_text, make_text

from mediamanager.api.app import create_app
from mediamanager.api.server import serve_in_thread
from mediamanager.fingerprint import fingerprint_content
from mediamanager.lookup import LookupQuery
from mediamanager.model import MediaType
from mediamanager.registry.client import LocalRegistryClient
from mediamanager.registry.lookup import LookupService
from mediamanager.scan.clients import HttpRegistryClient, open_registry_client
from mediamanager.settings import Settings


def test_http_and_local_clients_agree(db_url: str) -> None:
    app = create_app(Settings(db_url=db_url))
    texts = [make_text(700 + i) for i in range(3)]
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url, trust_env=False) as http:
        tokens = []
        for name in ("Ann", "Ben"):
            r = http.post("/owners", json={"display_name": name})
            tokens.append({"Authorization": f"Bearer {r.json()['token']['token']}"})
        http.put("/preferences/collections/c", json={"spec": "ai-train=deny,search=allow"}, headers=tokens[0])
        for i, text in enumerate(texts):
            r = http.post(
                "/works/upload",
                files={"file": (f"{i}.txt", text.encode())},
                data={"collection": "c", "preferences": "ai-input=allow-if:attribution" if i else ""},
                headers=tokens[0],
            )
            assert r.status_code == 201, r.text
        http.post("/works/upload", files={"file": ("x.txt", texts[0].encode())}, headers=tokens[1])  # dispute
        queries = [
            LookupQuery(f"exact{i}", sha256=fingerprint_content(t.encode(), filename="t.txt").sha256)
            for i, t in enumerate(texts)
        ]
        copy = fingerprint_content(edit_text(texts[1], 3).encode(), filename="c.txt")
        queries += [
            LookupQuery("near", media_type=MediaType.TEXT, fingerprints=copy.fingerprints),
            LookupQuery("none", sha256="e" * 64),
        ]
        client = open_registry_client(server.url)
        assert isinstance(client, HttpRegistryClient)
        remote = client.lookup(queries)
        local = LocalRegistryClient(app.state.uow).lookup(queries)
        assert [r.item_id for r in remote] == [q.item_id for q in queries]
        assert [[m.to_dict() for m in r.matches] for r in remote] == [
            [m.to_dict() for m in r.matches] for r in local
        ]
        assert len(remote[0].matches) == 2 and all(m.disputed for m in remote[0].matches)
        assert remote[3].matches[0].work_id == remote[1].matches[0].work_id
        assert client.info().version == LookupService(app.state.uow).info().version
        small = HttpRegistryClient(server.url, 10, batch_size=2)  # several requests, same answers
        assert [[m.to_dict() for m in r.matches] for r in small.lookup(queries)] == [
            [m.to_dict() for m in r.matches] for r in local
        ]
    app.state.engine.dispose()
