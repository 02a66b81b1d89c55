"""The public signal readers report hostile input as error entries; nothing else escapes them (D14)."""

from __future__ import annotations

import pytest

from mediamanager.signals.embedded import read_embedded
from mediamanager.signals.tdmrep import parse_tdmrep_json
from mediamanager.signals.xmp import read_xmp_packet

# The shape atheris found in the red-team review (atheris-embedded-crash.bin): an XML declaration
# naming a codec Python lacks, in a packet with no x:xmpmeta element (so the declaration is parsed).
UTF9 = b'<?xml version="1.0" encoding="UTF-9" standalone="yes"?>\n<?aid style="33"?>\n<doc><lang pnam="x"/></doc>'
URL = "https://site.example/a/page.html"


@pytest.mark.parametrize("reader", ["read_xmp_packet", "read_embedded"])
def test_unknown_xml_encoding_is_an_error_entry(reader: str) -> None:
    out = read_xmp_packet(UTF9, "a.xmp") if reader == "read_xmp_packet" else read_embedded(UTF9, "a.xmp")
    assert len(out) == 1 and out[0].error == "XMP packet unreadable: unknown encoding: UTF-9"


def test_nested_xmp_bomb_is_refused_before_parsing() -> None:
    import time

    bomb = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b"<a>" * 1_000_000 + b"</a>" * 1_000_000 + b"</x:xmpmeta>"
    )
    started = time.process_time()
    out = read_xmp_packet(bomb, "n.xmp")
    assert [e.error for e in out] == ["XMP packet has over 200,000 elements"]
    assert time.process_time() - started < 1.0  # parsing it took about 6 s in the review


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (b'[{"location":"/\\ud800","tdm-reservation":1}]', "rule 0 location is not valid Unicode"),
        (
            b'[{"location":"/","tdm-reservation":NaN}]',
            "tdmrep.json is not valid JSON: NaN is not a JSON value",
        ),
        (b'[{"location":"/","tdm-reservation":1e999999}]', "rule 0: tdm-reservation must be 0 or 1, not inf"),
        (b'[{"location":"/","tdm-reservation":"yes"}]', "rule 0: tdm-reservation must be 0 or 1, not 'yes'"),
    ],
)
def test_tdmrep_json_hostile_values_are_error_entries(text: bytes, error: str) -> None:
    out = parse_tdmrep_json(text, url=URL)
    assert [e.error for e in out] == [error]
    assert all(e.use.value == "unknown" for e in out)


def test_tdmrep_bad_location_does_not_hide_a_later_rule() -> None:
    out = parse_tdmrep_json(
        b'[{"location":"/\\ud800","tdm-reservation":0},{"location":"/a/","tdm-reservation":1}]', url=URL
    )
    assert [(e.error, e.use.value) for e in out] == [
        ("rule 0 location is not valid Unicode", "unknown"),
        (None, "deny"),
    ]
