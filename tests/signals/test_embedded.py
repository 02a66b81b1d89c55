"""The embedded-signals dispatcher: hostile and broken files, argument errors, combined carriers."""

from __future__ import annotations

import io
import random
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from PIL import Image

from mediamanager.errors import CorruptMediaError, InputError, UnsupportedMediaError
from mediamanager.model import Evidence, Purpose, Use, combine_rules, parse_preference_spec
from mediamanager.signals.embedded import embed_preferences, read_embedded

GENAI_DENY_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/">'
    b"<plus:DataMining>http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-GENAIMLTRAINING</plus:DataMining>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)
ALLOW_XMP = GENAI_DENY_XMP.replace(b"DMI-PROHIBITED-GENAIMLTRAINING", b"DMI-ALLOWED")
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
    + ALLOW_XMP.replace(b"DMI-ALLOWED", b"&lol9;")
)


def never_allows(ev: list[Evidence]) -> bool:
    """Error entries carry no use, and nothing in the list combines to a permission."""
    if any(e.error is not None and e.use is not Use.UNKNOWN for e in ev):
        return False
    return all(combine_rules(e for e in ev if e.purpose is p).use in (Use.UNKNOWN, Use.DENY) for p in Purpose)


def errors(ev: list[Evidence]) -> list[str]:
    return [e.error for e in ev if e.error]


def png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def jpeg_with_xmp(xmp: bytes) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    b = buf.getvalue()
    app1 = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    return b[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + b[2:]


def test_no_manifest_no_xmp_is_unknown(test_data: Path) -> None:
    for name in ("A.jpg", "files-for-signing-tests/sample1.png", "files-for-signing-tests/mars.webp"):
        assert read_embedded((test_data / "c2pa-python-fixtures" / name).read_bytes(), name) == []


def test_tampered_manifests_are_errors_never_allow(test_data: Path) -> None:
    folder = test_data / "c2pa-public-testfiles/image/jpeg"
    for name in ("adobe-20220124-E-dat-CA.jpg", "adobe-20220124-E-sig-CA.jpg", "adobe-20220124-XCA.jpg"):
        ev = read_embedded((folder / name).read_bytes(), name)
        assert any("invalid C2PA manifest" in e for e in errors(ev)), name
        assert never_allows(ev)


def test_truncated_jumbf_box_is_an_error(test_data: Path) -> None:
    jpeg = (test_data / "c2pa-python-fixtures/C.jpg").read_bytes()
    app11 = jpeg.find(b"\xff\xeb")
    ev = read_embedded(jpeg[: app11 + 3000], "C.jpg")
    assert any(e.source == "c2pa" for e in ev if e.error) and any("truncated" in e for e in errors(ev))
    assert never_allows(ev)
    # a JUMBF box cut short inside an otherwise complete file
    damaged = bytearray(jpeg)
    j = jpeg.find(b"jumb", app11)
    damaged[j + 20 : j + 60] = bytes(40)
    ev = read_embedded(bytes(damaged), "C.jpg")
    assert any(e.source == "c2pa" for e in ev if e.error) and never_allows(ev)
    # a store the reader no longer finds at all, though its bytes are there
    hidden = jpeg.replace(b"\xff\xeb", b"\xff\xec", 1)
    ev = read_embedded(hidden, "C.jpg")
    assert any("JUMBF" in e for e in errors(ev)) and never_allows(ev)
    png = (test_data / "datadiligence/sample_c2pa.png").read_bytes()
    ev = read_embedded(png[: png.find(b"caBX") + 500], "sample_c2pa.png")
    assert errors(ev) and never_allows(ev)


@pytest.mark.parametrize("carrier", ["jpeg", "sidecar"])
def test_xmp_bomb_is_refused_quickly(carrier: str) -> None:
    content = jpeg_with_xmp(BOMB) if carrier == "jpeg" else BOMB
    tracemalloc.start()
    start = time.perf_counter()
    ev = read_embedded(content, "bomb.jpg" if carrier == "jpeg" else "bomb.xmp")
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert any("DTD or entity" in e for e in errors(ev))
    assert never_allows(ev)
    assert elapsed < 2 and peak < 20_000_000


def test_binary_garbage_and_empty_input_are_errors() -> None:
    garbage = random.Random(7).randbytes(200_000)
    ev = read_embedded(garbage, "garbage.bin")
    assert any("unrecognised" in e for e in errors(ev)) and never_allows(ev)
    assert any("empty" in e for e in errors(read_embedded(b"", "empty.jpg")))
    # garbage behind each magic number: errors, no crash, nothing allowed
    for magic in (
        b"\xff\xd8\xff\xe1",
        b"\x89PNG\r\n\x1a\n",
        b"II*\x00",
        b"MM\x00*",
        b"RIFF\xff\xff\xff\x7fWEBP",
        b"%PDF-1.7",
    ):
        ev = read_embedded(magic + garbage[:5000], "x")
        assert never_allows(ev), magic


def test_invalid_utf8_xmp_is_an_error() -> None:
    bad = ALLOW_XMP.replace(b"DMI-ALLOWED", b"DMI-ALLOWED\xff\xfe\xc3")
    ev = read_embedded(jpeg_with_xmp(bad), "bad.jpg")
    assert any("not well-formed" in e for e in errors(ev))
    assert never_allows(ev)


def _huge_png(xmp: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    itxt = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp
    idat = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"iTXt", itxt)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def test_image_claiming_100000_by_100000_pixels_is_flagged_not_decoded() -> None:
    start = time.perf_counter()
    ev = read_embedded(_huge_png(GENAI_DENY_XMP), "huge.png")
    assert time.perf_counter() - start < 2
    assert any("100000 x 100000" in e for e in errors(ev))
    assert (
        combine_rules(e for e in ev if e.purpose is Purpose.GENAI_TRAIN).use is Use.DENY
    )  # metadata still read
    assert never_allows(ev)
    # the same claim in the other containers
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2)
    tiff += struct.pack("<HHII", 256, 4, 1, 100_000) + struct.pack("<HHII", 257, 4, 1, 100_000) + b"\x00" * 4
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (99_999).to_bytes(3, "little") * 2
    webp = b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 65535, 65535, 1) + b"\x01\x11\x00"
    jpeg = b"\xff\xd8" + sof + b"\xff\xd9"
    for name, content in (("t.tif", tiff), ("w.webp", webp), ("j.jpg", jpeg)):
        ev = read_embedded(content, name)
        assert any("pixels" in e for e in errors(ev)), name
    with pytest.raises(CorruptMediaError):
        embed_preferences(_huge_png(b""), "huge.png", parse_preference_spec("tdm=deny"))


