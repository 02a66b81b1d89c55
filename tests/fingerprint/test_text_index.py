"""TextIndex: add, search, remove, persistence (hypothesis round trips), fingerprint paths."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediamanager.errors import InputError, IntegrityError, InvalidFingerprintError
from mediamanager.fingerprint import fingerprint_content
from mediamanager.fingerprint.index import FingerprintIndex, TextIndex

WORDS = [f"w{i}" for i in range(5000)]


def make_text(seed: int, n: int = 300) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n))


def test_text_index_has_the_shared_shape() -> None:
    assert issubclass(TextIndex, FingerprintIndex)


def test_add_search_remove() -> None:
    index = TextIndex()
    docs = {f"k{i}": make_text(i) for i in range(20)}
    for key, text in docs.items():
        index.add(key, text)
    assert len(index) == 20 and "k3" in index
    found = index.search(docs["k3"])
    assert found[0].key == "k3" and found[0].score == pytest.approx(1.0, abs=0.05)
    assert found[0].kind == "minhash"
    assert index.search(make_text(999)) == []
    assert index.remove("k3") is True and index.remove("k3") is False
    assert index.search(docs["k3"]) == [] and len(index) == 19


def test_readding_a_key_replaces_it() -> None:
    index = TextIndex()
    index.add("k", make_text(1))
    index.add("k", make_text(2))
    assert len(index) == 1
    assert index.search(make_text(1)) == []
    assert index.search(make_text(2))[0].key == "k"


def test_limit_and_ordering() -> None:
    index = TextIndex()
    base = make_text(5, 400)
    words = base.split()
    index.add("full", base)
    index.add("half", " ".join(words[:200]))
    index.add("other", make_text(6, 400))
    found = index.search(base, limit=10)
    assert [m.key for m in found] == ["full", "half"] or [m.key for m in found] == ["half", "full"]
    assert found[0].score >= found[1].score
    assert len(index.search(base, limit=1)) == 1
    with pytest.raises(InputError):
        index.search(base, limit=0)


def test_registry_path_uses_fingerprints_only() -> None:
    """The registry registers from client fingerprints and answers lookups from fingerprints."""
    index = TextIndex()
    text = make_text(11, 2000)  # long: several passages
    registered = fingerprint_content(text.encode())
    assert len(registered.fingerprints) > 1 and {f.part for f in registered.fingerprints} == set(
        range(len(registered.fingerprints))
    )
    index.add_fingerprints("work-1", registered.fingerprints)
    chapter = " ".join(text.split()[700:1300])  # a copied chapter
    query = fingerprint_content(chapter)
    found = index.search_fingerprints(query.fingerprints)
    assert found and found[0].key == "work-1"
    with pytest.raises(InvalidFingerprintError):
        index.add_fingerprints("work-2", [])
    assert index.search_fingerprints([]) == []


def test_bad_content_is_refused() -> None:
    index = TextIndex()
    with pytest.raises(InputError):
        index.add("k", b"bytes are not text")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        index.add("k", "  ... !!! ")
    with pytest.raises(InputError):
        index.add("", "some words here")


keys = st.text(alphabet="abcdefghij-_:/", min_size=1, max_size=12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(keys, st.integers(0, 10**6), min_size=1, max_size=8), st.data())
def test_save_load_round_trip_preserves_every_search(
    tmp_path: Path, docs: dict[str, int], data: st.DataObject
) -> None:
    index = TextIndex()
    for key, seed in docs.items():
        index.add(key, make_text(seed, data.draw(st.integers(1, 1200))))
    removed = data.draw(st.sets(st.sampled_from(sorted(docs)), max_size=len(docs) - 1))
    for key in removed:
        index.remove(key)
    queries = [make_text(seed, 300) for seed in docs.values()]
    before = [index.search(q) for q in queries]
    target = tmp_path / f"idx-{random.random()}"
    index.save(target)
    loaded = TextIndex.load(target)
    assert len(loaded) == len(index) == len(docs) - len(removed)
    assert [loaded.search(q) for q in queries] == before
    # still mutable after loading: add, remove, save again, load again
    loaded.add("new", make_text(424242))
    gone = next(iter(sorted(set(docs) - removed)))
    loaded.remove(gone)
    loaded.save(target)
    again = TextIndex.load(target)
    assert "new" in again and gone not in again
    assert again.search(make_text(424242))[0].key == "new"


def test_load_refuses_other_directories(tmp_path: Path) -> None:
    with pytest.raises(IntegrityError):
        TextIndex.load(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "something-else", "version": 1}')
    with pytest.raises(IntegrityError):
        TextIndex.load(tmp_path)


def test_memory_per_item_is_within_budget() -> None:
    index = TextIndex()
    for i in range(200):
        index.add(f"k{i}", make_text(i, 300))
    sizes = index.nbytes()
    assert sizes["bands"] / index.num_items <= 200
    assert sizes["signatures"] / index.num_items == 512
