"""Cloudflare Content Signals: the robots.txt ``Content-Signal:`` line, read and written.

Syntax: comma-separated ``name=yes|no`` pairs, e.g. ``search=yes, ai-train=no``.
Names and values are read case-insensitively with any spacing; an omitted
signal neither grants nor restricts (unknown). Signals:

* ``search``   -> ``search``
* ``ai-input`` -> ``ai-input``
* ``ai-train`` -> ``ai-train`` (training *or fine-tuning* any AI model)
* ``use=immediate|reference|full`` (2026) has no published semantics for our
  purposes; it is kept as evidence (``purpose=None``), never read as permission.
"""

from __future__ import annotations

from mediamanager.model import Evidence, Preferences, Purpose, Use

__all__ = ["SIGNALS", "emit_content_signal", "parse_content_signal"]

SIGNALS: dict[str, Purpose] = {
    "search": Purpose.SEARCH,
    "ai-input": Purpose.AI_INPUT,
    "ai-train": Purpose.AI_TRAIN,
}
MAX_VALUE_CHARS = 8 * 1024


def parse_content_signal(
    value: str, *, source: str = "robots.txt content-signal", location: str = "robots.txt"
) -> list[Evidence]:
    """Evidence for each signal in one ``Content-Signal`` value; malformed pairs become error entries."""
    shown = value[:200]
    if len(value) > MAX_VALUE_CHARS:
        return [Evidence(source, shown, location, error=f"value longer than {MAX_VALUE_CHARS} characters")]
    out: list[Evidence] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, val = part.partition("=")
        name, val = name.strip().lower(), val.strip().lower()
        if not sep or not name:
            out.append(Evidence(source, part, location, error=f"not a name=value pair: {part!r}"))
            continue
        if name == "use":
            out.append(
                Evidence(source, part, location, detail=f"consumption level use={val} (not a permission)")
            )
            continue
        purpose = SIGNALS.get(name)
        if purpose is None:
            continue  # unknown signals are ignored, like unknown aipref labels
        use = {"yes": Use.ALLOW, "no": Use.DENY}.get(val)
        if use is None:
            out.append(
                Evidence(source, part, location, purpose=purpose, detail=f"value {val!r} is not yes/no")
            )
            continue
        out.append(Evidence(source, part, location, purpose=purpose, use=use))
    return out


def emit_content_signal(prefs: Preferences) -> str:
    """The ``Content-Signal`` value for ``prefs`` (``search=yes, ai-train=no``); empty if nothing is stated.

    Effective rules are used; allow-if is written ``no`` (the line cannot carry conditions).
    """
    parts = []
    for name, purpose in SIGNALS.items():
        use = prefs.effective(purpose).use
        if use is Use.ALLOW:
            parts.append(f"{name}=yes")
        elif use in (Use.DENY, Use.ALLOW_IF):
            parts.append(f"{name}=no")
    return ", ".join(parts)
