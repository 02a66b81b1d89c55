"""IPTC/PLUS ``plus:DataMining`` and our exact XMP rules: reference images, vocabulary, round trips."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from signals_testlib import stated, wanted

from mediamanager.model import (
    Conditions,
    Payment,
    PaymentModel,
    Preferences,
    Purpose,
    Rule,
    Use,
    parse_preference_spec,
)
from mediamanager.signals.embedded import embed_preferences, read_embedded
from mediamanager.signals.xmp import DMI_VOCAB, best_fit_data_mining, build_packet, read_xmp_packet
from mediamanager.signals.xmp_containers import find_xmp, sniff_format

PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"


def packet(body: str, extra_ns: str = "") -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:plus="{PLUS}" '
        f'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" {extra_ns}>{body}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def test_iptc_2023_reference_image_denies_genai_training(test_data: Path) -> None:
    path = test_data / "iptc-reference-images/IPTC-PhotometadataRef-Std2023.2.jpg"
    ev = read_embedded(path.read_bytes(), path.name)
    assert stated(ev) == {Purpose.GENAI_TRAIN: (Use.DENY, Conditions())}
    (e,) = ev
    assert e.source == "iptc-xmp" and e.raw.endswith("DMI-PROHIBITED-GENAIMLTRAINING")
    assert "definitely prohibited" in (e.detail or "")  # plus:OtherConstraints kept with it


def test_iptc_2021_reference_image_is_unknown(test_data: Path) -> None:
    path = test_data / "iptc-reference-images/IPTC-PhotometadataRef-Std2021.1.jpg"
    assert find_xmp(path.read_bytes(), "jpeg").packets  # it does carry XMP, just no DataMining
    assert read_embedded(path.read_bytes(), path.name) == []


def test_real_world_metadata_files_give_no_false_statements(test_data: Path) -> None:
    """ExifTool's PLUS.xmp / XMP*.xmp and metadata-extractor originals: XMP without DataMining says nothing."""
    files = sorted((test_data / "metadata-extractor-images/originals-iptc-xmp").glob("*.jpg"))
    files += [
        test_data / "exiftool-test-images" / n
        for n in ("PLUS.xmp", "XMP.xmp", "XMP.jpg", "ExtendedXMP.jpg", "PDF.pdf")
    ]
    parsed = 0
    for path in files:
        content = path.read_bytes()
        ev = read_embedded(content, path.name)
        assert not [e for e in ev if e.purpose is not None], path
        parsed += len(find_xmp(content, sniff_format(content, path.name)).packets)
    assert parsed >= 20


def test_utf16_and_extended_xmp_are_found(test_data: Path) -> None:
    ext = find_xmp((test_data / "exiftool-test-images/ExtendedXMP.jpg").read_bytes(), "jpeg")
    assert any(w.startswith("JPEG Extended XMP") for w, _ in ext.packets) and not ext.problems
    utf16 = (test_data / "exiftool-test-images/XMP.jpg").read_bytes()
    assert read_embedded(utf16, "XMP.jpg") == []  # UTF-16 packet parsed, not an error


