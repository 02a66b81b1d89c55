"""A short mutation-fuzz loop over the signal parsers, as part of every test run (review section 8).

Seeds are the third-party files in the shared test data; each is mutated (byte flips, inserted
syntax tokens, deletions, repeats, splices, truncation) a fixed number of times from a fixed seed,
so a failure reproduces. ``MM_FUZZ_SEED`` picks another seed, ``MM_FUZZ_ROUNDS`` the rounds per
parser. Every parser must answer with evidence or a documented MediaManagerError, never another
exception, never an error entry that claims a use, and never take more than 2 s of CPU on one input.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from mediamanager.errors import MediaManagerError
from mediamanager.model import Use
from mediamanager.signals.aipref import parse_content_usage
from mediamanager.signals.aitxt import parse_ai_txt
from mediamanager.signals.content_signal import parse_content_signal
from mediamanager.signals.robots import parse_robots_txt
from mediamanager.signals.rsl import parse_rsl
from mediamanager.signals.tdmrep import (
    parse_tdmrep_html,
    parse_tdmrep_json,
    parse_tdmrep_opf,
    parse_tdmrep_xmp,
)
from mediamanager.signals.xmp import read_xmp_packet
from mediamanager.signals.xrobots import parse_html_meta_robots, parse_x_robots_tag

ROUNDS = int(os.environ.get("MM_FUZZ_ROUNDS", "4000"))  # about 30 s for all parsers on a loaded 2-core box
SEED = int(os.environ.get("MM_FUZZ_SEED", "20261203"))
URL = "https://x.example/a/b.html"

TOKENS = [
    b"\n", b"\r\n", b"*", b"$", b"/", b"#", b":", b"=", b",", b";", b'"', b"<", b">", b"&", b"]]>",
    b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"&a;", b"\x00", b"\xff", b"\xef\xbb\xbf", b"User-agent: GPTBot\n",
    b"Disallow: /\n", b"Allow: /a\n", b"Content-Usage: train-ai=n\n", b"tdm-reservation", b"1", b"0", b"-1",
    b"1e309", b"NaN", b"null", b"[", b"]", b"{", b"}", b"%00", b"?", b"\t", b" " * 64, "\u00e9".encode(),
    "\u2028".encode(), b"\\ud800", b"rdf:li", b'xmlns:x="adobe:ns:meta/"',
]  # fmt: skip


def _files(root: Path, patterns: Iterable[str]) -> list[bytes]:
    out = []
    for pattern in patterns:
        for p in sorted(root.glob(pattern)):
            if p.is_file() and p.stat().st_size < 200_000:
                out.append(p.read_bytes())
    return out


def _json_texts(root: Path, pattern: str, keys: set[str]) -> list[bytes]:
    """String values under ``keys`` anywhere in the JSON files (the W3C examples embed HTML and OPF)."""
    out: list[bytes] = []

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                if k in keys and isinstance(v, str):
                    out.append(v.encode())
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    for p in sorted(root.glob(pattern)):
        walk(json.loads(p.read_text()))
    return out


def _xmp(root: Path) -> list[bytes]:
    found = []
    for b in _files(root, ["exiftool-test-images/*", "iptc-reference-images/*", "tdmrep-w3c-examples/**/*"]):
        found += [
            m.group(0) for m in re.finditer(rb"<x:xmpmeta.*?</x:xmpmeta>|<rdf:RDF.*?</rdf:RDF>", b, re.S)
        ]
    return found[:200]


def _text(d: bytes) -> str:
    return d.decode("utf-8", "replace")


# parser name -> (seed files, call)
PARSERS: dict[str, tuple[Callable[[Path], list[bytes]], Callable[[bytes], Any]]] = {
    "robots": (
        lambda r: _files(r, ["robotstxt-google-*/**/*.txt", "ai-robots-txt/robots.txt"]),
        lambda d: parse_robots_txt(d, url=URL, user_agent="GPTBot"),
    ),
    "content-usage": (
        lambda r: [b"train-ai=n", b"train-ai=y, search=y", b"train-genai=n;q=1", b"train-ai=?1, search=?0"],
        lambda d: parse_content_usage(d.decode("latin-1")),
    ),
    "content-signal": (
        lambda r: [b"search=yes, ai-train=no", b"ai-input=no", b"search=yes,ai-train=yes,ai-input=no"],
        lambda d: parse_content_signal(d.decode("latin-1")),
    ),
    "tdmrep-json": (
        lambda r: _files(r, ["tdmrep-w3c-examples/**/*.json"]),
        lambda d: parse_tdmrep_json(d, url=URL),
    ),
    "ai-txt": (
        lambda r: [b"User-Agent: *\nDisallow: *.png\nAllow: /\n", b"User-Agent: *\nDisallow: /\n"],
        lambda d: parse_ai_txt(d, url="https://x.example/a/b.png"),
    ),
    "xmp": (_xmp, lambda d: list(read_xmp_packet(d, "fuzz")) + list(parse_tdmrep_xmp(d))),
    "rsl": (
        lambda r: [
            b'<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license><permits type="usage">ai-train'
            b'</permits><payment type="purchase"><amount currency="USD">10</amount></payment></license></content></rsl>'
        ],
        lambda d: parse_rsl(d, content_url="https://x.example/a"),
    ),
    "tdmrep-opf-html": (
        lambda r: _json_texts(r, "tdmrep-w3c-examples/*.json", {"text"}),
        lambda d: list(parse_tdmrep_opf(d)) + list(parse_tdmrep_html(_text(d))),
    ),
    "x-robots": (
        lambda r: [b"noai, noimageai", b"GPTBot: noai", b"googlebot: noindex, nofollow", b"none"],
        lambda d: (
            list(parse_x_robots_tag(_text(d), user_agent="GPTBot")) + list(parse_html_meta_robots(_text(d)))
        ),
    ),
}


def mutate(r: random.Random, seed: bytes, pool: list[bytes]) -> bytes:
    b = bytearray(seed)
    for _ in range(r.randint(1, 8)):
        op = r.randrange(8)
        if op == 0 and b:
            b[r.randrange(len(b))] = r.randrange(256)
        elif op == 1:
            p = r.randrange(len(b) + 1)
            b[p:p] = r.choice(TOKENS)
        elif op == 2 and b:
            p = r.randrange(len(b))
            del b[p : p + r.randint(1, 32)]
        elif op == 3 and b:
            p = r.randrange(len(b))
            q = r.randrange(p, min(len(b), p + 256) + 1)
            b[p:p] = b[p:q] * r.randint(1, 20)
        elif op == 4:
            o = r.choice(pool)
            p, q = r.randrange(len(b) + 1), r.randrange(len(o) + 1)
            b = b[:p] + o[q : q + r.randint(0, 512)]
        elif op == 5 and b:
            b = b[: r.randrange(len(b) + 1)]
        elif op == 6:
            b += bytes(r.randrange(256) for _ in range(r.randint(1, 16)))
        elif op == 7 and len(b) > 1:
            i, j = sorted(r.sample(range(len(b)), 2))
            b[i:j] = b[i:j][::-1]
    return bytes(b[:300_000])


@pytest.mark.parametrize("name", list(PARSERS))
def test_mutated_inputs_never_raise_undocumented_errors(test_data: Path, name: str) -> None:
    seeds, parse = PARSERS[name]
    pool = [s for s in seeds(test_data) if s]
    assert pool, f"no seed files for {name} in {test_data}"
    r = random.Random(f"{SEED}-{name}")
    failures: list[str] = []
    for i in range(ROUNDS):
        data = r.choice(pool) if i % 10 == 0 else mutate(r, r.choice(pool), pool)
        start = time.thread_time()  # CPU time of this thread: other processes' load does not count
        try:
            for ev in parse(data):
                if ev.error is not None and ev.use is not Use.UNKNOWN:
                    failures.append(f"round {i}: an error entry claims {ev.use}: {data[:80]!r}")
        except MediaManagerError:
            pass  # documented
        except Exception as exc:  # the defect this loop hunts
            failures.append(f"round {i}: {type(exc).__name__}: {str(exc)[:80]} on {data[:80]!r}")
        if time.thread_time() - start > 2.0:
            failures.append(f"round {i}: {time.thread_time() - start:.1f} s of CPU on one input")
    assert failures == [], f"{len(failures)} of {ROUNDS} inputs failed (seed {SEED}):\n" + "\n".join(
        failures[:10]
    )
