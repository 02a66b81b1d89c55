"""Read and write AI-usage preferences in XMP: IPTC/PLUS ``plus:DataMining`` and our exact rules.

**IPTC / PLUS** (IPTC Photo Metadata 2023.1+, namespace ``http://ns.useplus.org/ldf/xmp/1.0/``):
``plus:DataMining`` holds one URI of the PLUS vocabulary ``http://ns.useplus.org/ldf/vocab/DMI-…``,
read by the architecture crosswalk:

============================================  ==================================================
``DMI-UNSPECIFIED``                           ``tdm`` unknown (kept as evidence, never permission)
``DMI-ALLOWED``                               ``tdm`` allow
``DMI-PROHIBITED``                            ``tdm`` deny (and so every AI training)
``DMI-PROHIBITED-AIMLTRAINING``               ``ai-train`` deny
``DMI-PROHIBITED-GENAIMLTRAINING``            ``genai-train`` deny
``DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING`` ``tdm`` deny, ``search`` allow
``DMI-PROHIBITED-SEECONSTRAINT``              ``tdm`` allow-if, note = ``plus:OtherConstraints``
``DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR``      ``tdm`` allow-if, note = the embedded rights expression
``DMI-PROHIBITED-SEELINKEDRIGHTSEXPR``        ``tdm`` allow-if, licence = the linked rights expression
============================================  ==================================================

The three "prohibited, see …" values are prohibitions with exceptions a person must read: allow-if
(a licence is needed), never a plain allow; with nothing to see they are plain denials.
``plus:OtherConstraints`` (a language alternative) is also kept as evidence in its own right.

**Media Manager rules** (namespace :data:`MM_NS`, prefix ``mmsig``): ``plus:DataMining`` is one value,
so the exact per-purpose preferences travel beside it::

    <mmsig:Rules><rdf:Bag>
      <rdf:li rdf:parseType="Resource">
        <mmsig:purpose>ai-input</mmsig:purpose> <mmsig:use>allow-if</mmsig:use>
        <mmsig:attribution>True</mmsig:attribution> <mmsig:licence>URL</mmsig:licence>
        <mmsig:expires>ISO-8601</mmsig:expires> <mmsig:note>text</mmsig:note>
        <mmsig:paymentModel>per-item</mmsig:paymentModel> <mmsig:paymentAmount>0.01</mmsig:paymentAmount>
        <mmsig:paymentCurrency>USD</mmsig:paymentCurrency> <mmsig:paymentUrl>URL</mmsig:paymentUrl>
      </rdf:li>
    </rdf:Bag></mmsig:Rules>

Writers also set ``plus:DataMining`` to the most telling PLUS value that says nothing the rules do
not (``DMI-UNSPECIFIED`` when none fits), so other tools see a faithful, if coarser, statement.

Packets are parsed with ``defusedxml`` and DTDs forbidden: XMP never needs one, and entity
expansion is the classic XML bomb.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from mediamanager.errors import CorruptMediaError
from mediamanager.model import Conditions, Evidence, Payment, PaymentModel, Preferences, Purpose, Rule, Use

__all__ = [
    "DMI_VOCAB",
    "MM_NS",
    "PLUS_NS",
    "best_fit_data_mining",
    "build_packet",
    "read_xmp_packet",
]

SOURCE = "iptc-xmp"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
X_NS = "adobe:ns:meta/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
PLUS_NS = "http://ns.useplus.org/ldf/xmp/1.0/"
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
MM_NS = "http://ns.mediamanager.dev/signals/1.0/"
VOCAB = "http://ns.useplus.org/ldf/vocab/"

DMI_VOCAB = (
    "DMI-UNSPECIFIED",
    "DMI-ALLOWED",
    "DMI-PROHIBITED-AIMLTRAINING",
    "DMI-PROHIBITED-GENAIMLTRAINING",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
    "DMI-PROHIBITED",
    "DMI-PROHIBITED-SEECONSTRAINT",
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
)
_FIXED: dict[str, tuple[tuple[Purpose, Use], ...]] = {
    "DMI-UNSPECIFIED": ((Purpose.TDM, Use.UNKNOWN),),
    "DMI-ALLOWED": ((Purpose.TDM, Use.ALLOW),),
    "DMI-PROHIBITED-AIMLTRAINING": ((Purpose.AI_TRAIN, Use.DENY),),
    "DMI-PROHIBITED-GENAIMLTRAINING": ((Purpose.GENAI_TRAIN, Use.DENY),),
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": ((Purpose.TDM, Use.DENY), (Purpose.SEARCH, Use.ALLOW)),
    "DMI-PROHIBITED": ((Purpose.TDM, Use.DENY),),
}
_MAX_TEXT = 2000
_MAX_ELEMENTS = 200_000


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _text(el: ET.Element) -> str:
    return "".join(el.itertext()).strip()[:_MAX_TEXT]


def _descriptions(root: ET.Element) -> Iterator[ET.Element]:
    yield from root.iter(_q(RDF_NS, "Description"))


def _property_values(root: ET.Element, ns: str, name: str) -> list[str]:
    """Values of a simple or language-alternative property, in attribute or element form."""
    out: list[str] = []
    tag = _q(ns, name)
    for desc in _descriptions(root):
        if tag in desc.attrib:
            out.append(desc.attrib[tag].strip()[:_MAX_TEXT])
    for el in root.iter(tag):
        resource = el.get(_q(RDF_NS, "resource"))
        items = list(el.iter(_q(RDF_NS, "li")))
        if resource is not None:
            out.append(resource.strip())
        elif items:
            default = [li for li in items if li.get(_q(XML_NS, "lang")) == "x-default"]
            out.append(_text((default or items)[0]))
        else:
            out.append(_text(el))
    return [v for v in out if v]


def _dmi_name(value: str) -> str | None:
    v = value.strip()
    low = v.lower()
    for prefix in (VOCAB, VOCAB.replace("http://", "https://")):
        if low.startswith(prefix.lower()):
            v = v[len(prefix) :]
            break
    v = v.strip().upper()
    return v if v in DMI_VOCAB else None


def _data_mining_evidence(root: ET.Element, location: str) -> list[Evidence]:
    out: list[Evidence] = []
    others = _property_values(root, PLUS_NS, "OtherConstraints")
    other = "; ".join(dict.fromkeys(others)) or None
    for value in _property_values(root, PLUS_NS, "DataMining"):
        where = f"{location}/plus:DataMining"
        name = _dmi_name(value)
        if name is None:
            out.append(Evidence(SOURCE, value, where, error=f"unrecognised plus:DataMining value {value!r}"))
            continue
        detail = f"plus:OtherConstraints: {other}" if other else None
        if name in _FIXED:
            for purpose, use in _FIXED[name]:
                out.append(Evidence(SOURCE, value, where, purpose=purpose, use=use, detail=detail))
            continue
        conditions: Conditions | None = None
        if name == "DMI-PROHIBITED-SEECONSTRAINT" and other:
            conditions = Conditions(note=other)
        elif name == "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR":
            exprs = _property_values(root, IPTC_EXT_NS, "EncRightsExpr")
            if exprs:
                conditions = Conditions(note=f"embedded rights expression: {exprs[0][:500]}")
        elif name == "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR":
            links = _property_values(root, IPTC_EXT_NS, "LinkedRightsExpr")
            if links:
                conditions = Conditions(licence_url=links[0])
        if conditions is None:
            out.append(
                Evidence(
                    SOURCE,
                    value,
                    where,
                    purpose=Purpose.TDM,
                    use=Use.DENY,
                    detail="nothing to see: plain deny",
                )
            )
        else:
            out.append(
                Evidence(SOURCE, value, where, purpose=Purpose.TDM, use=Use.ALLOW_IF, conditions=conditions)
            )
    if other and not out:
        out.append(
            Evidence(
                SOURCE,
                other,
                f"{location}/plus:OtherConstraints",
                detail="free-text constraints (no DataMining)",
            )
        )
    return out


def _field(struct: ET.Element, name: str) -> str | None:
    tag = _q(MM_NS, name)
    if tag in struct.attrib:
        return struct.attrib[tag].strip()[:_MAX_TEXT]
    el = struct.find(tag)
    if el is None:
        el = struct.find(f"{_q(RDF_NS, 'Description')}/{tag}")
    return None if el is None else "".join(el.itertext()).strip()[:_MAX_TEXT]


def _rule_conditions(item: ET.Element) -> Conditions:
    payment = None
    model_s = _field(item, "paymentModel")
    if model_s:
        amount_s = _field(item, "paymentAmount")
        payment = Payment(
            model=PaymentModel(model_s),
            amount=Decimal(amount_s) if amount_s else None,
            currency=_field(item, "paymentCurrency") or None,
            url=_field(item, "paymentUrl") or None,
        )
    expires_s = _field(item, "expires")
    return Conditions(
        attribution=(_field(item, "attribution") or "").lower() == "true",
        payment=payment,
        licence_url=_field(item, "licence") or None,
        expires=datetime.fromisoformat(expires_s) if expires_s else None,
        note=_field(item, "note") or None,
    )


def _mm_rules_evidence(root: ET.Element, location: str) -> list[Evidence]:
    out: list[Evidence] = []
    for rules in root.iter(_q(MM_NS, "Rules")):
        for item in rules.iter(_q(RDF_NS, "li")):
            raw = ET.tostring(item, encoding="unicode")[:_MAX_TEXT]
            where = f"{location}/mmsig:Rules"
            try:
                purpose = Purpose.parse(_field(item, "purpose") or "")
                use = Use(_field(item, "use") or "")
                conditions = _rule_conditions(item)
            except (ValueError, InvalidOperation, ArithmeticError) as exc:
                out.append(Evidence(SOURCE, raw, where, error=f"malformed mmsig rule: {exc}"))
                continue
            if use is Use.ALLOW_IF and conditions.is_empty():
                out.append(
                    Evidence(SOURCE, raw, where, purpose=purpose, error="allow-if rule without conditions")
                )
                continue
            out.append(Evidence(SOURCE, raw, where, purpose=purpose, use=use, conditions=conditions))
    return out


_BODY = (
    (re.compile(rb"<x:x[am]pmeta[\s>]"), re.compile(rb"</x:x[am]pmeta\s*>")),
    (re.compile(rb"<rdf:RDF[\s>]"), re.compile(rb"</rdf:RDF\s*>")),
)


_WIDE = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


def _to_utf8(packet: bytes) -> bytes:
    """XMP may be UTF-16 or UTF-32 (XMP part 3, 7.1); we parse UTF-8."""
    for mark, encoding in _WIDE:
        if packet.startswith(mark):
            try:
                return packet.decode(encoding).lstrip("\ufeff").encode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorruptMediaError(f"XMP packet is not valid {encoding}: {exc}") from exc
    return packet


def _packet_body(packet: bytes) -> bytes:
    """The ``x:xmpmeta`` (or bare ``rdf:RDF``) element of a packet.

    The ``<?xpacket?>`` wrapper, trailing NUL padding and bytes after the packet carry nothing, and
    real writers get them wrong (ExifTool's own tests use a control character in ``begin=``).
    """
    packet = _to_utf8(packet)
    for start_re, end_re in _BODY:
        start = start_re.search(packet)
        if start is not None:
            ends = list(end_re.finditer(packet, start.start()))
            if ends:
                return packet[start.start() : ends[-1].end()]
    return packet.strip(b"\x00 \t\r\n")


def parse_packet(packet: bytes) -> ET.Element:
    """Parse one XMP packet safely; raises :class:`CorruptMediaError` with the reason."""
    packet = _to_utf8(packet)
    if b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        raise CorruptMediaError(
            "XMP packet refused: DTD or entity declarations (possible entity-expansion bomb)"
        )
    packet = _packet_body(packet)
    # Counted before parsing: a million nested elements would cost seconds and hundreds of MB to build.
    if packet.count(b"<") > 2 * _MAX_ELEMENTS + 16:
        raise CorruptMediaError(f"XMP packet has over {_MAX_ELEMENTS:,} elements")
    try:
        root = safe_fromstring(packet, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CorruptMediaError(
            f"XMP packet refused: {type(exc).__name__} (DTD or entity declarations)"
        ) from exc
    except ET.ParseError as exc:
        raise CorruptMediaError(f"XMP packet is not well-formed XML: {exc}") from exc
    except (ValueError, UnicodeError, LookupError) as exc:  # LookupError: an unknown declared encoding
        raise CorruptMediaError(f"XMP packet unreadable: {exc}") from exc
    for count, _ in enumerate(root.iter(), 1):
        if count > _MAX_ELEMENTS:
            raise CorruptMediaError(f"XMP packet has over {_MAX_ELEMENTS:,} elements")
    return root


def read_xmp_packet(packet: bytes, location: str) -> list[Evidence]:
    """Evidence from one XMP packet: PLUS DataMining/OtherConstraints and Media Manager rules.

    A packet that cannot be parsed yields one error entry; one without these properties, ``[]``.
    """
    try:
        root = parse_packet(packet)
    except CorruptMediaError as exc:
        return [Evidence(SOURCE, packet[:200].decode("utf-8", "replace"), location, error=str(exc))]
    return _data_mining_evidence(root, location) + _mm_rules_evidence(root, location)


def best_fit_data_mining(prefs: Preferences) -> tuple[str, str | None]:
    """The most telling ``plus:DataMining`` value (and OtherConstraints text) that ``prefs`` fully support.

    Every statement the value implies must be stated in ``prefs`` with exactly that use, so a
    reader combining it with the exact rules gets ``prefs`` back.
    """

    def stated(p: Purpose) -> Rule:
        return prefs.stated(p)

    if stated(Purpose.TDM).use is Use.DENY and stated(Purpose.SEARCH).use is Use.ALLOW:
        return "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", None
    if stated(Purpose.TDM).use is Use.DENY:
        return "DMI-PROHIBITED", None
    if stated(Purpose.AI_TRAIN).use is Use.DENY:
        return "DMI-PROHIBITED-AIMLTRAINING", None
    if stated(Purpose.GENAI_TRAIN).use is Use.DENY:
        return "DMI-PROHIBITED-GENAIMLTRAINING", None
    if stated(Purpose.TDM).use is Use.ALLOW:
        return "DMI-ALLOWED", None
    tdm = stated(Purpose.TDM)
    if (
        tdm.use is Use.ALLOW_IF
        and tdm.conditions.note
        and tdm.conditions == Conditions(note=tdm.conditions.note)
    ):
        return "DMI-PROHIBITED-SEECONSTRAINT", tdm.conditions.note
    return "DMI-UNSPECIFIED", None


_EMPTY_PACKET = f'<x:xmpmeta xmlns:x="{X_NS}"><rdf:RDF xmlns:rdf="{RDF_NS}"></rdf:RDF></x:xmpmeta>'.encode()


def _sub(parent: Any, ns: str, name: str, text: str | None = None) -> Any:
    from lxml import etree

    el = etree.SubElement(parent, _q(ns, name))
    if text is not None:
        el.text = text
    return el


def build_packet(prefs: Preferences, existing: bytes | None = None) -> bytes:
    """An XMP packet stating ``prefs``, keeping every other property of ``existing``.

    Old ``plus:DataMining`` and ``mmsig`` properties are removed (the new preferences replace them);
    ``plus:OtherConstraints`` is replaced only when the new DataMining value refers to it.
    Raises :class:`CorruptMediaError` if ``existing`` cannot be parsed safely.
    """
    from lxml import etree

    if existing is not None and existing.strip():
        root_check = parse_packet(existing)  # the safety gate: no DTD, bounded
        del root_check
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        body = _packet_body(existing)
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError as exc:
            raise CorruptMediaError(f"existing XMP is not well-formed: {exc}") from exc
        if root.tag == _q(RDF_NS, "RDF"):
            wrapper = etree.Element(_q(X_NS, "xmpmeta"), nsmap={"x": X_NS})
            wrapper.append(root)
            root = wrapper
    else:
        root = etree.fromstring(_EMPTY_PACKET)
    rdf = root if root.tag == _q(RDF_NS, "RDF") else root.find(_q(RDF_NS, "RDF"))
    if rdf is None:
        rdf = etree.SubElement(root, _q(RDF_NS, "RDF"), nsmap={"rdf": RDF_NS})
    dmi, other = best_fit_data_mining(prefs)
    drop = {_q(PLUS_NS, "DataMining")} | ({_q(PLUS_NS, "OtherConstraints")} if other else set())
    for desc in rdf.iter(_q(RDF_NS, "Description")):
        for attr in list(desc.attrib):
            if attr in drop or attr.startswith(f"{{{MM_NS}}}"):
                del desc.attrib[attr]
        for child in list(desc):
            if isinstance(child.tag, str) and (child.tag in drop or child.tag.startswith(f"{{{MM_NS}}}")):
                desc.remove(child)
    desc = etree.SubElement(
        rdf, _q(RDF_NS, "Description"), {_q(RDF_NS, "about"): ""}, nsmap={"plus": PLUS_NS, "mmsig": MM_NS}
    )
    _sub(desc, PLUS_NS, "DataMining", VOCAB + dmi)
    if other:
        alt = _sub(_sub(desc, PLUS_NS, "OtherConstraints"), RDF_NS, "Alt")
        li = _sub(alt, RDF_NS, "li", other)
        li.set(_q(XML_NS, "lang"), "x-default")
    stated_rules = [(p, r) for p, r in prefs if r.use is not Use.UNKNOWN]
    if stated_rules:
        bag = _sub(_sub(desc, MM_NS, "Rules"), RDF_NS, "Bag")
        for purpose, rule in stated_rules:
            li = _sub(bag, RDF_NS, "li")
            li.set(_q(RDF_NS, "parseType"), "Resource")
            _sub(li, MM_NS, "purpose", purpose.value)
            _sub(li, MM_NS, "use", rule.use.value)
            c = rule.conditions if rule.use is Use.ALLOW_IF else Conditions()
            if c.attribution:
                _sub(li, MM_NS, "attribution", "True")
            if c.licence_url:
                _sub(li, MM_NS, "licence", c.licence_url)
            if c.expires is not None:
                _sub(li, MM_NS, "expires", c.expires.isoformat())
            if c.note:
                _sub(li, MM_NS, "note", c.note)
            if c.payment is not None:
                _sub(li, MM_NS, "paymentModel", c.payment.model.value)
                if c.payment.amount is not None:
                    _sub(li, MM_NS, "paymentAmount", str(c.payment.amount))
                if c.payment.currency:
                    _sub(li, MM_NS, "paymentCurrency", c.payment.currency)
                if c.payment.url:
                    _sub(li, MM_NS, "paymentUrl", c.payment.url)
    xml = etree.tostring(root, encoding="utf-8")
    return (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + xml
        + b"\n"
        + b" " * 1024
        + b'\n<?xpacket end="w"?>'
    )
