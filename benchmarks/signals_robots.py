"""Benchmark: our RFC 9309 matcher against protego, accuracy and speed side by side in one process.

Accuracy: Google's compliance suite (400 expectations) and the robots_test.cc cases (140).
Speed: parse + answer on (1) every suite case, (2) the ai.robots.txt block list against
many URLs and agents, (3) a 500 KiB robots.txt (the RFC 9309 cap), (4) a 100 MB file
(ours reads the first 500 KiB; protego is given the same 500 KiB prefix).

Run: ``OMP_NUM_THREADS=1 python benchmarks/signals_robots.py [--test-data DIR]``
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from protego import Protego

from mediamanager.signals.robots import MAX_ROBOTS_BYTES, parse_robots, robots_allowed, url_path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "test-data"


def _body(entry: dict[str, Any]) -> str | bytes:
    return entry["text"] if "text" in entry else base64.b64decode(entry["text_b64"])


def _ours_allowed(body: str | bytes, url: str, agent: str) -> bool:
    # Parse every time (no per-content cache), as protego does, so the timing is like for like.
    return parse_robots(body, cache=False).allowed(url_path(url), agent)


def _protego_allowed(body: str | bytes, url: str, agent: str) -> bool | None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        return bool(Protego.parse(text).can_fetch(url, agent))
    except Exception:
        return None


def _score(
    cases: list[tuple[str | bytes, str, str, bool]], fn: Callable[[str | bytes, str, str], Any]
) -> int:
    return sum(fn(body, url, agent) == expected for body, url, agent, expected in cases)


def _timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--test-data", type=Path, default=Path(os.environ.get("MEDIAMANAGER_TEST_DATA", DEFAULT_DATA))
    )
    args = parser.parse_args()
    data: Path = args.test_data

    spec = json.loads((data / "robotstxt-google-spec-test" / "cases.json").read_text())["cases"]
    unit = json.loads((data / "robotstxt-google-unittest-cases" / "cases.json").read_text())[
        "is_user_agent_allowed"
    ]
    spec_cases = [(_body(c["robotstxt"]), c["url"], c["useragent"], c["expected"] == "ALLOWED") for c in spec]
    unit_cases = [(_body(c["robotstxt"]), c["url"], c["useragent"], c["expected_allowed"]) for c in unit]

    rows = []
    for name, cases in (("Google RFC 9309 spec suite", spec_cases), ("robots_test.cc cases", unit_cases)):
        ours = _score(cases, _ours_allowed)
        theirs = _score(cases, _protego_allowed)
        t_ours = _timed(lambda cases=cases: _score(cases, _ours_allowed))
        t_theirs = _timed(lambda cases=cases: _score(cases, _protego_allowed))
        rows.append((name, f"{ours}/{len(cases)}", f"{theirs}/{len(cases)}", t_ours, t_theirs))

    blocklist = (data / "ai-robots-txt" / "robots.txt").read_text()
    agents = [*list(json.loads((data / "ai-robots-txt" / "robots.json").read_text()))[:50], "Googlebot"]
    urls = [f"https://example.com/section{i}/page{i}.html?x={i}" for i in range(40)]

    def ours_many() -> None:
        parsed = parse_robots(blocklist, cache=False)
        for u in urls:
            for a in agents:
                parsed.allowed(url_path(u), a)

    def protego_many() -> None:
        parsed = Protego.parse(blocklist)
        for u in urls:
            for a in agents:
                parsed.can_fetch(u, a)

    strict = parse_robots(blocklist)
    theirs_ans = {(u, a): Protego.parse(blocklist).can_fetch(u, a) for u in urls[:5] for a in agents}
    agree = sum(strict.allowed(url_path(u), a) == v for (u, a), v in theirs_ans.items())
    agree_lenient = sum(
        strict.match(url_path(u), a, lenient=True).allowed == v for (u, a), v in theirs_ans.items()
    )
    rows.append(
        (
            f"ai.robots.txt block list, {len(urls)} URLs x {len(agents)} agents (answers equal to protego's:"
            f" strict {agree}/{len(theirs_ans)}, lenient AI-evidence mode {agree_lenient}/{len(theirs_ans)})",
            "-",
            "-",
            _timed(ours_many),
            _timed(protego_many),
        )
    )

    line = "Disallow: /private/area/{i}/*.pdf$\nAllow: /public/{i}/\n"
    big = "User-agent: *\n" + "".join(line.format(i=i) for i in range(20000))
    big = big[:MAX_ROBOTS_BYTES]
    probe = [f"https://example.com/private/area/{i}/doc.pdf" for i in range(0, 20000, 2000)]
    rows.append(
        (
            f"500 KiB robots.txt ({len(big) // 1024} KiB), {len(probe)} URLs",
            "-",
            "-",
            _timed(lambda: [_ours_allowed(big, u, "bot") for u in probe], 1),
            _timed(lambda: [Protego.parse(big).can_fetch(u, "bot") for u in probe], 1),
        )
    )

    huge = ("User-agent: *\n" + "Disallow: /x" + "a" * 100 + "\n") * (100 * 1024 * 1024 // 115)
    prefix = huge[:MAX_ROBOTS_BYTES]
    rows.append(
        (
            f"100 MB robots.txt ({len(huge) // 1_000_000} MB; protego given the 500 KiB prefix)",
            "-",
            "-",
            _timed(lambda: robots_allowed(huge, "https://x/y", "bot"), 1),
            _timed(lambda: Protego.parse(prefix).can_fetch("https://x/y", "bot"), 1),
        )
    )

    print("| workload | ours correct | protego correct | ours s | protego s | protego/ours time |")
    print("|---|---|---|---|---|---|")
    for name, ours_s, theirs_s, t_ours, t_theirs in rows:
        print(
            f"| {name} | {ours_s} | {theirs_s} | {t_ours:.4f} | {t_theirs:.4f} | {t_theirs / t_ours:.2f}x |"
        )


if __name__ == "__main__":
    main()
