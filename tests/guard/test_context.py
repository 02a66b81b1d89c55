"""RAG context filter against a real snapshot and a real registry server: what is kept and why."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from conftest import GuardRegistry
from mediamanager.client import RegistryApi
from mediamanager.errors import RegistryUnavailableError
from mediamanager.guard import GuardDoc, filter_context, judge_context
from mediamanager.scan.clients import SnapshotRegistryClient


def chunk(text: str, start: int = 400, words: int = 300) -> str:
    """A retrieval-sized piece from inside a registered text (what a RAG splitter returns)."""
    return " ".join(text.split()[start : start + words])


def test_each_owner_term_gives_its_decision(guard_registry: GuardRegistry) -> None:
    client = SnapshotRegistryClient(guard_registry.snapshot)
    docs = [GuardDoc(text=chunk(guard_registry.texts[t])) for t in ("deny", "cite", "allow", "unknown")]
    docs.append(GuardDoc(text=guard_registry.mails[7]["text"]))  # registered by nobody
    got = [(d.action.value, d.rule.use.value) for d in judge_context(docs, client)]
    assert got == [("drop", "deny"), ("keep", "allow-if"), ("keep", "allow"), ("drop", "unknown"),
                   ("drop", "unknown")]  # fmt: skip
    kept = filter_context(docs, client)
    assert [d.text for d, _ in kept] == [docs[1].text, docs[2].text]
    cite = kept[0][1]
    assert cite.conditions.attribution is True
    assert (
        cite.attribution()
        == f"State of the Union {guard_registry.sotu[210]['year']} by {guard_registry.owners['cite']}"
    )
    assert [w.work_id for w in cite.works] == [guard_registry.works["cite"]]


def test_unknown_policy_keep_keeps_only_the_unknown(guard_registry: GuardRegistry) -> None:
    client = SnapshotRegistryClient(guard_registry.snapshot)
    docs = [
        chunk(guard_registry.texts["deny"]),
        chunk(guard_registry.texts["unknown"]),
        "A note nobody registered.",
    ]
    assert [d.action.value for d in judge_context([GuardDoc(text=t) for t in docs], client, unknown="keep")] == [
        "drop", "keep", "keep"
    ]  # fmt: skip


def test_captured_signals_deny_even_an_allowed_work(guard_registry: GuardRegistry) -> None:
    """The most restrictive statement wins: a page header refusing ai-input beats the registry's allow."""
    client = SnapshotRegistryClient(guard_registry.snapshot)
    text = chunk(guard_registry.texts["allow"])
    docs = [
        {"text": text, "url": "https://example.org/sotu", "headers": {"Content-Usage": "ai-use=n"}},
        {"url": "https://example.org/other", "headers": [["Content-Usage", "ai-use=y"]]},
        {"text": text, "url": "https://example.org/sotu"},
    ]
    got = [
        (d.action.value, d.rule.use.value)
        for d in judge_context([GuardDoc.from_dict(x) for x in docs], client)
    ]
    assert got == [("drop", "deny"), ("keep", "allow"), ("keep", "allow")]


def test_documents_are_matched_by_source_url_in_normal_form(guard_registry: GuardRegistry) -> None:
    """A registered source URL speaks for a document whatever its text (or without one); the URL is
    compared in normal form: scheme, ``www.``, trailing slash, query order, host case."""
    client = SnapshotRegistryClient(guard_registry.snapshot)
    unregistered = guard_registry.mails[7]["text"]
    docs = [
        GuardDoc(url="http://www.Speeches.example.org/sotu/deny?lang=en&year=1"),
        GuardDoc(text=unregistered, url="https://speeches.example.org/sotu/deny?year=1&lang=en"),
        GuardDoc(url="https://speeches.example.org/sotu/cite"),
        GuardDoc(url="https://speeches.example.org/sotu/deny?year=2&lang=en"),  # another page
        GuardDoc(text=unregistered, url="https://speeches.example.org/sotu/other"),
    ]
    got = [
        (d.action.value, d.rule.use.value, [w.work_id for w in d.works]) for d in judge_context(docs, client)
    ]
    deny, cite = guard_registry.works["deny"], guard_registry.works["cite"]
    assert got == [
        ("drop", "deny", [deny]),
        ("drop", "deny", [deny]),
        ("keep", "allow-if", [cite]),
        ("drop", "unknown", []),
        ("drop", "unknown", []),
    ]
    # the same answers from the registry itself (in process), as /guard/context asks it
    from mediamanager.registry.client import LocalRegistryClient
    from mediamanager.registry.store.engine import make_engine
    from mediamanager.registry.uow import UnitOfWork

    engine = make_engine(guard_registry.db_url)
    try:
        local = [
            (d.action.value, [w.work_id for w in d.works])
            for d in judge_context(docs, LocalRegistryClient(UnitOfWork(engine)))
        ]
    finally:
        engine.dispose()
    assert local == [(a, w) for a, _, w in got]


def test_bad_documents_and_policies_are_refused(guard_registry: GuardRegistry) -> None:
    client = SnapshotRegistryClient(guard_registry.snapshot)
    from mediamanager.errors import InputError

    with pytest.raises(InputError, match="needs a text, a url"):
        GuardDoc.from_dict({"headers": {}})
    with pytest.raises(InputError, match="unknown policy"):
        judge_context([GuardDoc(text="x")], client, unknown="allow-everything")


def test_missing_snapshot_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(RegistryUnavailableError):
        filter_context(["some retrieved text"], SnapshotRegistryClient(tmp_path / "nowhere"))


def test_unreachable_server_fails_closed() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(RegistryUnavailableError):
        filter_context(
            ["some retrieved text"], RegistryApi(f"http://127.0.0.1:{port}", "", timeout=2, retries=0)
        )