@pytest.mark.parametrize(
    ("name", "expect"),
    [
        ("DMI-UNSPECIFIED", {}),
        ("DMI-ALLOWED", {Purpose.TDM: Use.ALLOW}),
        ("DMI-PROHIBITED-AIMLTRAINING", {Purpose.AI_TRAIN: Use.DENY}),
        ("DMI-PROHIBITED-GENAIMLTRAINING", {Purpose.GENAI_TRAIN: Use.DENY}),
        ("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", {Purpose.TDM: Use.DENY, Purpose.SEARCH: Use.ALLOW}),
        ("DMI-PROHIBITED", {Purpose.TDM: Use.DENY}),
        ("DMI-PROHIBITED-SEECONSTRAINT", {Purpose.TDM: Use.ALLOW_IF}),
        ("DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", {Purpose.TDM: Use.ALLOW_IF}),
        ("DMI-PROHIBITED-SEELINKEDRIGHTSEXPR", {Purpose.TDM: Use.ALLOW_IF}),
    ],
)
def test_all_nine_plus_vocabulary_values(name: str, expect: dict[Purpose, Use]) -> None:
    assert name in DMI_VOCAB
    body = (
        f"<plus:DataMining>http://ns.useplus.org/ldf/vocab/{name}</plus:DataMining>"
        '<plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="de">Nein</rdf:li>'
        '<rdf:li xml:lang="x-default">Licence from me first</rdf:li></rdf:Alt></plus:OtherConstraints>'
        "<Iptc4xmpExt:EmbdEncRightsExpr><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<Iptc4xmpExt:EncRightsExpr>&lt;odrl/&gt;</Iptc4xmpExt:EncRightsExpr></rdf:li></rdf:Bag>"
        "</Iptc4xmpExt:EmbdEncRightsExpr>"
        "<Iptc4xmpExt:LinkedEncRightsExpr><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<Iptc4xmpExt:LinkedRightsExpr>https://example.org/odrl.json</Iptc4xmpExt:LinkedRightsExpr>"
        "</rdf:li></rdf:Bag></Iptc4xmpExt:LinkedEncRightsExpr>"
    )
    ev = read_xmp_packet(packet(body), "t")
    assert {p: u for p, (u, _) in stated(ev).items()} == expect
    assert all(e.error is None for e in ev) and len(ev) >= 1  # UNSPECIFIED is still kept as evidence
    conds = {e.conditions for e in ev if e.use is Use.ALLOW_IF}
    if name.endswith("SEECONSTRAINT"):
        assert conds == {Conditions(note="Licence from me first")}
    elif name.endswith("SEEEMBEDDEDRIGHTSEXPR"):
        assert "<odrl/>" in (next(iter(conds)).note or "")
    elif name.endswith("SEELINKEDRIGHTSEXPR"):
        assert conds == {Conditions(licence_url="https://example.org/odrl.json")}


def test_see_values_with_nothing_to_see_are_plain_denials() -> None:
    for name in ("SEECONSTRAINT", "SEEEMBEDDEDRIGHTSEXPR", "SEELINKEDRIGHTSEXPR"):
        body = f"<plus:DataMining>http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-{name}</plus:DataMining>"
        assert stated(read_xmp_packet(packet(body), "t")) == {Purpose.TDM: (Use.DENY, Conditions())}


def test_attribute_and_resource_forms_and_bad_values() -> None:
    attr = packet("", 'plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED"')
    assert stated(read_xmp_packet(attr, "t")) == {Purpose.TDM: (Use.DENY, Conditions())}
    res = packet(
        '<plus:DataMining rdf:resource="https://ns.useplus.org/ldf/vocab/dmi-prohibited-aimltraining"/>'
    )
    assert stated(read_xmp_packet(res, "t")) == {Purpose.AI_TRAIN: (Use.DENY, Conditions())}
    bad = read_xmp_packet(packet("<plus:DataMining>maybe later</plus:DataMining>"), "t")
    assert bad[0].error and bad[0].use is Use.UNKNOWN
    other_only = read_xmp_packet(packet("<plus:OtherConstraints>no robots</plus:OtherConstraints>"), "t")
    assert [(e.purpose, e.raw, e.error) for e in other_only] == [(None, "no robots", None)]


def test_best_fit_never_says_more_than_the_preferences() -> None:
    spec_to_dmi = {
        "tdm=deny,search=allow": "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
        "tdm=deny": "DMI-PROHIBITED",
        "ai-train=deny,ai-input=allow": "DMI-PROHIBITED-AIMLTRAINING",
        "genai-train=deny": "DMI-PROHIBITED-GENAIMLTRAINING",
        "tdm=allow": "DMI-ALLOWED",
        "tdm=allow-if:note=ask me": "DMI-PROHIBITED-SEECONSTRAINT",
        "tdm=allow-if:attribution": "DMI-UNSPECIFIED",
        "ai-input=deny": "DMI-UNSPECIFIED",
    }
    for spec, dmi in spec_to_dmi.items():
        assert best_fit_data_mining(parse_preference_spec(spec))[0] == dmi, spec


def test_embedding_keeps_other_metadata_and_replaces_old_statement(test_data: Path) -> None:
    path = test_data / "iptc-reference-images/IPTC-PhotometadataRef-Std2023.2.jpg"
    prefs = parse_preference_spec("ai-input=deny")
    out = embed_preferences(path.read_bytes(), path.name, prefs)
    assert stated(read_embedded(out, path.name)) == wanted(prefs)  # the old genai deny is replaced
    (_where, new), *_ = find_xmp(out, "jpeg").packets
    assert b"Copyright Owner Id 1 (ref2023.2)" in new and b"DMI-UNSPECIFIED" in new
    assert b"definitely prohibited" in new  # OtherConstraints untouched when not referenced


