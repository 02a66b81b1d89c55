"""RSL 1.0 (Really Simple Licensing) licence documents: read, write, and discover.

An RSL document (namespace ``https://rslstandard.org/rsl``, ``application/rsl+xml``)::

    <rsl xmlns="https://rslstandard.org/rsl">
      <content url="/articles/*" server="https://licence.example">   (server: a licence must be obtained)
        <license>
          <permits type="usage">ai-train ai-input</permits>
          <prohibits type="usage">search</prohibits>
          <payment type="crawl"><amount currency="USD">0.001</amount></payment>
        </license>
      </content>
    </rsl>

Reading: usages in ``<permits type="usage">`` are allowed, those in ``<prohibits>``
denied. A payment (other than ``free``), an ``attribution`` payment, a ``server``
attribute or a user/geo restriction turns an allow into **allow-if**, with the
conditions. Usage tokens: ``all`` -> ``tdm``; ``ai-all`` -> ``ai-train`` and ``ai-input``;
``ai-train``; ``ai-input``; ``ai-index`` and ``search`` -> ``search``; the aipref token
``train-ai`` (used in RSL's own guide) -> ``genai-train``.

Payment types: ``crawl`` -> per-crawl, ``use``/``training``/``purchase`` -> per-item,
``subscription`` -> subscription, ``contribution`` -> other, ``attribution`` -> attribution.

Discovery (no network here; the caller fetches): robots.txt ``License:`` lines,
HTTP ``Link: <url>; rel="license"`` and HTML ``<link rel="license" href>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from mediamanager.model import Conditions, Evidence, Payment, PaymentModel, Preferences, Purpose, Use
from mediamanager.signals.robots import _escape_pattern, _matches, url_path

__all__ = [
    "RSL_NS",
    "emit_rsl",
    "licence_links_from_headers",
    "licence_links_from_html",
    "licence_links_from_robots",
    "parse_rsl",
]

RSL_NS = "https://rslstandard.org/rsl"
MAX_RSL_BYTES = 1024 * 1024

USAGES: dict[str, tuple[Purpose, ...]] = {
    "all": (Purpose.TDM,),
    "ai-all": (Purpose.AI_TRAIN, Purpose.AI_INPUT),
    "ai-train": (Purpose.AI_TRAIN,),
    "train-ai": (Purpose.GENAI_TRAIN,),
    "ai-input": (Purpose.AI_INPUT,),
    "ai-index": (Purpose.SEARCH,),
    "search": (Purpose.SEARCH,),
}
_WRITE_USAGE: dict[Purpose, str] = {
    Purpose.TDM: "all",
    Purpose.AI_TRAIN: "ai-train",
    Purpose.GENAI_TRAIN: "train-ai",
    Purpose.AI_INPUT: "ai-input",
    Purpose.SEARCH: "search",
}
_PAYMENT: dict[str, PaymentModel] = {
    "crawl": PaymentModel.PER_CRAWL,
    "use": PaymentModel.PER_ITEM,
    "training": PaymentModel.PER_ITEM,
    "purchase": PaymentModel.PER_ITEM,
    "subscription": PaymentModel.SUBSCRIPTION,
    "contribution": PaymentModel.OTHER,
}
_WRITE_PAYMENT: dict[PaymentModel, str] = {
    PaymentModel.PER_CRAWL: "crawl",
    PaymentModel.PER_ITEM: "use",
    PaymentModel.PER_TOKEN: "use",
    PaymentModel.SUBSCRIPTION: "subscription",
    PaymentModel.OTHER: "contribution",
}


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _tokens(text: str | None) -> list[str]:
    return [t for t in (text or "").replace(",", " ").split() if t]


def _content_applies(pattern: str, content_url: str | None) -> bool:
    if content_url is None:
        return True
    if "://" in pattern:
        if content_url.startswith(pattern.rstrip("*")):
            return True
        pattern = url_path(pattern)
    return _matches(url_path(content_url), _escape_pattern(pattern))


def parse_rsl(xml: str | bytes, *, content_url: str | None = None, location: str = "rsl") -> list[Evidence]:
    """Evidence from an RSL document for ``content_url`` (all ``<content>`` elements if None)."""
    import defusedxml
    import defusedxml.ElementTree as DET

    raw = xml.encode("utf-8", "surrogateescape") if isinstance(xml, str) else bytes(xml)
    head = raw[:200].decode("utf-8", "replace")
    if len(raw) > MAX_RSL_BYTES:
        return [Evidence("rsl", head, location, error=f"RSL document over {MAX_RSL_BYTES} bytes")]
    try:
        root = DET.fromstring(raw, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        return [Evidence("rsl", head, location, error=f"unsafe XML refused ({type(exc).__name__})")]
    except Exception as exc:
        return [Evidence("rsl", head, location, error=f"RSL is not well-formed XML: {exc}")]
    if _local(root.tag) != "rsl":
        return [Evidence("rsl", head, location, error=f"root element is <{_local(root.tag)}>, not <rsl>")]
    out: list[Evidence] = []
    for content in root:
        if _local(content.tag) != "content":
            continue
        pattern = content.get("url", "")
        if not pattern:
            out.append(Evidence("rsl", head, location, error="<content> without url"))
            continue
        if not _content_applies(pattern, content_url):
            continue
        server = content.get("server")
        for licence in content:
            if _local(licence.tag) == "license":
                out.extend(_read_licence(licence, pattern, server, location))
    return out


def _read_licence(licence: Any, pattern: str, server: str | None, location: str) -> list[Evidence]:
    attribution = False
    payment: Payment | None = None
    notes: list[str] = []
    permits: list[str] = []
    prohibits: list[str] = []
    for el in licence:
        name, kind = _local(el.tag), (el.get("type") or "usage").strip()
        if name in ("permits", "prohibits"):
            tokens = _tokens(el.text)
            if kind == "usage":
                (permits if name == "permits" else prohibits).extend(tokens)
            elif tokens:
                notes.append(f"{name} {kind}: {' '.join(tokens)}")
        elif name == "payment":
            if kind == "free":
                continue
            if kind == "attribution":
                attribution = True
                continue
            amount: Decimal | None = None
            currency: str | None = None
            url: str | None = None
            for child in el:
                cname = _local(child.tag)
                if cname == "amount":
                    try:
                        amount = Decimal((child.text or "").strip())
                    except InvalidOperation:
                        notes.append(f"unreadable amount {child.text!r}")
                    currency = (child.get("currency") or "").strip().upper() or None
                elif cname in ("standard", "custom") and (child.text or "").strip():
                    url = (child.text or "").strip()
            payment = Payment(_PAYMENT.get(kind, PaymentModel.OTHER), amount, currency, url)
    cond = Conditions(
        attribution=attribution,
        payment=payment,
        licence_url=server,
        note="; ".join(notes) or None,
    )
    where = f"{location} <content url={pattern!r}>"
    out: list[Evidence] = []
    for token in permits:
        for purpose in USAGES.get(token, ()):
            use = Use.ALLOW if cond.is_empty() else Use.ALLOW_IF
            out.append(
                Evidence("rsl", f"permits usage {token}", where, purpose=purpose, use=use, conditions=cond)
            )
    for token in prohibits:
        for purpose in USAGES.get(token, ()):
            out.append(Evidence("rsl", f"prohibits usage {token}", where, purpose=purpose, use=Use.DENY))
    return out


def emit_rsl(prefs: Preferences, content_url: str) -> str:
    """An RSL document for ``content_url`` stating each purpose's rule.

    One ``<license>`` per distinct (use, conditions): deny -> ``<prohibits>``, allow ->
    ``<permits>``, allow-if -> ``<permits>`` with ``<payment>`` (attribution becomes a second
    ``<payment type="attribution"/>``; the licence URL becomes the content's ``server``
    only when every allow-if shares it and nothing is plainly allowed). Stated rules are written, not effective ones,
    so that nesting is left to the reader.
    """
    groups: dict[tuple[Use, Conditions], list[Purpose]] = {}
    for purpose, rule in prefs:
        if rule.use is Use.UNKNOWN:
            continue
        cond = rule.conditions if rule.use is Use.ALLOW_IF else Conditions()
        groups.setdefault((rule.use, cond), []).append(purpose)
    # ``server`` applies to every licence of the content, so it is written only when no
    # plain allow would be turned into an allow-if by it.
    servers = {c.licence_url for (u, c) in groups if u is Use.ALLOW_IF}
    plain_allow = any(u is Use.ALLOW for (u, _) in groups)
    server = next(iter(servers)) if len(servers) == 1 and not plain_allow else None
    attrs = f" url={quoteattr(content_url)}" + (f" server={quoteattr(server)}" if server else "")
    lines = [f'<rsl xmlns="{RSL_NS}">', f"  <content{attrs}>"]
    for (use, cond), purposes in groups.items():
        usage = " ".join(_WRITE_USAGE[p] for p in purposes)
        lines.append("    <license>")
        if use is Use.DENY:
            lines.append(f'      <prohibits type="usage">{usage}</prohibits>')
        else:
            lines.append(f'      <permits type="usage">{usage}</permits>')
        if use is Use.ALLOW_IF:
            lines.extend(_payment_lines(cond, server_written=server is not None))
        lines.append("    </license>")
    lines += ["  </content>", "</rsl>"]
    return "\n".join(lines) + "\n"


def _payment_lines(cond: Conditions, *, server_written: bool) -> list[str]:
    out: list[str] = []
    if cond.payment is not None:
        p = cond.payment
        inner: list[str] = []
        if p.url:
            inner.append(f"<custom>{escape(p.url)}</custom>")
        if p.amount is not None:
            cur = f" currency={quoteattr(p.currency)}" if p.currency else ""
            inner.append(f"<amount{cur}>{p.amount}</amount>")
        out.append(f'      <payment type="{_WRITE_PAYMENT[p.model]}">{"".join(inner)}</payment>')
    if cond.attribution:
        out.append('      <payment type="attribution"/>')
    if cond.payment is None and not cond.attribution and not (cond.licence_url and server_written):
        # Conditions RSL cannot carry here (a licence URL without a server, expiry, notes):
        # a contribution payment pointing at the licence keeps it an allow-if.
        custom = f"<custom>{escape(cond.licence_url)}</custom>" if cond.licence_url else ""
        out.append(f'      <payment type="contribution">{custom}</payment>')
    return out


def licence_links_from_robots(robots_txt: str | bytes) -> list[str]:
    """``License:`` URLs declared in a robots.txt (file-wide)."""
    from mediamanager.signals.robots import parse_robots

    return parse_robots(robots_txt).licenses


def licence_links_from_headers(headers: Sequence[tuple[str, str]]) -> list[str]:
    """URLs of ``Link`` header entries with ``rel="license"`` (RFC 8288)."""
    out: list[str] = []
    for name, value in headers:
        if name.lower() != "link":
            continue
        for entry in _split_links(value):
            target, _, params = entry.partition(";")
            target = target.strip()
            if not (target.startswith("<") and target.endswith(">")):
                continue
            rels: list[str] = []
            for param in params.split(";"):
                key, _, val = param.partition("=")
                if key.strip().lower() == "rel":
                    rels += val.strip().strip('"').lower().split()
            if "license" in rels:
                out.append(target[1:-1].strip())
    return out


def _split_links(value: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            depth += 1
        elif ch == ">" and not quoted:
            depth = max(0, depth - 1)
        if ch == "," and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in (s.strip() for s in parts) if p]


def licence_links_from_html(html: str) -> list[str]:
    """``href`` of ``<link rel="license">`` elements in an HTML head."""
    from mediamanager.signals.xrobots import html_meta

    return [
        link["href"].strip()
        for link in html_meta(html).links
        if "license" in link.get("rel", "").lower().split() and link.get("href")
    ]
