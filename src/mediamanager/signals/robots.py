"""robots.txt: RFC 9309 parsing and matching, AI user-agent groups as evidence, and the writer.

The matcher follows the reference behaviour of Google's open-source parser (the
one RFC 9309 was written from), because the compliance suites we are measured
against encode it. We parse a file once into :class:`RobotsTxt` and answer many
``(path, user agent)`` questions from it.

Why our own matcher and not only ``protego``: protego scores 378/400 on Google's
RFC 9309 compliance suite and 128/140 on the ``robots_test.cc`` cases; it
differs in exactly the places this module is careful about (a user-agent line
after rules opens a new group, groups for one agent are merged across the
file, ``*`` followed by text is still the global group, a missing colon is
accepted, frequent key typos, the product token is the ``[A-Za-z_-]`` prefix,
non-ASCII patterns are percent-encoded, ``$`` anchors only at the end, and
allow wins ties). ``protego`` stays the anchor in ``benchmarks/signals_robots.py``.

Input is bounded: only the first :data:`MAX_ROBOTS_BYTES` (500 KiB, the
minimum RFC 9309 §2.5 asks crawlers to parse) are read, and pattern matching
is a bit-parallel shift-and (no regular-expression backtracking).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from mediamanager.model import Evidence, Preferences, Purpose, Use

if TYPE_CHECKING:
    from mediamanager.signals.agents import AIAgent

__all__ = [
    "MAX_ROBOTS_BYTES",
    "Group",
    "RobotsMatch",
    "RobotsTxt",
    "decode_text",
    "emit_robots_txt",
    "is_valid_user_agent",
    "parse_robots",
    "parse_robots_txt",
    "robots_allowed",
    "url_path",
]

MAX_ROBOTS_BYTES = 500 * 1024
# Google truncates over-long lines; a pathological single line stays bounded.
MAX_LINE_BYTES = 2083 * 8

_UA_KEYS = ("user-agent", "useragent", "user agent")
_DISALLOW_KEYS = ("disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw")
_SITEMAP_KEYS = ("sitemap", "site-map")
_UA_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-")
_HEX = "0123456789ABCDEFabcdef"
_MAX_ANSWERS = 256  # groups_for answers kept per parsed file


@dataclass
class Group:
    """One robots.txt group: the agents it names and its rules, in file order.

    ``extensions`` keeps the non-REP lines of the group that other signals read
    (``content-usage`` and ``content-signal``) as ``(key, value)`` pairs.
    """

    agents: list[str] = field(default_factory=list)  # RFC 9309 product tokens ([A-Za-z_-] prefix)
    names: list[str] = field(default_factory=list)  # first words as written (for lenient matching)
    rules: list[tuple[bool, str]] = field(default_factory=list)  # (allow?, percent-encoded pattern)
    extensions: list[tuple[str, str]] = field(default_factory=list)
    is_global: bool = False
    line: int = 0


@dataclass(frozen=True)
class RobotsMatch:
    """The answer for one path and agent, with the rule that decided it (if any)."""

    allowed: bool
    pattern: str | None = None  # the winning rule's pattern; None if no rule matched
    rule_allows: bool | None = None
    specific: bool = False  # decided by a group naming the agent (not the ``*`` group)


@dataclass
class RobotsTxt:
    """A parsed robots.txt: groups in file order plus the file-wide lines."""

    groups: list[Group] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)  # RSL ``License:`` URLs (file-wide)
    size: int = 0
    truncated: bool = False
    invalid_utf8: bool = False
    binary: bool = False
    _index: dict[bool, dict[str, list[Group]]] = field(default_factory=dict, repr=False, compare=False)
    # groups_for answers by (agent, lenient): a scan asks the same ~20 agents for every URL of a host.
    _answers: dict[tuple[str, bool], tuple[list[Group], bool]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def _groups_named(self, lenient: bool) -> dict[str, list[Group]]:
        """Groups by lower-cased agent name (strict tokens, or tokens and names as written)."""
        index = self._index.get(lenient)
        if index is None:
            index = {}
            for g in self.groups:
                for name in dict.fromkeys(n.lower() for n in (g.agents + g.names if lenient else g.agents)):
                    index.setdefault(name, []).append(g)
            self._index[lenient] = index
        return index

    def groups_for(self, user_agent: str, *, lenient: bool = False) -> tuple[list[Group], bool]:
        """The groups that apply to ``user_agent`` and whether they name it (else the ``*`` groups).

        ``lenient`` also matches names that RFC 9309 tokens cannot spell: an RFC token has
        no digits or spaces, so ``User-agent: AI2Bot`` strictly names "AI" (the compliance
        suite expects that), yet AI crawlers are called AI2Bot, img2dataset or "ChatGPT Agent".
        AI-usage evidence reads leniently (it can only find more refusals); the plain
        :func:`robots_allowed` answer stays strict.
        """
        known = self._answers.get((user_agent, lenient))
        if known is not None:
            return known
        answer = self._find_groups(user_agent, lenient)
        if len(self._answers) < _MAX_ANSWERS:
            self._answers[(user_agent, lenient)] = answer
        return answer

    def _find_groups(self, user_agent: str, lenient: bool) -> tuple[list[Group], bool]:
        index = self._groups_named(lenient)
        if lenient:
            wanted = {
                n.lower() for n in (user_agent, _first_word(user_agent), _product_token(user_agent)) if n
            }
            found = {id(g): g for n in wanted for g in index.get(n, ())}
            specific = [g for g in self.groups if id(g) in found]  # file order
        else:
            specific = index.get(user_agent.lower(), []) if user_agent else []
        if specific:
            return specific, True
        return [g for g in self.groups if g.is_global], False

    def match(self, path: str, user_agent: str, *, lenient: bool = False) -> RobotsMatch:
        """Decide whether ``user_agent`` may crawl ``path`` (path + query, as from :func:`url_path`)."""
        groups, specific = self.groups_for(user_agent, lenient=lenient)
        best_allow: tuple[int, str] | None = None
        best_disallow: tuple[int, str] | None = None
        for group in groups:
            for allow, pattern in group.rules:
                for candidate in _allow_variants(pattern) if allow else (pattern,):
                    if not candidate or not _matches(path, candidate):
                        continue
                    priority = len(candidate)
                    if allow and (best_allow is None or priority > best_allow[0]):
                        best_allow = (priority, pattern)
                    if not allow and (best_disallow is None or priority > best_disallow[0]):
                        best_disallow = (priority, pattern)
        if best_disallow is None and best_allow is None:
            return RobotsMatch(True, None, None, specific)
        if best_disallow is not None and (best_allow is None or best_disallow[0] > best_allow[0]):
            return RobotsMatch(False, best_disallow[1], False, specific)
        assert best_allow is not None
        return RobotsMatch(True, best_allow[1], True, specific)

    def allowed(self, path: str, user_agent: str) -> bool:
        return self.match(path, user_agent).allowed

    def extensions_for(self, user_agent: str | None, key: str) -> list[str]:
        """Values of an extension line (e.g. ``content-usage``) in the groups that apply to the agent."""
        groups, _ = self.groups_for(user_agent or "*", lenient=True)
        return [v for g in groups for k, v in g.extensions if k == key]


def _allow_variants(pattern: str) -> tuple[str, ...]:
    # Google treats ".../index.htm(l)" in an allow rule as also allowing the directory itself.
    slash = pattern.rfind("/")
    if slash >= 0 and pattern[slash:].startswith("/index.htm"):
        return (pattern, pattern[: slash + 1] + "$")
    return (pattern,)


def is_valid_user_agent(user_agent: str) -> bool:
    """True if ``user_agent`` is a product token a crawler may obey rules for (``[A-Za-z_-]+``)."""
    return bool(user_agent) and all(c in _UA_CHARS for c in user_agent)


def _first_word(value: str) -> str:
    words = value.split()
    return words[0].split("/")[0] if words else ""


def _product_token(value: str) -> str:
    end = 0
    while end < len(value) and value[end] in _UA_CHARS:
        end += 1
    return value[:end]


def decode_text(data: str | bytes, limit: int = MAX_ROBOTS_BYTES) -> tuple[str, bool, bool, bool, int]:
    """Bytes to text for line-based formats: ``(text, truncated, invalid_utf8, binary, size)``.

    ``size`` is the input length (bytes; characters for an over-long ``str``).

    Invalid UTF-8 is kept byte-for-byte with ``surrogateescape`` so that matching
    still sees the original bytes; the caller reports it as an error.
    """
    if isinstance(data, str):
        # Encode only what can be read: a character is at least one byte.
        raw = data[: limit + 1].encode("utf-8", "surrogateescape")
        size = len(raw) if len(data) <= limit else len(data)
    else:
        raw = bytes(data[: limit + 1])
        size = len(data)
    truncated = len(raw) > limit
    if truncated:
        raw = raw[:limit]
        cut = max(raw.rfind(b"\n"), raw.rfind(b"\r"))
        raw = raw[: cut + 1] if cut >= 0 else raw
    binary = b"\x00" in raw[:65536]
    try:
        text = raw.decode("utf-8")
        invalid = False
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "surrogateescape")
        invalid = True
    return text, truncated, invalid, binary, size


def _escape_pattern(value: str) -> str:
    """Percent-encode non-ASCII bytes and upper-case existing escapes, as the reference parser does."""
    raw = value.encode("utf-8", "surrogateescape")
    out: list[str] = []
    i = 0
    while i < len(raw):
        b = raw[i]
        if b == 0x25 and i + 2 < len(raw) + 0 and chr(raw[i + 1]) in _HEX and chr(raw[i + 2]) in _HEX:
            out.append("%" + chr(raw[i + 1]).upper() + chr(raw[i + 2]).upper())
            i += 3
            continue
        out.append(f"%{b:02X}" if b >= 0x80 else chr(b))
        i += 1
    return "".join(out)


def _key_value(line: str) -> tuple[str, str] | None:
    hash_pos = line.find("#")
    if hash_pos >= 0:
        line = line[:hash_pos]
    line = line.strip()
    if not line:
        return None
    sep = line.find(":")
    if sep < 0:
        # A forgotten colon is accepted when the line is exactly two words.
        parts = line.split()
        if len(parts) != 2:
            return None
        return parts[0], parts[1]
    key = line[:sep].strip()
    if not key:
        return None
    return key, line[sep + 1 :].strip()


def parse_robots(data: str | bytes, *, cache: bool = True) -> RobotsTxt:
    """Parse robots.txt text or bytes (first 500 KiB) into groups; never raises on content.

    Results are cached by content (a site's robots.txt is read for many records); treat
    the returned object as read-only.
    """
    if (
        cache and isinstance(data, str | bytes) and len(data) <= MAX_ROBOTS_BYTES
    ):  # never pin a huge input in the cache
        return _parse_cached(data)
    return _parse(data)


@lru_cache(maxsize=1024)  # one entry per distinct host file: a scan parses each host's robots.txt once
def _parse_cached(data: str | bytes) -> RobotsTxt:
    return _parse(data)


def _parse(data: str | bytes) -> RobotsTxt:
    text, truncated, invalid, binary, size = decode_text(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    else:
        # A partial byte-order mark (undecodable lead bytes) is skipped as well.
        for partial in ("\udcef\udcbb\udcbf", "\udcef\udcbb", "\udcef"):
            if text.startswith(partial):
                text = text[len(partial) :]
                break
    robots = RobotsTxt(size=size, truncated=truncated, invalid_utf8=invalid, binary=binary)
    current: Group | None = None
    in_rules = False  # a rule line has been seen since the last user-agent line
    for number, line in enumerate(_lines(text), start=1):
        kv = _key_value(line[:MAX_LINE_BYTES])
        if kv is None:
            continue
        key, value = kv
        lkey = key.lower()
        if lkey.startswith(_UA_KEYS):
            if current is None or in_rules:
                current = Group(line=number)
                robots.groups.append(current)
                in_rules = False
            if value.startswith("*") and (len(value) == 1 or value[1].isspace()):
                current.is_global = True
            else:
                token = _product_token(value)
                if token:
                    current.agents.append(token)
                word = _first_word(value)
                if word:
                    current.names.append(word)
        elif lkey == "allow" or lkey.startswith(_DISALLOW_KEYS):
            if current is None:
                continue  # rules before any user-agent line belong to no group
            in_rules = True
            current.rules.append((lkey == "allow", _escape_pattern(value)))
        elif lkey.startswith(_SITEMAP_KEYS):
            robots.sitemaps.append(value)
        elif lkey == "license":
            robots.licenses.append(value)
        elif lkey in ("content-usage", "content-signal") and current is not None:
            current.extensions.append((lkey, value))
    return robots


def _lines(text: str) -> Iterable[str]:
    # Lines end at LF, CR or CRLF (str.splitlines would also split on form feeds etc.).
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _matches(path: str, pattern: str) -> bool:
    """RFC 9309 prefix match with ``*`` (any run) and a final ``$`` (end of path).

    Shift-and over bit sets: bit ``p`` of ``state`` means the pattern so far matches
    ``path[:p]``. Each pattern character is a few big-integer operations, so time is
    O(len(pattern) * len(path) / 64) whatever the input: no backtracking blow-up.
    """
    if "*" not in pattern and not pattern.endswith("$"):
        return path.startswith(pattern)
    n = len(path)
    masks = _char_masks(path)
    full = (1 << (n + 1)) - 1
    state = 1
    last = len(pattern) - 1
    for i, ch in enumerate(pattern):
        if ch == "$" and i == last:
            return bool((state >> n) & 1)
        if ch == "*":
            if i and pattern[i - 1] == "*":
                continue
            lowest = state & -state
            state = full & ~(lowest - 1)
        else:
            state = (state & masks.get(ch, 0)) << 1
            if not state:
                return False
    return True


@lru_cache(maxsize=256)
def _char_masks(path: str) -> dict[str, int]:
    """For each character of ``path``, the bit set of the positions where it occurs."""
    masks: dict[str, int] = {}
    for c in set(path):
        masks[c] = int("".join("1" if x == c else "0" for x in reversed(path)), 2)
    return masks


def url_path(url: str) -> str:
    """The path, parameters and query of ``url`` (what robots.txt rules match), ``/`` if none."""
    start = 2 if url.startswith("//") else 0
    early = min((i for i in (url.find(c, start) for c in "/?;") if i >= 0), default=-1)
    proto = url.find("://", start)
    proto_end = start if proto < 0 or (0 <= early < proto) else proto + 3
    path_start = min((i for i in (url.find(c, proto_end) for c in "/?;") if i >= 0), default=-1)
    if path_start < 0:
        return "/"
    hash_pos = url.find("#", start)
    if 0 <= hash_pos < path_start:
        return "/"
    path = url[path_start : hash_pos if hash_pos >= 0 else len(url)]
    return path if path.startswith("/") else "/" + path


def robots_allowed(robots_txt: str | bytes, url: str, user_agent: str) -> bool:
    """The plain RFC 9309 answer: may ``user_agent`` crawl ``url`` under this robots.txt?

    An empty or unparsable file allows everything (RFC 9309 §2.3.1.3 "unavailable"
    semantics are the caller's business: pass ``"User-agent: *\\nDisallow: /"`` for
    an unreachable server). Only the first 500 KiB are read.
    """
    return parse_robots(robots_txt).allowed(url_path(url), user_agent)


def parse_robots_txt(
    robots_txt: str | bytes,
    *,
    url: str | None = None,
    user_agent: str | None = None,
    agents: Sequence[AIAgent] | None = None,
    location: str = "robots.txt",
) -> list[Evidence]:
    """Evidence from a robots.txt about the AI purposes, for the path of ``url`` (``/`` if None).

    * A group that disallows a known AI agent (see :mod:`mediamanager.signals.agents`)
      is a **deny** for the purpose that agent serves; the ``*`` group counts for
      agents without a group of their own. An allow is *not* evidence of permission
      (crawling is not use) and yields nothing.
    * ``user_agent``, if given, is evaluated too (its purpose from the agent table).
    * ``Content-Usage`` (aipref) and ``Content-Signal`` lines of the group that applies to
      ``user_agent`` (else ``*``) are read by their own parsers.
    * Truncation (over 500 KiB), invalid UTF-8 and binary content give error entries.
    """
    from mediamanager.signals.agents import agent_for, load_agents
    from mediamanager.signals.aipref import parse_content_usage_rules
    from mediamanager.signals.content_signal import parse_content_signal

    robots = parse_robots(robots_txt)
    out: list[Evidence] = []
    raw_head = (
        robots_txt[:200] if isinstance(robots_txt, str) else robots_txt[:200].decode("utf-8", "replace")
    )
    if robots.binary:
        out.append(
            Evidence("robots.txt", raw_head, location, error="robots.txt contains NUL bytes: not a text file")
        )
        return out
    if robots.truncated:
        out.append(
            Evidence(
                "robots.txt",
                f"{robots.size} bytes",
                location,
                error=f"robots.txt is {robots.size} bytes; only the first {MAX_ROBOTS_BYTES} were read (RFC 9309 §2.5)",
            )
        )
    if robots.invalid_utf8:
        out.append(Evidence("robots.txt", raw_head, location, error="robots.txt is not valid UTF-8"))
    path = url_path(url) if url else "/"
    table = list(agents) if agents is not None else load_agents()
    checked: list[AIAgent] = list(table)
    if user_agent:
        mine = agent_for(user_agent, table)
        if all(a.name.lower() != mine.name.lower() for a in checked):
            checked.append(mine)
    for agent in checked:
        result = robots.match(path, agent.name, lenient=True)
        if result.allowed:
            continue
        group = f"group for {agent.name}" if result.specific else "the * group"
        out.append(
            Evidence(
                "robots.txt",
                f"Disallow: {result.pattern}",
                location,
                purpose=agent.purpose,
                use=Use.DENY,
                detail=f"{agent.name} ({agent.operator}) may not crawl {path} ({group})",
            )
        )
    ua = user_agent or "*"
    usage = robots.extensions_for(ua, "content-usage")
    if usage:
        out.extend(
            parse_content_usage_rules(usage, path, source="robots.txt content-usage", location=location)
        )
    for value in robots.extensions_for(ua, "content-signal"):
        out.extend(parse_content_signal(value, location=location))
    return out


def emit_robots_txt(prefs: Preferences, agents: Sequence[AIAgent] | None = None) -> str:
    """robots.txt text expressing ``prefs``.

    Layout (pure function of its inputs)::

        # Media Manager AI-usage preferences
        User-Agent: *
        Content-Usage: train-ai=n, search=y        (aipref, when stated)
        Content-Signal: search=yes, ai-train=no   (Cloudflare, when stated)
        Allow: /

        User-Agent: GPTBot                         (one group per agent whose purpose is denied
        Disallow: /                                 or allowed only with conditions)

    An agent's purpose is denied when ``prefs.effective(purpose)`` is deny or
    allow-if: a crawler cannot see conditions, so it must stay out until licensed.
    """
    from mediamanager.signals.agents import load_agents
    from mediamanager.signals.aipref import emit_content_usage
    from mediamanager.signals.content_signal import emit_content_signal

    table = list(agents) if agents is not None else load_agents()
    lines = ["# Media Manager AI-usage preferences", "User-Agent: *"]
    usage = emit_content_usage(prefs)
    if usage:
        lines.append(f"Content-Usage: {usage}")
    signal = emit_content_signal(prefs)
    if signal:
        lines.append(f"Content-Signal: {signal}")
    lines.append("Allow: /")
    for agent in table:
        if prefs.effective(agent.purpose).use in (Use.DENY, Use.ALLOW_IF):
            lines += ["", f"User-Agent: {agent.name}", "Disallow: /"]
    return "\n".join(lines) + "\n"


def denied_purposes(evidence: Iterable[Evidence]) -> set[Purpose]:
    """Purposes that some evidence entry denies (helper for tests and callers)."""
    return {e.purpose for e in evidence if e.use is Use.DENY and e.purpose is not None}
