"""W3C TDMRep: ``tdmrep.json``, ``tdm-reservation``/``tdm-policy`` headers, HTML meta, EPUB OPF, PDF XMP.

Every technique carries the same two properties, mapped to the ``tdm`` purpose:

* ``tdm-reservation: 1`` without a policy -> **deny** ``tdm``;
* ``tdm-reservation: 1`` with ``tdm-policy: URL`` -> **allow-if** (licence per the policy:
  rights are reserved, and the policy says how to obtain authorisation);
* ``tdm-reservation: 0`` -> **allow** (the policy is not processed, as the spec says);
* any other value is a protocol error: the property is unset (unknown, with a detail).

``tdmrep.json`` is an array of ``{location, tdm-reservation, tdm-policy?}`` rules; the
**first** rule whose ``location`` (robots.txt pattern) matches the path governs.
Precedence between techniques (spec §"Processing"): tdmrep.json < HTTP header <
HTML meta < EPUB/PDF metadata; :func:`apply_precedence` marks superseded entries
so that only the most specific technique counts, keeping every entry as evidence.

XML (EPUB OPF, XMP) is parsed with ``defusedxml`` (no DTDs, no entity expansion).
Malformed-but-harmless XML, such as the spec's own elided examples, is read by a
tolerant tag scanner and the entry says so in ``detail``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

from mediamanager.model import Conditions, Evidence, Preferences, Purpose, Use
from mediamanager.signals.robots import _escape_pattern, _matches, url_path

__all__ = [
    "TDMREP_NS_XMP",
    "TDMREP_PRECEDENCE",
    "apply_precedence",
    "emit_tdmrep_json",
    "parse_tdm_headers",
    "parse_tdm_policy",
    "parse_tdmrep_html",
    "parse_tdmrep_json",
    "parse_tdmrep_opf",
    "parse_tdmrep_xmp",
    "read_tdmrep_file",
    "tdm_evidence",
]

TDMREP_NS_XMP = "http://www.w3.org/ns/tdmrep/"
TDMREP_NS_EPUB = "http://www.w3.org/ns/tdmrep#"
MAX_JSON_BYTES = 1024 * 1024
MAX_XML_BYTES = 4 * 1024 * 1024
MAX_EPUB_MEMBER = 4 * 1024 * 1024

# Source names in increasing precedence.
TDMREP_PRECEDENCE = ("tdmrep.json", "tdm header", "tdm html meta", "tdm epub", "tdm xmp")


def tdm_evidence(
    reservation: object, policy: str | None, *, source: str, location: str, raw: str | None = None
) -> Evidence | None:
    """One TDMRep statement as evidence about ``tdm``; None when the reservation is absent."""
    if reservation is None:
        return None
    text = str(reservation).strip()
    raw = (
        raw if raw is not None else f"tdm-reservation: {text}" + (f"; tdm-policy: {policy}" if policy else "")
    )
    if isinstance(reservation, bool) or text not in ("0", "1"):
        return Evidence(
            source,
            raw,
            location,
            purpose=Purpose.TDM,
            detail=f"protocol error: tdm-reservation {text!r} (unset)",
        )
    if text == "0":
        return Evidence(source, raw, location, purpose=Purpose.TDM, use=Use.ALLOW)
    if policy:
        cond = Conditions(licence_url=policy.strip(), note="TDM rights reserved; licence per tdm-policy")
        return Evidence(source, raw, location, purpose=Purpose.TDM, use=Use.ALLOW_IF, conditions=cond)
    return Evidence(source, raw, location, purpose=Purpose.TDM, use=Use.DENY)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def parse_tdmrep_json(
    text: str | bytes, *, url: str | None = None, location: str = "/.well-known/tdmrep.json"
) -> list[Evidence]:
    """Evidence from ``tdmrep.json`` for the path of ``url`` (``/`` if None): the first matching rule."""
    raw = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)
    head = raw[:200].decode("utf-8", "replace")
    if len(raw) > MAX_JSON_BYTES:
        return [Evidence("tdmrep.json", head, location, error=f"tdmrep.json over {MAX_JSON_BYTES} bytes")]
    try:
        rules = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return [Evidence("tdmrep.json", head, location, error=f"tdmrep.json is not valid JSON: {exc}")]
    if not isinstance(rules, list):
        return [Evidence("tdmrep.json", head, location, error="tdmrep.json must be a JSON array of rules")]
    path = url_path(url) if url else "/"
    errors: list[Evidence] = []
    for index, rule in enumerate(rules):
        if (
            not isinstance(rule, dict)
            or not isinstance(rule.get("location"), str)
            or "tdm-reservation" not in rule
        ):
            errors.append(
                Evidence(
                    "tdmrep.json",
                    json.dumps(rule)[:200],
                    location,
                    error=f"rule {index} lacks location or tdm-reservation",
                )
            )
            continue
        try:
            pattern = _escape_pattern(rule["location"])
        except UnicodeEncodeError:  # a lone surrogate (a JSON \ud800 escape): no path can match it safely
            errors.append(
                Evidence(
                    "tdmrep.json",
                    json.dumps(rule)[:200],
                    location,
                    error=f"rule {index} location is not valid Unicode",
                )
            )
            continue
        if not _matches(path, pattern):
            continue
        reservation = rule["tdm-reservation"]
        if not ((type(reservation) is int and reservation in (0, 1)) or reservation in ("0", "1")):
            # The spec's values are 0 and 1; NaN, 1e999999 (inf) or "yes" leave this path's rule unknown.
            errors.append(
                Evidence(
                    "tdmrep.json",
                    json.dumps(rule)[:200],
                    f"{location} rule {index}",
                    error=f"rule {index}: tdm-reservation must be 0 or 1, not {reservation!r}",
                )
            )
            return errors
        policy = rule.get("tdm-policy")
        ev = tdm_evidence(
            rule["tdm-reservation"],
            policy if isinstance(policy, str) else None,
            source="tdmrep.json",
            location=f"{location} rule {index} ({rule['location']})",
            raw=json.dumps(rule),
        )
        return [*errors, *([ev] if ev else [])]
    return errors


def parse_tdm_headers(headers: Sequence[tuple[str, str]], *, location: str = "http header") -> list[Evidence]:
    """Evidence from ``tdm-reservation`` / ``tdm-policy`` response headers (names case-insensitive)."""
    reservation = [v for k, v in headers if k.lower() == "tdm-reservation"]
    policy = [v for k, v in headers if k.lower() == "tdm-policy"]
    if not reservation:
        return []
    ev = tdm_evidence(reservation[-1], policy[-1] if policy else None, source="tdm header", location=location)
    return [ev] if ev else []


def parse_tdmrep_html(html: str, *, location: str = "html head") -> list[Evidence]:
    """Evidence from ``<meta name="tdm-reservation">`` and ``<meta name="tdm-policy">``."""
    from mediamanager.signals.xrobots import html_meta

    metas = dict(html_meta(html).metas)
    ev = tdm_evidence(
        metas.get("tdm-reservation"), metas.get("tdm-policy"), source="tdm html meta", location=location
    )
    return [ev] if ev else []


class _TagScanner(HTMLParser):
    """Tolerant scan of XML-ish text: elements with their attributes and text (for malformed files)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.namespaces: dict[str, str] = {}
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        for k, v in a.items():
            if k.startswith("xmlns:"):
                self.namespaces[k[6:]] = v.strip("\"'")
        text: list[str] = []
        self.elements.append((tag, a, text))
        self._open.append(text)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].append(data)


