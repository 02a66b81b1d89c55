"""Atheris fuzz target for every signal parser.

Run for N seconds (libFuzzer options pass through)::

    python tests/signals/fuzz/fuzz_signals.py -max_total_time=60

The first input byte picks the parser; the rest is its input. A crash is any
exception escaping a parser or an error entry that claims a use.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from mediamanager.model import Use
    from mediamanager.signals import Capture, read_signals, robots_allowed
    from mediamanager.signals.aipref import parse_content_usage
    from mediamanager.signals.aitxt import parse_ai_txt
    from mediamanager.signals.content_signal import parse_content_signal
    from mediamanager.signals.robots import parse_robots_txt
    from mediamanager.signals.rsl import parse_rsl
    from mediamanager.signals.tdmrep import (
        parse_tdmrep_json,
        parse_tdmrep_opf,
        parse_tdmrep_xmp,
        read_tdmrep_file,
    )
    from mediamanager.signals.xrobots import parse_html_meta_robots, parse_x_robots_tag

PARSERS = [
    lambda d: parse_robots_txt(d, url="https://x/a", user_agent="GPTBot"),
    parse_content_usage,
    lambda d: parse_content_signal(d.decode("utf-8", "replace")),
    lambda d: parse_ai_txt(d, url="https://x/a.png"),
    lambda d: parse_tdmrep_json(d, url="https://x/a"),
    parse_tdmrep_opf,
    parse_tdmrep_xmp,
    lambda d: read_tdmrep_file(d, "x.pdf"),
    lambda d: parse_x_robots_tag(d.decode("utf-8", "replace"), user_agent="bot"),
    lambda d: parse_html_meta_robots(d.decode("utf-8", "replace")),
    lambda d: parse_rsl(d, content_url="https://x/a"),
    lambda d: (
        read_signals(Capture(url="https://x/a", robots_txt=d, html_head=d.decode("utf-8", "replace"))).errors
    ),
]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    choice, payload = data[0] % (len(PARSERS) + 1), data[1:]
    if choice == len(PARSERS):
        robots_allowed(payload, "https://x/a/b", "GPTBot")
        return
    for e in PARSERS[choice](payload):
        if e.error is not None and e.use is not Use.UNKNOWN:
            raise AssertionError(f"error entry claims a use: {e}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
