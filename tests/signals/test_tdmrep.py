"""W3C TDMRep: the 19 spec examples parsed to their intended meaning, rule order, precedence, hostile XML."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from mediamanager.model import Conditions, Payment, Purpose, Use
from mediamanager.signals import emit_tdmrep_json, parse_tdmrep_json, preferences_from
from mediamanager.signals.capture import Capture, normalise_headers
from mediamanager.signals.combine import read_signals
from mediamanager.signals.tdmrep import (
    apply_precedence,
    parse_tdm_headers,
    parse_tdm_policy,
    parse_tdmrep_html,
    parse_tdmrep_opf,
    parse_tdmrep_xmp,
    read_tdmrep_file,
)

POLICY = "https://provider.com/policies/policy.json"


def _tdm(evidence: list[Any]) -> tuple[Use, Conditions]:
    rule = preferences_from(evidence).stated(Purpose.TDM)
    return rule.use, rule.conditions


def _headers(text: str) -> list[tuple[str, str]]:
    lines = [line for line in text.splitlines()[1:] if ":" in line]
    return list(normalise_headers([tuple(x.strip() for x in line.split(":", 1)) for line in lines]))  # type: ignore[misc]


def _meaning(example: dict[str, Any]) -> Any:
    kind, text = example["kind"], example["text"]
    if kind == "tdmrep.json":
        return {path: _tdm(parse_tdmrep_json(text, url=f"https://provider.com{path}"))[0] for path in _PATHS}
    if kind == "http-headers":
        return _tdm(parse_tdm_headers(_headers(text)))
    if kind == "html":
        return _tdm(parse_tdmrep_html(text))
    if kind == "epub-opf":
        return _tdm(parse_tdmrep_opf(text))
    if kind == "xmp":
        return _tdm(parse_tdmrep_xmp(text))
    return parse_tdm_policy(text)


_PATHS = ("/", "/directory-a/x.html", "/directory-b/html/p.html", "/directory-b/images/a.jpg", "/other")
_RESERVED_WITH_POLICY = (
    Use.ALLOW_IF,
    Conditions(licence_url=POLICY, note="TDM rights reserved; licence per tdm-policy"),
)
_CONTACT = "https://provider.com/tdm/licensing.html"

# The intended meaning of each example in the spec, by index.
EXPECTED: dict[int, Any] = {
    0: dict.fromkeys(_PATHS, Use.DENY),
    1: {
        "/": Use.UNKNOWN,
        "/directory-a/x.html": Use.DENY,
        "/directory-b/html/p.html": Use.ALLOW_IF,
        "/directory-b/images/a.jpg": Use.ALLOW,
        "/other": Use.UNKNOWN,
    },
    2: (Use.DENY, Conditions()),
    3: _RESERVED_WITH_POLICY,
    4: _RESERVED_WITH_POLICY,
    5: _RESERVED_WITH_POLICY,
    6: _RESERVED_WITH_POLICY,
    7: (
        Use.ALLOW_IF,
        Conditions(
            licence_url="https://publisher.com/policies/policy.json",
            note="TDM rights reserved; licence per tdm-policy",
        ),
    ),
    8: Conditions(licence_url="https://provider.com/policies/1"),
    9: Conditions(licence_url="https://provider.com/policies/1"),
    10: Conditions(licence_url="https://provider.com/policies/1"),
    11: Conditions(licence_url=_CONTACT),
    12: Conditions(licence_url="https://provider.com/policies/1"),
    13: Conditions(licence_url="https://provider.com/policies/1"),
    14: Conditions(
        licence_url="https://provider.com/policies/1", note="obtain consent from the rightsholder"
    ),
    15: Conditions(licence_url="https://provider.com/policies/1", payment=Payment()),
    16: Conditions(licence_url="https://provider.com/policies/1", note="purpose eq tdm:research"),
}


def test_all_19_spec_examples_parse_to_their_intended_meaning(tdmrep_examples: list[dict[str, Any]]) -> None:
    assert len(tdmrep_examples) == 19
    ok = 0
    for ex in tdmrep_examples:
        got = _meaning(ex)
        if ex["index"] in EXPECTED:
            assert got == EXPECTED[ex["index"]], (ex["index"], got)
        else:  # 17, 18: the full policies
            assert isinstance(got, Conditions), (ex["index"], got)
            assert got.licence_url in (_CONTACT, "https://provider.com/policies/1")
            assert ex["index"] != 18 or (
                got.payment == Payment() and got.note == "purpose eq tdm:non-research"
            )
        ok += 1
    print(f"TDMRep spec examples: {ok}/19")


def test_first_matching_rule_wins_rule_order_matters() -> None:
    rules = [{"location": "/a/*", "tdm-reservation": 0}, {"location": "/a/b/", "tdm-reservation": 1}]
    assert _tdm(parse_tdmrep_json(json.dumps(rules), url="https://x/a/b/c"))[0] is Use.ALLOW
    assert _tdm(parse_tdmrep_json(json.dumps(rules[::-1]), url="https://x/a/b/c"))[0] is Use.DENY


@pytest.mark.parametrize(
    "text", ["{", "{}", "[1, 2]", '[{"location": "/"}]', b"\xff\xfe garbage", "[" * 100000]
)
def test_broken_tdmrep_json_gives_error_entries_not_allow(text: str | bytes) -> None:
    evidence = parse_tdmrep_json(text)
    assert evidence and all(e.error for e in evidence)
    assert preferences_from(evidence).simple() == {}


def test_precedence_later_technique_supersedes_but_evidence_is_kept() -> None:
    capture = Capture(
        url="https://x/a",
        tdmrep_json='[{"location": "/", "tdm-reservation": 1}]',
        headers=(("tdm-reservation", "0"),),
    )
    prefs = read_signals(capture)
    rule = prefs.stated(Purpose.TDM)
    assert rule.use is Use.ALLOW
    superseded = [e for e in rule.evidence if e.source == "tdmrep.json"]
    assert superseded and "superseded by tdm header (was deny)" in (superseded[0].detail or "")
    assert len(apply_precedence(rule.evidence)) == 2


def test_epub_and_pdf_xmp_in_content() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip")
        zf.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="OEBPS/p.opf"/></rootfiles></container>',
        )
        zf.writestr(
            "OEBPS/p.opf",
            '<package xmlns="http://www.idpf.org/2007/opf" prefix="tdm: http://www.w3.org/ns/tdmrep#">'
            '<metadata><meta property="tdm:reservation">1</meta></metadata></package>',
        )
    assert _tdm(read_tdmrep_file(buf.getvalue(), "book.epub"))[0] is Use.DENY
    pdf = (
        b"%PDF-1.7\n1 0 obj<</Type/Metadata>>stream\n<x:xmpmeta xmlns:x='adobe:ns:meta/'>"
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description rdf:about=''"
        b" xmlns:tdm='http://www.w3.org/ns/tdmrep/' tdm:reservation='0'/></rdf:RDF></x:xmpmeta>\nendstream"
    )
    assert _tdm(read_tdmrep_file(pdf, "a.pdf"))[0] is Use.ALLOW


def test_xml_bomb_is_refused_as_an_error() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:tdm="http://www.w3.org/ns/tdmrep/">'
        "<tdm:reservation>&lol2;</tdm:reservation></x:xmpmeta>"
    )
    evidence = parse_tdmrep_xmp(bomb)
    assert len(evidence) == 1 and evidence[0].error and "unsafe XML" in evidence[0].error


def test_emit_tdmrep_json_family_rule() -> None:
    from mediamanager.model import parse_preference_spec

    assert json.loads(emit_tdmrep_json(parse_preference_spec("genai-train=deny"))) == [
        {"location": "/*", "tdm-reservation": 1}
    ]
    out = json.loads(emit_tdmrep_json(parse_preference_spec("tdm=allow-if:licence=https://l/x"), "/img/*"))
    assert out == [{"location": "/img/*", "tdm-reservation": 1, "tdm-policy": "https://l/x"}]
    assert json.loads(emit_tdmrep_json(parse_preference_spec("tdm=allow"))) == [
        {"location": "/*", "tdm-reservation": 0}
    ]
    assert json.loads(emit_tdmrep_json(parse_preference_spec("search=allow"))) == []