def _scan(text: str) -> _TagScanner:
    scanner = _TagScanner()
    try:
        scanner.feed(text)
        scanner.close()
    except Exception:
        pass
    return scanner


def _xml_root(text: str) -> tuple[Any | None, str | None, bool]:
    """``(root, error, malformed)``: a defused parse; security violations are errors, not recoverable."""
    import defusedxml
    import defusedxml.ElementTree as DET

    try:
        return DET.fromstring(text, forbid_dtd=True), None, False
    except defusedxml.DefusedXmlException as exc:
        return None, f"unsafe XML refused ({type(exc).__name__})", False
    except Exception:
        return None, None, True


def _decode_xml(data: str | bytes) -> tuple[str | None, str | None]:
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_XML_BYTES:
        return None, f"XML over {MAX_XML_BYTES} bytes"
    return raw.decode("utf-8", "replace"), None


def parse_tdmrep_opf(opf: str | bytes, *, location: str = "epub opf") -> list[Evidence]:
    """Evidence from an EPUB package document: EPUB 2 ``<meta name="tdm:reservation" content>``
    or EPUB 3 ``<meta property="tdm:reservation">1</meta>``."""
    text, err = _decode_xml(opf)
    if text is None:
        return [Evidence("tdm epub", "", location, error=err)]
    root, err, malformed = _xml_root(text)
    if err:
        return [Evidence("tdm epub", text[:200], location, error=err)]
    values: dict[str, str] = {}
    if root is not None:
        for el in root.iter():
            if not isinstance(el.tag, str) or el.tag.rsplit("}", 1)[-1] != "meta":
                continue
            name = el.get("name") or el.get("property") or ""
            value = el.get("content") if el.get("name") else (el.text or "")
            if name in ("tdm:reservation", "tdm:policy") and value is not None:
                values[name] = value.strip()
    else:
        for tag, attrs, parts in _scan(text).elements:
            if tag.rsplit(":", 1)[-1] != "meta":
                continue
            name = attrs.get("name") or attrs.get("property") or ""
            value = attrs.get("content") if attrs.get("name") else "".join(parts)
            if name in ("tdm:reservation", "tdm:policy") and value is not None:
                values[name] = value.strip()
    ev = tdm_evidence(
        values.get("tdm:reservation"), values.get("tdm:policy"), source="tdm epub", location=location
    )
    if ev is None:
        return []
    return [replace(ev, detail=(ev.detail or "") + " (read from malformed XML)" if malformed else ev.detail)]


