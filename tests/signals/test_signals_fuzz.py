"""Fuzz every signal parser briefly (hypothesis): never raise, return evidence, errors never allow.

CI runs ``max_examples=60`` per target (marker ``fuzz``); run longer with
``pytest -m fuzz --hypothesis-profile=fuzz-long``, or the atheris target in ``fuzz/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from signals_testlib import FUZZ

from mediamanager.model import Evidence, Use
from mediamanager.signals import Capture, read_signals, robots_allowed
from mediamanager.signals.aipref import parse_content_usage
from mediamanager.signals.aitxt import parse_ai_txt
from mediamanager.signals.content_signal import parse_content_signal
from mediamanager.signals.robots import parse_robots_txt
from mediamanager.signals.rsl import licence_links_from_headers, licence_links_from_html, parse_rsl
from mediamanager.signals.tdmrep import (
    parse_tdm_policy,
    parse_tdmrep_html,
    parse_tdmrep_json,
    parse_tdmrep_opf,
    parse_tdmrep_xmp,
    read_tdmrep_file,
)
from mediamanager.signals.xrobots import parse_html_meta_robots, parse_x_robots_tag

pytestmark = pytest.mark.fuzz

FRAGMENTS = [
    "User-agent: ",
    "GPTBot",
    "*",
    "\n",
    "Disallow: ",
    "Allow: ",
    "/",
    "$",
    "%",
    "%E3",
    "#",
    ":",
    ",",
    "=",
    "Content-Usage: ",
    "Content-Signal: ",
    "train-ai=n",
    "search=y",
    "ai-train=no",
    "License: ",
    "noai",
    '<rsl xmlns="https://rslstandard.org/rsl">',
    '<content url="/">',
    "<license>",
    '<permits type="usage">',
    "</permits>",
    '<payment type="crawl">',
    '<amount currency="USD">',
    "1e9",
    "</amount>",
    "<meta ",
    'name="robots" ',
    'content="noai"',
    ">",
    "{",
    "}",
    "[",
    "]",
    '"location"',
    '"tdm-reservation"',
    "1",
    '"',
    ";",
    "\xff",
    "\x00",
    "\u2603",
    '<!DOCTYPE x [<!ENTITY a "b">]>',
    "&a;",
    'xmlns:tdm="http://www.w3.org/ns/tdmrep/"',
    "<tdm:reservation>",
    "</tdm:reservation>",
]
texts = st.one_of(st.text(max_size=400), st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
blobs = st.one_of(st.binary(max_size=400), texts.map(lambda t: t.encode("utf-8", "surrogatepass")))

Parser = Callable[[Any], list[Evidence]]
PARSERS: dict[str, Parser] = {
    "robots.txt": lambda d: parse_robots_txt(d, url="https://x/a/b", user_agent="GPTBot"),
    "content-usage": parse_content_usage,
    "content-signal": lambda d: parse_content_signal(d.decode("utf-8", "replace")),
    "ai.txt": lambda d: parse_ai_txt(d, url="https://x/a.png"),
    "tdmrep.json": lambda d: parse_tdmrep_json(d, url="https://x/a"),
    "tdm html": lambda d: parse_tdmrep_html(d.decode("utf-8", "replace")),
    "tdm opf": parse_tdmrep_opf,
    "tdm xmp": parse_tdmrep_xmp,
    "tdm file": lambda d: read_tdmrep_file(d, "f.pdf"),
    "x-robots-tag": lambda d: parse_x_robots_tag(d.decode("utf-8", "replace"), user_agent="bot"),
    "meta robots": lambda d: parse_html_meta_robots(d.decode("utf-8", "replace")),
    "rsl": lambda d: parse_rsl(d, content_url="https://x/a"),
}


def _check(evidence: list[Evidence]) -> None:
    assert isinstance(evidence, list)
    for e in evidence:
        assert isinstance(e, Evidence)
        if e.error is not None:
            assert e.use is Use.UNKNOWN


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parser_never_raises(name: str) -> None:
    parser = PARSERS[name]

    @FUZZ
    @given(blobs)
    def run(data: bytes) -> None:
        _check(parser(data))

    run()


@FUZZ
@given(blobs, st.text(max_size=60), st.text(max_size=20))
def test_robots_allowed_never_raises(data: bytes, url: str, agent: str) -> None:
    assert isinstance(robots_allowed(data, url, agent), bool)


@FUZZ
@given(texts)
def test_discovery_and_policy_never_raise(text: str) -> None:
    assert isinstance(licence_links_from_headers([("link", text)]), list)
    assert isinstance(licence_links_from_html(text), list)
    parse_tdm_policy(text)


@FUZZ
@given(
    st.one_of(st.none(), texts),
    st.one_of(st.none(), blobs),
    st.lists(
        st.tuples(
            st.sampled_from(
                ["content-usage", "x-robots-tag", "tdm-reservation", "tdm-policy", "link", "content-signal"]
            ),
            texts,
        ),
        max_size=4,
    ),
)
def test_read_signals_never_raises_and_errors_are_collected(
    html: str | None, robots: bytes | None, headers: list[tuple[str, str]]
) -> None:
    prefs = read_signals(
        Capture(url="https://x/a", html_head=html, robots_txt=robots, headers=tuple(headers))
    )
    assert all(e.error for e in prefs.errors)


def test_atheris_target_runs_for_a_few_seconds() -> None:
    import subprocess
    import sys
    from pathlib import Path

    target = Path(__file__).parent / "fuzz" / "fuzz_signals.py"
    proc = subprocess.run(
        [sys.executable, str(target), "-max_total_time=3", "-rss_limit_mb=2048"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done" in proc.stderr
