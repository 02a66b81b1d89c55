"""Helpers for the scanner's tests: a real registry exported as a snapshot, and small mixed datasets.

The registry is built in-process with the registry use cases on SQLite, then
exported with ``export_snapshot``: the scanner reads exactly what a builder
would download. Datasets are built from ../shared/test-data at test time.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediamanager.model import parse_preference_spec


@dataclass(frozen=True)
class Registered:
    """The snapshot folder and what was registered in it."""

    snapshot: Path
    texts: dict[str, str]  # name -> registered text
    images: dict[str, bytes]  # name -> registered image bytes
    work_ids: dict[str, str]  # name -> work id
    owners: dict[str, str]  # name -> owner display name


def spam_texts(test_data: Path, n: int, *, skip: int = 0, stride: int = 1) -> list[dict[str, Any]]:
    """``n`` e-mails of the SpamAssassin corpus with text of a useful length: every ``stride``-th after ``skip``.

    A large stride picks mails from different mailing lists, which share no headers or footers.
    """
    out: list[dict[str, Any]] = []
    seen = 0
    with gzip.open(test_data / "text-spamassassin" / "corpus.jsonl.gz", "rt") as fh:
        for line in fh:
            row = json.loads(line)
            if 1500 <= len(row["text"]) <= 20000:
                if seen >= skip and (seen - skip) % stride == 0:
                    out.append(row)
                    if len(out) == n:
                        break
                seen += 1
    return out


def sotu_texts(test_data: Path, n: int) -> list[str]:
    """The first ``n`` State of the Union addresses (public domain, nothing like the e-mails)."""
    out: list[str] = []
    with gzip.open(test_data / "text-sotu" / "corpus.jsonl.gz", "rt") as fh:
        for line in fh:
            out.append(json.loads(line)["text"])
            if len(out) == n:
                break
    return out


def alter_text(text: str, seed: int = 1) -> str:
    """A lightly edited copy: about 3 % of words replaced, some whitespace re-flowed."""
    rng = random.Random(seed)
    words = text.split()
    for i in rng.sample(range(len(words)), max(1, len(words) // 33)):
        words[i] = "edited"
    return " ".join(words)


def photo(test_data: Path, index: int) -> bytes:
    photos = sorted((test_data / "metadata-extractor-images" / "photos-1024").glob("*.jpg"))
    return photos[index].read_bytes()


def reencode(jpeg: bytes, *, quality: int = 70, scale: float = 0.8) -> bytes:
    """The same picture, resized and re-compressed (an altered copy)."""
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as im:
        im = im.convert("RGB")
        im = im.resize((int(im.width * scale), int(im.height * scale)))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def build_registry(tmp: Path, test_data: Path, *, with_images: bool = True) -> Registered:
    from mediamanager.registry.accounts import AccountService
    from mediamanager.registry.snapshot import export_snapshot
    from mediamanager.registry.store.engine import make_engine, upgrade_schema
    from mediamanager.registry.uow import UnitOfWork
    from mediamanager.registry.works import WorkService

    engine = make_engine(f"sqlite:///{tmp / 'registry.db'}")
    upgrade_schema(engine)
    uow = UnitOfWork(engine)
    alice, _ = AccountService(uow).create_owner("Alice Author")
    bob, _ = AccountService(uow).create_owner("Bob Press", kind="organisation")
    carol, _ = AccountService(uow).create_owner("Carol Camera")
    dave, _ = AccountService(uow).create_owner("Dave Claimant")
    erin, _ = AccountService(uow).create_owner("Erin Claimant")
    mails = spam_texts(test_data, 4, stride=613)
    texts = {
        "deny": mails[0]["text"],
        "licence": mails[1]["text"],
        "allow": mails[2]["text"],
        "disputed": mails[3]["text"],
    }
    images = {"deny": photo(test_data, 10)}
    works: dict[str, str] = {}
    works["text-deny"] = WorkService(uow).register_content(
        alice, texts["deny"].encode(), filename="a.txt", title="Alice's letter",
        preferences=parse_preference_spec("ai-train=deny"),
    ).work.id  # fmt: skip
    works["text-licence"] = WorkService(uow).register_content(
        bob, texts["licence"].encode(), filename="b.txt", title="Bob's bulletin",
        preferences=parse_preference_spec("genai-train=allow-if:attribution+payment=per-item/0.01 USD"),
    ).work.id  # fmt: skip
    works["text-allow"] = WorkService(uow).register_content(
        bob, texts["allow"].encode(), filename="c.txt", title="Bob's open notice",
        preferences=parse_preference_spec("tdm=allow"),
    ).work.id  # fmt: skip
    # Two owners claim the same letter: the registry marks both works disputed.
    works["disputed-allow"] = WorkService(uow).register_content(
        dave, texts["disputed"].encode(), filename="d.txt", title="Dave's claim",
        preferences=parse_preference_spec("genai-train=allow"),
    ).work.id  # fmt: skip
    works["disputed-deny"] = WorkService(uow).register_content(
        erin, texts["disputed"].encode(), filename="e.txt", title="Erin's claim",
        preferences=parse_preference_spec("genai-train=deny"),
    ).work.id  # fmt: skip
    if with_images:
        works["image-deny"] = WorkService(uow).register_content(
            carol, images["deny"], filename="p.jpg", title="Carol's photo",
            preferences=parse_preference_spec("genai-train=deny"),
        ).work.id  # fmt: skip
    snapshot = tmp / "snapshot"
    export_snapshot(uow, snapshot)
    engine.dispose()
    owners = {"alice": "Alice Author", "bob": "Bob Press", "carol": "Carol Camera", "dave": "Dave Claimant",
              "erin": "Erin Claimant"}  # fmt: skip
    return Registered(snapshot, texts, images, works, owners)


def write_tar(path: Path, samples: list[dict[str, bytes]]) -> None:
    """A WebDataset shard: each sample maps extension -> bytes, with ``__key__``."""
    with tarfile.open(path, "w") as tar:
        for s in samples:
            key = s["__key__"].decode()
            for ext, data in s.items():
                if ext == "__key__":
                    continue
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(data)
                info.mtime = 0
                tar.addfile(info, io.BytesIO(data))


def iter_tar_keys(path: Path) -> Iterator[str]:
    with tarfile.open(path) as tar:
        seen: list[str] = []
        for m in tar.getmembers():
            k = m.name.split(".", 1)[0]
            if not seen or seen[-1] != k:
                seen.append(k)
                yield k


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def build_mixed_dataset(folder: Path, reg: Registered, test_data: Path) -> dict[str, tuple[str, str]]:
    """Two WebDataset shards with every kind of item; returns item id -> (expected outcome, reason code)."""
    folder.mkdir(parents=True, exist_ok=True)
    clean = sotu_texts(test_data, 3)
    iptc = (test_data / "iptc-reference-images" / "IPTC-PhotometadataRef-Std2023.2.jpg").read_bytes()
    c2pa = (test_data / "datadiligence" / "sample_c2pa.png").read_bytes()
    tdmrep = [{"location": "/articles/*", "tdm-reservation": 1}]
    shard0: list[dict[str, bytes]] = [
        {"__key__": b"exact-text", "txt": reg.texts["deny"].encode(), "json": _json({"url": "https://a.example/1"})},
        {"__key__": b"altered-licensed", "txt": alter_text(reg.texts["licence"]).encode(), "json": _json({})},
        {"__key__": b"registered-allowed", "txt": reg.texts["allow"].encode(), "json": _json({})},
        {"__key__": b"disputed", "txt": reg.texts["disputed"].encode(), "json": _json({})},
        {"__key__": b"noai-header", "txt": clean[0].encode(),
         "json": _json({"url": "https://img.example/x", "headers": {"X-Robots-Tag": "noai, noimageai"}})},
        {"__key__": b"tdmrep-reserved", "txt": clean[1].encode(),
         "json": _json({"url": "https://news.example/articles/7", "tdmrep_json": json.dumps(tdmrep)})},
        {"__key__": b"robots-disallow", "txt": clean[2].encode(),
         "json": _json({"url": "https://blog.example/post/1", "robots_txt": "User-agent: GPTBot\nDisallow: /\n"})},
    ]  # fmt: skip
    shard1: list[dict[str, bytes]] = [
        {"__key__": b"c2pa-do-not-train", "png": c2pa, "json": _json({"url": "https://c2pa.example/s.png"})},
        {"__key__": b"iptc-prohibited", "jpg": iptc, "json": _json({})},
        {"__key__": b"exact-image", "jpg": reg.images["deny"], "json": _json({})},
        {"__key__": b"altered-image", "jpg": reencode(reg.images["deny"]), "json": _json({})},
        {"__key__": b"clean-allowed", "txt": b"An openly licensed note. " * 40,
         "json": _json({"headers": {"Content-Usage": "train-ai=y"}})},
        {"__key__": b"clean-unknown", "jpg": photo(test_data, 40), "json": _json({})},
        {"__key__": b"corrupt-image", "jpg": photo(test_data, 3)[:2000], "json": _json({})},
        {"__key__": b"bad-json", "txt": b"some text " * 30, "json": b"{not json"},
        {"__key__": b"empty-text", "txt": b"", "json": _json({})},
    ]  # fmt: skip
    write_tar(folder / "shard-00000.tar", shard0)
    write_tar(folder / "shard-00001.tar", shard1)
    return {
        "exact-text": ("drop", "deny:registry"),
        "altered-licensed": ("license", "allow-if:registry"),
        "registered-allowed": ("keep", "allow:registry"),
        "disputed": ("drop", "deny:registry"),
        "noai-header": ("drop", "deny:X-Robots-Tag"),
        "tdmrep-reserved": ("drop", "deny:tdmrep.json"),
        "robots-disallow": ("drop", "deny:robots.txt"),
        "c2pa-do-not-train": ("drop", "deny:c2pa"),
        "iptc-prohibited": ("drop", "deny:iptc-xmp"),
        "exact-image": ("drop", "deny:registry"),
        "altered-image": ("drop", "deny:registry"),
        "clean-allowed": ("keep", "allow:Content-Usage"),
        "clean-unknown": ("drop", "unknown"),
        "corrupt-image": ("error", "error"),
        "bad-json": ("error", "error"),
        "empty-text": ("error", "error"),
    }


def scan_with_evidence(tmp: Path, data: Path, cache: Path, snapshot: Path, name: str, *extra: str) -> Path:
    """``mediamanager scan run`` of ``data`` as GPTBot with an evidence cache; asserts success, returns --out."""
    out = tmp / name
    res = subprocess.run(
        [str(Path(sys.executable).parent / "mediamanager"), "scan", "run", str(data), "--purpose", "genai-train",
         "--registry", str(snapshot), "--out", str(out), "--evidence", str(cache), "--user-agent", "GPTBot",
         "--key", str(tmp / "k.pem"), *extra],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    return out