def parse_tdmrep_xmp(xmp: str | bytes, *, location: str = "xmp") -> list[Evidence]:
    """Evidence from XMP with the TDMRep namespace ``http://www.w3.org/ns/tdmrep/``
    (``tdm:reservation`` / ``tdm:policy`` as elements or as ``rdf:Description`` attributes)."""
    text, err = _decode_xml(xmp)
    if text is None:
        return [Evidence("tdm xmp", "", location, error=err)]
    root, err, malformed = _xml_root(text)
    if err:
        return [Evidence("tdm xmp", text[:200], location, error=err)]
    values: dict[str, str] = {}
    names = {f"{{{ns}}}{p}": p for ns in (TDMREP_NS_XMP, TDMREP_NS_EPUB) for p in ("reservation", "policy")}
    if root is not None:
        for el in root.iter():
            if isinstance(el.tag, str) and el.tag in names and el.text is not None:
                values[names[el.tag]] = el.text.strip()
            for key, val in el.attrib.items():
                if key in names:
                    values[names[key]] = val.strip()
    else:
        scanner = _scan(text)
        prefixes = {p for p, ns in scanner.namespaces.items() if ns in (TDMREP_NS_XMP, TDMREP_NS_EPUB)} or {
            "tdm"
        }
        for tag, attrs, parts in scanner.elements:
            prefix, _, local = tag.rpartition(":")
            if prefix in prefixes and local in ("reservation", "policy"):
                values[local] = "".join(parts).strip()
            for key, val in attrs.items():
                kp, _, kl = key.rpartition(":")
                if kp in prefixes and kl in ("reservation", "policy"):
                    values[kl] = val.strip()
    ev = tdm_evidence(values.get("reservation"), values.get("policy"), source="tdm xmp", location=location)
    if ev is None:
        return []
    return [replace(ev, detail=(ev.detail or "") + " (read from malformed XML)" if malformed else ev.detail)]