def test_pdf_xmp_is_read(test_data: Path) -> None:
    pdf = (test_data / "c2pa-rs-fixtures/basic.pdf").read_bytes()
    assert read_embedded(pdf, "basic.pdf") == []
    xmp_pdf = b"%PDF-1.4\n1 0 obj << /Type /Metadata /Subtype /XML /Length 9 >>\nstream\n" + GENAI_DENY_XMP
    xmp_pdf += b"\nendstream endobj\n%%EOF\n"
    ev = read_embedded(xmp_pdf, "doc.pdf")
    assert [(e.purpose, e.use) for e in ev if e.source == "iptc-xmp"] == [(Purpose.GENAI_TRAIN, Use.DENY)]
    packed = zlib.compress(GENAI_DENY_XMP)
    flate = b"%PDF-1.5\n2 0 obj << /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length "
    flate += str(len(packed)).encode() + b" >>\nstream\n"
    ev = read_embedded(flate + packed + b"\nendstream endobj\n", "doc.pdf")
    assert [(e.purpose, e.use) for e in ev if e.source == "iptc-xmp"] == [(Purpose.GENAI_TRAIN, Use.DENY)]


def test_embed_argument_errors(test_data: Path) -> None:
    jpg = (test_data / "c2pa-python-fixtures/A.jpg").read_bytes()
    prefs = parse_preference_spec("genai-train=deny")
    with pytest.raises(InputError, match="nothing to embed"):
        embed_preferences(jpg, "a.jpg", prefs, xmp=False)
    with pytest.raises(InputError, match="both"):
        embed_preferences(jpg, "a.jpg", prefs, c2pa_key=b"k")
    with pytest.raises(InputError, match="unknown"):
        embed_preferences(jpg, "a.jpg", parse_preference_spec("tdm=unknown"))
    with pytest.raises(UnsupportedMediaError):
        embed_preferences((test_data / "c2pa-rs-fixtures/basic.pdf").read_bytes(), "b.pdf", prefs)
    with pytest.raises(InputError, match="invalidate"):
        embed_preferences((test_data / "c2pa-python-fixtures/C.jpg").read_bytes(), "C.jpg", prefs)


def test_xmp_and_c2pa_together_carry_everything(test_data: Path) -> None:
    d = test_data / "c2pa-python-fixtures"
    prefs = parse_preference_spec(
        "genai-train=deny,search=allow,ai-input=allow-if:attribution+payment=per-item/0.01 USD"
    )
    out = embed_preferences(
        (d / "A.jpg").read_bytes(),
        "A.jpg",
        prefs,
        c2pa_key=(d / "es256_private.key").read_bytes(),
        c2pa_cert_chain=(d / "es256_certs.pem").read_bytes(),
    )
    ev = read_embedded(out, "A.jpg")
    assert {e.source for e in ev} == {"c2pa", "cawg", "iptc-xmp"} and not errors(ev)
    for purpose, rule in prefs:
        combined = combine_rules(e for e in ev if e.purpose is purpose)
        assert (combined.use, combined.conditions) == (rule.use, rule.conditions)
    # the XMP is inside what the manifest signs: changing it breaks the manifest
    tampered = out.replace(b"DMI-PROHIBITED-GENAIMLTRAINING", b"DMI-PROHIBITED-AIMLTRAINING!!")
    assert any("invalid C2PA manifest" in e for e in errors(read_embedded(tampered, "A.jpg")))
