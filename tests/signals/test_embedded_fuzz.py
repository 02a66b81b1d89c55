"""Short hypothesis fuzz runs over every embedded-signal parser, seeded with real files.

Properties: no exception escapes, errors never carry a use, and nothing damaged reads as permission.
Longer runs: ``HYPOTHESIS_PROFILE=fuzz-long``; the atheris target is ``tests/signals/fuzz/fuzz_embedded.py``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from signals_testlib import fuzz_settings

from mediamanager.model import Evidence, Use, parse_preference_spec
from mediamanager.signals.c2pa_tm import read_c2pa
from mediamanager.signals.embedded import embed_preferences, read_embedded
from mediamanager.signals.xmp import read_xmp_packet
from mediamanager.signals.xmp_containers import find_xmp, sniff_format

pytestmark = pytest.mark.fuzz
# 40 examples in CI; the loaded hypothesis profile (--hypothesis-profile=fuzz-long) or MM_FUZZ_EXAMPLES overrides.
FUZZ = (
    fuzz_settings(40)
    if "MM_FUZZ_EXAMPLES" not in os.environ
    else settings(fuzz_settings(40), max_examples=int(os.environ["MM_FUZZ_EXAMPLES"]))
)
TEST_DATA = Path(
    os.environ.get(
        "MEDIAMANAGER_TEST_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "test-data"
    )
)
PREFS = parse_preference_spec("genai-train=deny,search=allow,ai-input=allow-if:attribution")


def _seed(fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buf, fmt, **kw)
    return embed_preferences(buf.getvalue(), f"x.{fmt.lower()}", PREFS)


SEEDS = {
    "jpeg": _seed("JPEG"),
    "png": _seed("PNG"),
    "tiff": _seed("TIFF"),
    "webp": _seed("WEBP", lossless=True),
}


def _mutate(seed: bytes, data: st.DataObject) -> bytes:
    b = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        pos = data.draw(st.integers(0, max(0, len(b) - 1)))
        if kind == "flip" and b:
            b[pos] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del b[pos : pos + data.draw(st.integers(1, 64))]
        elif kind == "insert":
            b[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
        else:
            b[pos:pos] = b[pos : pos + data.draw(st.integers(1, 64))]
    return bytes(b)


def _sound(ev: list[Evidence]) -> None:
    assert isinstance(ev, list)
    for e in ev:
        assert isinstance(e, Evidence)
        assert e.error is None or e.use is Use.UNKNOWN


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_fuzz_container_walkers(fmt: str, data: st.DataObject) -> None:
    content = _mutate(SEEDS[fmt], data)
    container = find_xmp(content, sniff_format(content))
    assert all(isinstance(p, bytes) for _, p in container.packets)
    _sound(read_embedded(content, f"x.{fmt}"))


@FUZZ
@given(data=st.data())
def test_fuzz_xmp_packet_parser(data: st.DataObject) -> None:
    (_, packet), *_ = find_xmp(SEEDS["png"], "png").packets
    _sound(read_xmp_packet(_mutate(packet, data), "fuzz"))
    _sound(read_xmp_packet(data.draw(st.binary(max_size=2000)), "fuzz"))


@FUZZ
@given(data=st.data())
def test_fuzz_c2pa_reader(data: st.DataObject) -> None:
    seed = (TEST_DATA / "datadiligence" / "sample_c2pa.png").read_bytes()
    start = seed.find(b"caBX") - 4
    # mutate only the manifest region, so the fuzzer spends its time inside JUMBF/CBOR parsing
    head, box, tail = seed[:start], seed[start : start + 4000], seed[start + 4000 :]
    content = head + _mutate(box, data) + tail
    ev = read_c2pa(content, "image/png")
    _sound(ev)
    assert not any(e.use in (Use.ALLOW, Use.ALLOW_IF) for e in ev)


@FUZZ
@given(content=st.binary(max_size=4096), name=st.sampled_from([None, "a.jpg", "a.png", "a.xmp", "a.pdf"]))
def test_fuzz_dispatcher_on_arbitrary_bytes(content: bytes, name: str | None) -> None:
    _sound(read_embedded(content, name))