_XMP_PACKET = re.compile(rb"<x:xmpmeta[\s>].*?</x:xmpmeta>|<rdf:RDF[\s>].*?</rdf:RDF>", re.S)
MAX_SCAN_BYTES = 64 * 1024 * 1024


def read_tdmrep_file(content: bytes, filename: str | None = None) -> list[Evidence]:
    """TDMRep evidence embedded in a file: the OPF of an EPUB, or XMP packets (PDF and others)."""
    location = filename or "content"
    if content[:4] == b"PK\x03\x04":
        return _read_epub(content, location)
    out: list[Evidence] = []
    for where, packet in _xmp_packets(content, filename):
        if b"ns/tdmrep" in packet:
            out.extend(parse_tdmrep_xmp(packet, location=f"{location}#{where}"))
    return out


def _xmp_packets(content: bytes, filename: str | None) -> list[tuple[str, bytes]]:
    """XMP packets of a file: the container walker of the embedded reader when it knows the format
    (it inflates compressed PDF streams, PNG iTXt...), else a bounded scan for packets in the raw bytes."""
    try:
        from mediamanager.signals import xmp_containers
    except ImportError:
        xmp_containers = None  # type: ignore[assignment]
    if xmp_containers is not None:
        try:
            fmt = xmp_containers.sniff_format(content, filename)
            packets = list(xmp_containers.find_xmp(content, fmt).packets)
        except Exception:  # read_embedded reports container problems; here the raw scan takes over
            packets = []
        if packets:
            return packets
    return [("xmp", m.group(0)) for m in _XMP_PACKET.finditer(content[:MAX_SCAN_BYTES])]


def _read_epub(content: bytes, location: str) -> list[Evidence]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            container = _read_member(zf, "META-INF/container.xml")
            if container is None:
                return []
            m = re.search(rb'full-path\s*=\s*"([^"]+)"', container)
            if not m:
                return [
                    Evidence("tdm epub", "", location, error="EPUB container.xml names no package document")
                ]
            opf = _read_member(zf, m.group(1).decode("utf-8", "replace"))
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as exc:
        return [Evidence("tdm epub", "", location, error=f"unreadable EPUB/ZIP: {exc}")]
    if opf is None:
        return [Evidence("tdm epub", "", location, error="EPUB package document missing or too large")]
    return parse_tdmrep_opf(opf, location=f"{location} opf")


