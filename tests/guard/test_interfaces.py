"""The guards through the CLI and over HTTP (a real uvicorn server on loopback), and the RAG adapters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner
from variants import span_words

from conftest import GuardRegistry
from loopback import serve_registry
from mediamanager.cli.main import app as cli
from mediamanager.scan.clients import SnapshotRegistryClient


def chunk(text: str, start: int = 400, words: int = 300) -> str:
    return " ".join(text.split()[start : start + words])


@pytest.fixture(scope="module")
def vindex(guard_registry: GuardRegistry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    texts = tmp / "texts.jsonl"
    texts.write_text("".join(json.dumps({"text": t}) + "\n" for t in guard_registry.texts.values()))
    out = tmp / "vidx"
    res = CliRunner().invoke(cli, ["guard", "index", str(texts), "--out", str(out),
                                   "--registry", str(guard_registry.snapshot)])  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert (summary["works"], summary["skipped"]) == (4, 0)
    return out


@pytest.fixture(scope="module")
def names_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("names") / "names.json"
    path.write_text(json.dumps([
        {"owner_id": "o1", "name": "Marguerite Yourcenar", "style": "refuse"},
        {"owner_id": "o2", "name": "Pyotr Tchaikovsky", "style": "rewrite", "description": "a composer"},
    ]))  # fmt: skip
    return path


def test_cli_context(guard_registry: GuardRegistry, tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"text": chunk(guard_registry.texts["deny"])}) + "\n"
                    + json.dumps({"text": chunk(guard_registry.texts["cite"])}) + "\n")  # fmt: skip
    res = CliRunner().invoke(cli, ["guard", "context", str(docs), "-r", str(guard_registry.snapshot)])
    assert res.exit_code == 3, res.output  # the guard acted: one document dropped
    out = json.loads(res.output)
    assert out["kept"] == [1]
    assert out["decisions"][1]["attribution"].endswith(f"by {guard_registry.owners['cite']}")
    res = CliRunner().invoke(cli, ["guard", "context", str(docs), "-r", str(tmp_path / "missing")])
    assert res.exit_code == 1 and "neither an http(s) URL nor a snapshot" in res.output


def test_cli_output_and_prompt(
    guard_registry: GuardRegistry, vindex: Path, names_file: Path, tmp_path: Path
) -> None:
    copy = " ".join(span_words(guard_registry.texts["cite"], 100, 20))
    answer = tmp_path / "answer.txt"
    answer.write_text(f"Quote: {copy}.")
    res = CliRunner().invoke(cli, ["guard", "output", str(answer), "--index", str(vindex)])
    assert res.exit_code == 0, res.output  # cite: may pass with its credit line
    out = json.loads(res.output)
    assert [(s["work_id"], s["action"], s["start"], s["end"]) for s in out["spans"]] == [
        (guard_registry.works["cite"], "cite", 7, 7 + len(copy))
    ]
    res = CliRunner().invoke(
        cli, ["guard", "prompt", "sonnets like Marguerite Yourcenar's", "--names", str(names_file)]
    )
    assert res.exit_code == 3 and json.loads(res.output)["action"] == "refuse"
    res = CliRunner().invoke(cli, ["guard", "prompt", "a walk in the park", "--names", str(names_file)])
    assert res.exit_code == 0 and json.loads(res.output)["action"] == "allow"


@pytest.fixture(scope="module")
def server(guard_registry: GuardRegistry, vindex: Path, names_file: Path) -> Iterator[str]:
    # the tables come from the settings, as an operator configures them, loaded on first use
    with serve_registry(guard_registry.db_url, guard_index=str(vindex), guard_names=str(names_file)) as live:
        yield live.url


def test_http_guards_without_tables_answer_503(guard_registry: GuardRegistry, tmp_path: Path) -> None:
    with serve_registry(guard_registry.db_url) as live, httpx.Client(base_url=live.url, timeout=30) as http:
        r = http.post("/guard/output", json={"text": "anything at all"})
        assert r.status_code == 503 and "MEDIAMANAGER_GUARD_INDEX" in r.text
        r = http.post("/guard/prompt", json={"prompt": "anything"})
        assert r.status_code == 503 and "MEDIAMANAGER_GUARD_NAMES" in r.text
    missing = tmp_path / "missing.json"
    with serve_registry(guard_registry.db_url, guard_names=str(missing)) as live:
        r = httpx.post(f"{live.url}/guard/prompt", json={"prompt": "anything"}, timeout=30)
        assert r.status_code == 422 and "cannot read names table" in r.text


def test_http_routes(server: str, guard_registry: GuardRegistry) -> None:
    with httpx.Client(base_url=server, timeout=30) as http:
        docs = [{"text": chunk(guard_registry.texts[t])} for t in ("deny", "allow", "unknown")]
        r = http.post("/guard/context", json={"documents": docs})
        assert r.status_code == 200, r.text
        assert [d["action"] for d in r.json()["decisions"]] == ["drop", "keep", "drop"]
        r = http.post("/guard/context", json={"documents": docs, "unknown": "keep"})
        assert r.json()["kept"] == [1, 2]
        r = http.post("/guard/context", json={"documents": [{"headers": {}}]})
        assert r.status_code == 422 and "needs a text" in r.text
        copy = " ".join(span_words(guard_registry.texts["deny"], 700, 18))
        r = http.post("/guard/output", json={"text": f"{copy}!", "deny": "redact"})
        assert r.status_code == 200
        body = r.json()
        assert (body["action"], body["output"], body["spans"][0]["owner_name"]) == (
            "redact",
            "[redacted]!",
            guard_registry.owners["deny"],
        )
        r = http.post("/guard/prompt", json={"prompt": "music like Tchaikovsky's"})
        assert r.json()["action"] == "allow"  # one word of a two-word name is not the name
        r = http.post("/guard/prompt", json={"prompt": "music like Pyotr Tchaikovsky's"})
        assert (r.json()["action"], r.json()["prompt"]) == ("rewrite", "music like a composer")


def test_langchain_transformer_on_a_real_vector_store(guard_registry: GuardRegistry) -> None:
    from langchain_core.documents import Document
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from langchain_core.vectorstores import InMemoryVectorStore

    from mediamanager.guard.langchain import GuardDocumentTransformer

    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=64))
    terms = ("deny", "cite", "allow", "unknown")
    store.add_documents(
        [Document(page_content=chunk(guard_registry.texts[t]), metadata={"term": t}) for t in terms]
    )
    found = store.similarity_search("state of the union", k=4)
    assert len(found) == 4
    kept = GuardDocumentTransformer(SnapshotRegistryClient(guard_registry.snapshot)).transform_documents(
        found
    )
    assert sorted(d.metadata["term"] for d in kept) == ["allow", "cite"]
    cite = next(d for d in kept if d.metadata["term"] == "cite")
    assert cite.metadata["guard"]["conditions"]["attribution"] is True


def test_llamaindex_postprocessor_on_a_real_vector_index(guard_registry: GuardRegistry) -> None:
    from llama_index.core import Document, MockEmbedding, VectorStoreIndex

    from mediamanager.guard.llamaindex import GuardNodePostprocessor

    terms = ("deny", "cite", "allow", "unknown")
    docs = [Document(text=chunk(guard_registry.texts[t], words=200), metadata={"term": t}) for t in terms]
    index = VectorStoreIndex.from_documents(docs, embed_model=MockEmbedding(embed_dim=16))
    guard = GuardNodePostprocessor(client=SnapshotRegistryClient(guard_registry.snapshot))
    retriever = index.as_retriever(similarity_top_k=4)
    nodes: list[Any] = retriever.retrieve("state of the union")
    assert len(nodes) == 4
    kept = guard.postprocess_nodes(nodes)
    assert sorted(n.node.metadata["term"] for n in kept) == ["allow", "cite"]
    assert "guard" in kept[0].node.excluded_llm_metadata_keys
