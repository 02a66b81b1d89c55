"""IETF aipref ``Content-Usage``: the HTTP header and the robots.txt rule, read and written.

The value is an RFC 9651 Structured Fields Dictionary (parsed and serialised by
``http-sf``) whose keys are vocabulary labels and whose values are the Tokens
``y`` (allow) or ``n`` (deny); anything else is unknown. A parse failure makes
every category unknown (recorded as an error entry). Parameters are ignored,
duplicate keys: the last wins. Labels (draft-ietf-aipref-vocab-07):

* ``train-ai`` -> ``genai-train`` (training models that generate content)
* ``search``   -> ``search``

Older-draft labels still deployed (CC signals use the -02 set) are read too:
``train-genai`` -> ``genai-train``, ``ai-use`` -> ``ai-input``, ``bots``/``all`` -> ``tdm``.
Unknown labels are ignored, as the draft requires.
"""

from __future__ import annotations

from collections.abc import Sequence

import http_sf

from mediamanager.model import Evidence, Preferences, Purpose, Use
from mediamanager.signals.robots import _escape_pattern, _matches

__all__ = ["LABELS", "emit_content_usage", "parse_content_usage", "parse_content_usage_rules"]

LABELS: dict[str, Purpose] = {"train-ai": Purpose.GENAI_TRAIN, "search": Purpose.SEARCH}
_LEGACY: dict[str, Purpose] = {
    "train-genai": Purpose.GENAI_TRAIN,
    "ai-use": Purpose.AI_INPUT,
    "bots": Purpose.TDM,
    "all": Purpose.TDM,
}
MAX_VALUE_BYTES = 64 * 1024


def parse_content_usage(
    value: str | bytes, *, source: str = "Content-Usage", location: str = "http header"
) -> list[Evidence]:
    """Evidence for each recognised label of one ``Content-Usage`` value; errors as error entries."""
    raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
    shown = raw[:200].decode("utf-8", "replace")
    if len(raw) > MAX_VALUE_BYTES:
        return [
            Evidence(source, shown, location, error=f"value is {len(raw)} bytes (limit {MAX_VALUE_BYTES})")
        ]
    try:
        parsed = http_sf.parse(raw, tltype="dictionary")
    except Exception as exc:  # http-sf raises several types for malformed input
        return [Evidence(source, shown, location, error=f"not a structured-field dictionary: {exc}")]
    out: list[Evidence] = []
    if not isinstance(parsed, dict):
        return [Evidence(source, shown, location, error="not a structured-field dictionary")]
    for key, member in parsed.items():
        purpose = LABELS.get(key) or _LEGACY.get(key)
        if purpose is None:
            continue
        item = member[0] if isinstance(member, tuple) else member
        use = Use.UNKNOWN
        if isinstance(item, http_sf.Token):
            use = {"y": Use.ALLOW, "n": Use.DENY}.get(str(item), Use.UNKNOWN)
        detail = None if key in LABELS else f"legacy aipref label {key!r}"
        if use is Use.UNKNOWN:
            detail = f"{key}: value is not the token y or n"
        out.append(Evidence(source, shown, location, purpose=purpose, use=use, detail=detail))
    return out


def parse_content_usage_rules(
    values: Sequence[str],
    path: str,
    *,
    source: str = "robots.txt content-usage",
    location: str = "robots.txt",
) -> list[Evidence]:
    """The ``Content-Usage`` rules of one robots.txt group that govern ``path``.

    A rule is ``[path-pattern SP] usage-pref``. The longest matching path wins (a
    rule without a path matches everything with length 0); rules tied on the same
    path all apply and combine most-restrictively.
    """
    best = -1
    chosen: list[str] = []
    for value in values:
        value = value.strip()
        pattern: str | None = None
        pref = value
        if value.startswith("/"):
            parts = value.split(None, 1)
            pattern, pref = parts[0], (parts[1] if len(parts) > 1 else "")
        if pattern is not None and not _matches(path, _escape_pattern(pattern)):
            continue
        priority = len(_escape_pattern(pattern)) if pattern is not None else 0
        if priority > best:
            best, chosen = priority, [pref]
        elif priority == best:
            chosen.append(pref)
    out: list[Evidence] = []
    for pref in chosen:
        out.extend(parse_content_usage(pref, source=source, location=location))
    return out


def _token(use: Use) -> http_sf.Token | None:
    if use is Use.ALLOW:
        return http_sf.Token("y")
    if use in (Use.DENY, Use.ALLOW_IF):
        # The vocabulary has no conditions: "allowed only if licensed" reads as no, and
        # the conditions travel in RSL (robots.txt ``License:``) beside it.
        return http_sf.Token("n")
    return None


def emit_content_usage(prefs: Preferences) -> str:
    """The ``Content-Usage`` value for ``prefs`` (e.g. ``train-ai=n, search=y``); empty if nothing is stated.

    Uses the effective rule of each purpose (so ``tdm=deny`` gives ``train-ai=n``).
    """
    members: http_sf.DictionaryType = {}
    for label, purpose in LABELS.items():
        token = _token(prefs.effective(purpose).use)
        if token is not None:
            members[label] = (token, {})
    return http_sf.ser(members) if members else ""