# --- round trips over generated preference sets, on real encoders' output -------------------------


def _image(fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24, 16), (200, 30, 90)).save(buf, fmt, **kw)
    return buf.getvalue()


IMAGES = {
    "a.jpg": _image("JPEG"),
    "a.png": _image("PNG"),
    "a.tif": _image("TIFF"),
    "lzw.tif": _image("TIFF", compression="tiff_lzw"),
    "lossy.webp": _image("WEBP", quality=80),
    "lossless.webp": _image("WEBP", lossless=True),
}

_texts = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
_payments = st.builds(
    Payment,
    model=st.sampled_from(list(PaymentModel)),
    amount=st.none() | st.decimals(min_value=0, max_value=1000, places=2).map(Decimal),
    currency=st.none() | st.sampled_from(["USD", "EUR"]),
    url=st.none() | st.just("https://pay.example/x"),
)
_conditions = st.builds(
    Conditions,
    attribution=st.booleans(),
    payment=st.none() | _payments,
    licence_url=st.none() | st.just("https://example.org/licence?id=1&x=2"),
    expires=st.none() | st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)),
    note=st.none() | _texts,
).filter(lambda c: not c.is_empty())
_rules = st.one_of(
    st.just(Rule(Use.ALLOW)), st.just(Rule(Use.DENY)), _conditions.map(lambda c: Rule(Use.ALLOW_IF, c))
)
any_prefs = st.dictionaries(st.sampled_from(list(Purpose)), _rules, min_size=1).map(Preferences)


@pytest.mark.parametrize("name", sorted(IMAGES))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefs=any_prefs)
def test_xmp_round_trip(name: str, prefs: Preferences) -> None:
    src = IMAGES[name]
    out = embed_preferences(src, name, prefs)
    ev = read_embedded(out, name)
    assert not [e.error for e in ev if e.error]
    assert {e.source for e in ev} == {"iptc-xmp"}
    assert stated(ev) == wanted(prefs)
    # embedding twice replaces, never accumulates
    again = read_embedded(embed_preferences(out, name, prefs), name)
    assert stated(again) == wanted(prefs)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_pixels_are_untouched(name: str) -> None:
    src = IMAGES[name]
    out = embed_preferences(src, name, parse_preference_spec("genai-train=deny,search=allow"))
    before, after = Image.open(io.BytesIO(src)), Image.open(io.BytesIO(out))
    assert (before.format, before.size) == (after.format, after.size)
    assert before.tobytes() == after.tobytes()


def test_xmp_sidecar_round_trip() -> None:
    prefs = parse_preference_spec("tdm=deny,search=allow")
    out = build_packet(prefs)
    assert sniff_format(out, "x.xmp") == "xmp"
    assert stated(read_embedded(out, "x.xmp")) == wanted(prefs)


@pytest.mark.parametrize(
    "rel",
    [
        "exiftool-test-images/ExifTool.tif",  # big-endian, existing XMP
        "exiftool-test-images/GeoTiff.tif",
        "c2pa-rs-fixtures/MultiPage.tif",  # later pages must survive
        "c2pa-python-fixtures/files-for-signing-tests/test_xmp.webp",
        "c2pa-python-fixtures/files-for-signing-tests/sample1.webp",  # simple lossy, promoted to VP8X
        "exiftool-test-images/PNG.png",
        "exiftool-test-images/ExtendedXMP.jpg",
    ],
)
def test_real_files_round_trip_and_stay_decodable(rel: str, test_data: Path) -> None:
    from PIL import ImageSequence

    path = test_data / rel
    src = path.read_bytes()
    prefs = parse_preference_spec("tdm=deny,search=allow,ai-input=allow-if:licence=https://example.org/l")
    out = embed_preferences(src, path.name, prefs)
    assert stated(read_embedded(out, path.name)) == wanted(prefs)
    before, after = Image.open(io.BytesIO(src)), Image.open(io.BytesIO(out))
    frames_before = [f.copy().tobytes() for f in ImageSequence.Iterator(before)]
    frames_after = [f.copy().tobytes() for f in ImageSequence.Iterator(after)]
    assert frames_before == frames_after