def _read_member(zf: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_EPUB_MEMBER:
        return None
    with zf.open(info) as fh:
        return fh.read(MAX_EPUB_MEMBER + 1)[:MAX_EPUB_MEMBER]


def apply_precedence(evidence: Iterable[Evidence]) -> list[Evidence]:
    """TDMRep precedence: keep every entry, but only the most specific technique's stated entries count.

    Superseded statements stay in the list with ``use`` set to unknown and a detail
    saying what superseded them (an absent value never resets a present one).
    """
    items = list(evidence)
    rank = {name: i for i, name in enumerate(TDMREP_PRECEDENCE)}
    stated = [e for e in items if e.source in rank and e.error is None and e.use is not Use.UNKNOWN]
    if not stated:
        return items
    top = max(rank[e.source] for e in stated)
    out = []
    for e in items:
        if e in stated and rank[e.source] < top:
            out.append(
                replace(
                    e,
                    use=Use.UNKNOWN,
                    conditions=Conditions(),
                    detail=f"superseded by {TDMREP_PRECEDENCE[top]} (was {e.use.value})",
                )
            )
        else:
            out.append(e)
    return out


_POLICY_PLACEHOLDER = re.compile(r"^\s*\.\.\.\s*,?\s*$", re.M)


def _lenient_json(text: str) -> Any:
    """Parse JSON, tolerating the elisions (``...``) and missing or trailing commas of spec examples."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    cleaned = _POLICY_PLACEHOLDER.sub("", text)
    cleaned = re.sub(r"\.\.\.\s*,?", "", cleaned)
    cleaned = re.sub(r",(\s*[}\]])", r"\1", cleaned)
    cleaned = re.sub(r'([}\]"])(\s*\n\s*")', r"\1,\2", cleaned)
    return json.loads(cleaned)


def parse_tdm_policy(text: str | bytes, *, location: str = "tdm-policy") -> Conditions | Evidence:
    """The conditions a TDMRep ODRL policy (``Offer`` with ``tdm:mine`` permissions) sets.

    ``compensate`` -> a payment; ``obtainConsent`` -> a note; a ``purpose`` constraint
    (``tdm:research`` / ``tdm:non-research``) -> a note; the assigner's licensing URL ->
    ``licence_url``. Returns an error :class:`Evidence` if the policy cannot be read.
    """
    from mediamanager.model import Payment

    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if len(raw) > MAX_JSON_BYTES:
        return Evidence("tdm-policy", raw[:200], location, error="policy too large")
    try:
        policy = _lenient_json(raw)
    except (ValueError, RecursionError) as exc:
        return Evidence("tdm-policy", raw[:200], location, error=f"policy is not JSON: {exc}")
    if not isinstance(policy, dict):
        return Evidence("tdm-policy", raw[:200], location, error="policy is not a JSON object")
    notes: list[str] = []
    payment = None
    for perm in policy.get("permission", []) or []:
        if not isinstance(perm, dict):
            continue
        for duty in perm.get("duty", []) or []:
            action = duty.get("action") if isinstance(duty, dict) else None
            if action == "compensate":
                payment = Payment()
            elif action == "obtainConsent":
                notes.append("obtain consent from the rightsholder")
        for c in perm.get("constraint", []) or []:
            if isinstance(c, dict) and c.get("leftOperand") == "purpose":
                notes.append(f"purpose {c.get('operator', 'eq')} {c.get('rightOperand')}")
    assigner = policy.get("assigner")
    licence = (assigner.get("vcard:hasURL") if isinstance(assigner, dict) else None) or policy.get("uid")
    return Conditions(
        payment=payment,
        licence_url=licence if isinstance(licence, str) else None,
        note="; ".join(notes) or None,
    )


def emit_tdmrep_json(prefs: Preferences, location: str = "/*") -> str:
    """``tdmrep.json`` for ``prefs``: one rule for ``location``.

    TDMRep has one bit for all TDM, so the reservation is the most restrictive
    effective use in the ``tdm`` family (``tdm``, ``ai-train``, ``genai-train``): any
    deny -> ``1``; else allow-if -> ``1`` with ``tdm-policy`` set to the licence (or payment)
    URL; else allow of ``tdm`` -> ``0``; else ``[]`` (nothing stated).
    """
    family = [prefs.effective(p) for p in (Purpose.TDM, Purpose.AI_TRAIN, Purpose.GENAI_TRAIN)]
    rule: dict[str, Any] | None = None
    if any(r.use is Use.DENY for r in family):
        rule = {"location": location, "tdm-reservation": 1}
    elif any(r.use is Use.ALLOW_IF for r in family):
        rule = {"location": location, "tdm-reservation": 1}
        for r in family:
            c = r.conditions
            url = c.licence_url or (c.payment.url if c.payment else None)
            if r.use is Use.ALLOW_IF and url:
                rule["tdm-policy"] = url
                break
    elif family[0].use is Use.ALLOW:
        rule = {"location": location, "tdm-reservation": 0}
    return json.dumps([rule] if rule else [], indent=2) + "\n"
