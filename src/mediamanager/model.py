"""The one internal model every part of Media Manager speaks.

Everything here is a frozen value: no I/O, no clocks read implicitly, no
database. Adapters (signals, registry, scan, provenance) translate external
formats into these types and back.

Vocabulary (see docs/architecture in ``shared/design``):

* :class:`Purpose` - what a use is *for*. ``tdm`` ⊃ ``ai-train`` ⊃ ``genai-train``
  nest: a deny on a parent denies its children; an allow on a child says nothing
  of its parent. ``ai-input`` and ``search`` stand alone.
* :class:`Use` - ``allow``, ``allow-if`` (allowed only under :class:`Conditions`),
  ``deny`` or ``unknown``. *Unknown is never permission.*
* :class:`Evidence` - one observed statement (or one failure to read one), with
  its source, raw value, location and time. Evidence is never thrown away.
* :class:`Rule` - the combined use for one purpose plus the evidence behind it.
* :class:`Preferences` - a rule per purpose.
* :class:`Decision` - what a scan did with one input item, and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from mediamanager.errors import InvalidPreferenceError

__all__ = [
    "Conditions",
    "Decision",
    "Evidence",
    "Fingerprint",
    "Match",
    "MediaType",
    "Outcome",
    "Payment",
    "PaymentModel",
    "Preferences",
    "Purpose",
    "Rule",
    "Use",
    "as_utc",
    "combine_rules",
    "expire",
    "parse_preference_spec",
    "utcnow",
]


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only clock the model uses)."""
    return datetime.now(UTC)


def as_utc(when: datetime) -> datetime:
    """``when`` made timezone-aware: a naive time is read as UTC, so comparing two times never raises."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


class Purpose(StrEnum):
    """What a use of a work is for."""

    TDM = "tdm"
    AI_TRAIN = "ai-train"
    GENAI_TRAIN = "genai-train"
    AI_INPUT = "ai-input"
    SEARCH = "search"

    @property
    def parent(self) -> Purpose | None:
        """The purpose this one is a special case of, if any."""
        return _PARENT.get(self)

    def lineage(self) -> tuple[Purpose, ...]:
        """This purpose followed by all its ancestors, nearest first."""
        out: list[Purpose] = [self]
        p = self.parent
        while p is not None:
            out.append(p)
            p = p.parent
        return tuple(out)

    def descendants(self) -> tuple[Purpose, ...]:
        """Purposes nested inside this one (not including itself)."""
        return tuple(p for p in Purpose if p is not self and self in p.lineage())

    @classmethod
    def parse(cls, value: str) -> Purpose:
        """Parse a purpose name, raising :class:`InvalidPreferenceError` for unknown names."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(p.value for p in cls)
            raise InvalidPreferenceError(f"unknown purpose {value!r}; expected one of: {names}") from None


_PARENT: dict[Purpose, Purpose] = {
    Purpose.AI_TRAIN: Purpose.TDM,
    Purpose.GENAI_TRAIN: Purpose.AI_TRAIN,
}


class Use(StrEnum):
    """Whether a purpose is permitted."""

    ALLOW = "allow"
    ALLOW_IF = "allow-if"
    DENY = "deny"
    UNKNOWN = "unknown"

    @property
    def restrictiveness(self) -> int:
        """Ordering used by the most-restrictive rule (higher wins)."""
        return _RESTRICTIVENESS[self]


# deny > allow-if > allow > unknown. The architecture draft ranked a plain allow
# above allow-if; we rank conditions higher because "the most restrictive signal
# wins": a creator's payment terms must not vanish because a robots.txt elsewhere
# is permissive (see docs/decisions.md).
_RESTRICTIVENESS = {Use.DENY: 3, Use.ALLOW_IF: 2, Use.ALLOW: 1, Use.UNKNOWN: 0}


class PaymentModel(StrEnum):
    """How a licensed use is paid for (RSL-style)."""

    PER_ITEM = "per-item"
    PER_TOKEN = "per-token"
    PER_CRAWL = "per-crawl"
    SUBSCRIPTION = "subscription"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Payment:
    """Payment terms attached to an allow-if."""

    model: PaymentModel = PaymentModel.OTHER
    amount: Decimal | None = None
    currency: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Conditions:
    """What must be met for an ``allow-if`` use."""

    attribution: bool = False
    payment: Payment | None = None
    licence_url: str | None = None
    expires: datetime | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        # A naive expiry (from any caller) is read as UTC here, once, so merge() and expired() can
        # compare any two expiries without a TypeError taking the whole scan down.
        if isinstance(self.expires, datetime) and self.expires.tzinfo is None:
            object.__setattr__(self, "expires", as_utc(self.expires))

    def is_empty(self) -> bool:
        return self == Conditions()

    def expired(self, now: datetime) -> bool:
        """Whether these conditions ran out at or before ``now`` (no expiry never runs out)."""
        return isinstance(self.expires, datetime) and self.expires <= as_utc(now)

    def merge(self, other: Conditions) -> Conditions:
        """Union of two sets of conditions: every obligation of both applies."""
        expires = [e for e in (self.expires, other.expires) if e is not None]
        notes = [n for n in (self.note, other.note) if n]
        return Conditions(
            attribution=self.attribution or other.attribution,
            payment=self.payment or other.payment,
            licence_url=self.licence_url or other.licence_url,
            expires=min(expires) if expires else None,
            note="; ".join(dict.fromkeys(notes)) or None,
        )

    def describe(self) -> str:
        parts: list[str] = []
        if self.attribution:
            parts.append("attribution")
        if self.payment is not None:
            amt = (
                f" {self.payment.amount} {self.payment.currency or ''}".rstrip()
                if self.payment.amount
                else ""
            )
            parts.append(f"payment({self.payment.model.value}{amt})")
        if self.licence_url:
            parts.append(f"licence={self.licence_url}")
        if self.expires:
            parts.append(f"expires={self.expires.isoformat()}")
        if self.note:
            parts.append(f"note={self.note}")
        return ",".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribution": self.attribution,
            "payment": None
            if self.payment is None
            else {
                "model": self.payment.model.value,
                "amount": None if self.payment.amount is None else str(self.payment.amount),
                "currency": self.payment.currency,
                "url": self.payment.url,
            },
            "licence_url": self.licence_url,
            "expires": None if self.expires is None else self.expires.isoformat(),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Conditions:
        """Strictly typed: a wrong type, an unknown key or an unusable value raises InvalidPreferenceError."""
        from mediamanager.values import check_amount, check_expires, check_optional_text

        if not data:
            return cls()
        if not isinstance(data, Mapping):
            raise InvalidPreferenceError(f"conditions must be an object, got {type(data).__name__}")
        unknown = sorted(str(k) for k in data if k not in _CONDITION_KEYS)
        if unknown:
            raise InvalidPreferenceError(f"unknown condition {unknown[0][:40]!r}")
        pay = data.get("payment")
        payment = None
        if pay is not None:
            if not isinstance(pay, Mapping):
                raise InvalidPreferenceError(f"payment must be an object, got {type(pay).__name__}")
            extra = sorted(str(k) for k in pay if k not in _PAYMENT_KEYS)
            if extra:
                raise InvalidPreferenceError(f"unknown payment field {extra[0][:40]!r}")
            model = pay.get("model", "other")
            if not isinstance(model, str) or model not in PaymentModel.__members__.values():
                raise InvalidPreferenceError(f"unknown payment model {str(model)[:40]!r}")
            payment = Payment(
                model=PaymentModel(model),
                amount=check_amount(pay.get("amount")),
                currency=check_optional_text(pay.get("currency"), "payment currency", 16),
                url=check_optional_text(pay.get("url"), "payment url", 2048),
            )
        attribution = data.get("attribution", False)
        if not isinstance(attribution, bool):
            raise InvalidPreferenceError(
                f"attribution must be true or false, got {type(attribution).__name__}"
            )
        return cls(
            attribution=attribution,
            payment=payment,
            licence_url=check_optional_text(data.get("licence_url"), "licence_url", 2048),
            expires=check_expires(data.get("expires")),
            note=check_optional_text(data.get("note"), "note", 1000),
        )


_CONDITION_KEYS = frozenset({"attribution", "payment", "licence_url", "expires", "note"})
_PAYMENT_KEYS = frozenset({"model", "amount", "currency", "url"})


@dataclass(frozen=True, slots=True)
class Evidence:
    """One observed statement about a purpose, or one failure to read a signal.

    ``purpose`` is None for evidence that is about no single purpose (for
    example an unreadable robots.txt); ``error`` is set when reading failed.
    An error entry never counts as allow.
    """

    source: str
    raw: str
    location: str
    purpose: Purpose | None = None
    use: Use = Use.UNKNOWN
    conditions: Conditions = field(default_factory=Conditions)
    observed_at: datetime = field(default_factory=utcnow)
    error: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "raw": self.raw,
            "location": self.location,
            "purpose": None if self.purpose is None else self.purpose.value,
            "use": self.use.value,
            "conditions": None if self.conditions.is_empty() else self.conditions.to_dict(),
            "observed_at": self.observed_at.isoformat(),
            "error": self.error,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(
            source=data["source"],
            raw=data.get("raw", ""),
            location=data.get("location", ""),
            purpose=None if data.get("purpose") is None else Purpose(data["purpose"]),
            use=Use(data.get("use", "unknown")),
            conditions=Conditions.from_dict(data.get("conditions")),
            observed_at=datetime.fromisoformat(data["observed_at"]) if data.get("observed_at") else utcnow(),
            error=data.get("error"),
            detail=data.get("detail"),
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """The combined use for one purpose, with the evidence behind it."""

    use: Use = Use.UNKNOWN
    conditions: Conditions = field(default_factory=Conditions)
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "use": self.use.value,
            "conditions": None if self.conditions.is_empty() else self.conditions.to_dict(),
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        return cls(
            use=Use(data.get("use", "unknown")),
            conditions=Conditions.from_dict(data.get("conditions")),
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence", ())),
        )


UNKNOWN_RULE = Rule()

# Evidence stated without a recorded source (a Rule built by hand) is one anonymous source.
_NO_SOURCE_AT = datetime(1970, 1, 1, tzinfo=UTC)


def _source_family(source: str) -> str:
    """The source a statement counts under: ``registry:work`` and ``registry:domain`` are one registry."""
    return "registry" if source == "registry" or source.startswith("registry:") else source


def _statements(purpose: Purpose, rule: Rule) -> tuple[Evidence, ...]:
    """The evidence behind a stated rule; a rule built without supporting evidence speaks for itself."""
    if rule.use is Use.UNKNOWN or any(e.error is None and e.use is rule.use for e in rule.evidence):
        return rule.evidence
    own = Evidence(
        source="", raw=f"{purpose.value}={rule.use.value}", location="", purpose=purpose,
        use=rule.use, conditions=rule.conditions, observed_at=_NO_SOURCE_AT,
    )  # fmt: skip
    return (*rule.evidence, own)


@dataclass(frozen=True)
class Preferences:
    """A rule per purpose, plus evidence of anything that could not be read.

    Purposes with no statement are *unknown*. :meth:`effective` applies the
    nesting of purposes: a deny on ``tdm`` denies ``genai-train``.
    """

    rules: Mapping[Purpose, Rule] = field(default_factory=dict)
    errors: tuple[Evidence, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.rules.items())), self.errors))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Preferences):
            return NotImplemented
        return dict(self.rules) == dict(other.rules) and self.errors == other.errors

    def stated(self, purpose: Purpose) -> Rule:
        """The rule stated for exactly this purpose, ignoring nesting."""
        return self.rules.get(purpose, UNKNOWN_RULE)

    def effective(self, purpose: Purpose, *, now: datetime | None = None) -> Rule:
        """The rule that governs ``purpose``, taking the purpose's ancestors into account.

        Specificity holds only *within one source*: for each source (every ``registry:*``
        level of one owner counts as one source, whose levels were already resolved most
        specific first), a deny anywhere in the lineage denies, otherwise that source's
        nearest explicit statement governs (a parent's allow covers a child that says
        nothing). *Across* sources the most restrictive rule wins (:func:`combine_rules`),
        so one header's ``genai-train=allow`` cannot erase another's ``tdm=allow-if``.
        With ``now``, a permission whose conditions expired is no permission.
        """
        lineage = purpose.lineage()
        by_source: dict[str, list[list[Evidence]]] = {}
        for depth, p in enumerate(lineage):
            for e in _statements(p, self.stated(p)):
                levels = by_source.setdefault(_source_family(e.source), [[] for _ in lineage])
                levels[depth].append(e)
        chosen: list[Evidence] = []
        for levels in by_source.values():
            denies = [e for level in levels for e in level if e.error is None and e.use is Use.DENY]
            if denies:
                chosen += denies
                continue
            for level in levels:
                if combine_rules(level, now=now).use is not Use.UNKNOWN:
                    chosen += level
                    break
            else:  # nothing live from this source: keep what it said (expired, unknown) as evidence
                chosen += [e for level in levels for e in level]
        # dict.fromkeys drops repeats, so re-reading an effective rule does not duplicate its evidence.
        return combine_rules(dict.fromkeys(chosen), now=now)

    def at(self, now: datetime) -> Preferences:
        """The effective rule of every purpose as decided at ``now`` (expired permissions are unknown).

        What a registry lookup returns: a consumer re-reading it (``effective`` again, at its own
        time) can only find the same or less permission, never an expired one brought back.
        """
        return Preferences({p: self.effective(p, now=now) for p in Purpose}, self.errors)

    def uses(self, *, now: datetime | None = None) -> dict[Purpose, Use]:
        """The effective use of every purpose."""
        return {p: self.effective(p, now=now).use for p in Purpose}

    def simple(self) -> dict[str, str]:
        """Stated purposes as ``{purpose: use}`` (for comparisons and round-trips)."""
        return {p.value: r.use.value for p, r in sorted(self.rules.items()) if r.use is not Use.UNKNOWN}

    def with_rule(self, purpose: Purpose, rule: Rule) -> Preferences:
        rules = dict(self.rules)
        rules[purpose] = rule
        return replace(self, rules=rules)

    def to_dict(self, *, effective: bool = False, now: datetime | None = None) -> dict[str, Any]:
        rules = {p: self.effective(p, now=now) for p in Purpose} if effective else dict(self.rules)
        return {
            "rules": {p.value: r.to_dict() for p, r in sorted(rules.items())},
            "errors": [e.to_dict() for e in self.errors],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preferences:
        return cls(
            rules={Purpose(k): Rule.from_dict(v) for k, v in data.get("rules", {}).items()},
            errors=tuple(Evidence.from_dict(e) for e in data.get("errors", ())),
        )

    def __iter__(self) -> Iterator[tuple[Purpose, Rule]]:
        return iter(sorted(self.rules.items()))


_SPEC_ITEM = re.compile(
    r"^\s*(?P<purpose>[a-z-]+)\s*=\s*(?P<use>allow-if|allow|deny|unknown)(?::(?P<cond>.*))?\s*$"
)


_COND_SPLIT = re.compile(r"\+(?!\d{2}(?::?\d{2})?(?:\+|$))")


def _parse_conditions(text: str) -> Conditions:
    from mediamanager.values import check_amount, check_expires, check_optional_text

    attribution = False
    payment: Payment | None = None
    licence: str | None = None
    expires: datetime | None = None
    note: str | None = None
    # "+" joins conditions, but may also start a UTC offset: "expires=2026-01-01T00:00+14:00".
    for part in filter(None, (p.strip() for p in _COND_SPLIT.split(text))):
        key, _, val = part.partition("=")
        key = key.strip().lower()
        if key == "attribution":
            attribution = True
        elif key == "payment":
            model_s, _, amount_s = val.partition("/")
            try:
                model = PaymentModel(model_s or "other")
            except ValueError:
                raise InvalidPreferenceError(f"unknown payment model {model_s!r}") from None
            amount: Decimal | None = None
            currency: str | None = None
            if amount_s:
                num, _, currency_s = amount_s.partition(" ")
                amount = check_amount(num)
                currency = check_optional_text(currency_s.strip().upper() or None, "payment currency", 16)
            payment = Payment(model=model, amount=amount, currency=currency)
        elif key in ("licence", "license"):
            licence = check_optional_text(val.strip(), "licence", 2048)
        elif key == "expires":
            expires = check_expires(val.strip())  # a naive time is UTC, as in the rules form
        elif key == "note":
            note = check_optional_text(val.strip(), "note", 1000)
        else:
            raise InvalidPreferenceError(f"unknown condition {key[:40]!r}")
    return Conditions(attribution, payment, licence, expires, note)


def parse_preference_spec(spec: str, *, source: str = "declared", location: str = "") -> Preferences:
    """Parse the compact preference syntax used by the CLI.

    ``"genai-train=deny,ai-input=allow-if:attribution+payment=per-item/0.01 USD"``

    Conditions after ``allow-if:`` are joined by ``+``: ``attribution``,
    ``payment=MODEL[/AMOUNT CURRENCY]``, ``licence=URL``, ``expires=ISO-DATE``,
    ``note=TEXT``. Unknown purposes or conditions raise
    :class:`~mediamanager.errors.InvalidPreferenceError`.
    """
    rules: dict[Purpose, Rule] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        m = _SPEC_ITEM.match(item)
        if not m:
            raise InvalidPreferenceError(
                f"cannot parse preference {item!r}; expected PURPOSE=USE[:CONDITIONS]"
            )
        purpose = Purpose.parse(m["purpose"])
        use = Use(m["use"])
        cond = _parse_conditions(m["cond"] or "")
        if use is Use.ALLOW and not cond.is_empty():
            use = Use.ALLOW_IF
        if use is Use.ALLOW_IF and cond.is_empty():
            raise InvalidPreferenceError(f"{item!r}: allow-if needs at least one condition")
        ev = Evidence(source=source, raw=item, location=location, purpose=purpose, use=use, conditions=cond)
        rules[purpose] = Rule(use, cond, (ev,))
    return Preferences(rules)


class MediaType(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One identifier of a piece of content.

    ``kind`` names the algorithm (``sha256``, ``iscc``, ``minhash``, ``pdq``,
    ``phash``, ``chromaprint``...); ``value`` is its canonical text encoding
    (hex or base64, defined by :mod:`mediamanager.fingerprint`); ``size`` is
    the shingle-set size for MinHash (needed for containment scoring) and
    ``part`` numbers passages or crops of one work.
    """

    kind: str
    value: str
    size: int | None = None
    part: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "size": self.size, "part": self.part}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fingerprint:
        return cls(data["kind"], data["value"], data.get("size"), int(data.get("part", 0)))


@dataclass(frozen=True, slots=True)
class Match:
    """A registered work (``key``) found for a query, with a score in [0, 1]."""

    key: str
    score: float
    kind: str


class Outcome(StrEnum):
    """What a scan did with one input item."""

    KEEP = "keep"
    DROP = "drop"
    LICENSE = "license"
    ERROR = "error"


@dataclass(frozen=True)
class Decision:
    """The outcome for one input item, with every reason and piece of evidence."""

    item_id: str
    outcome: Outcome
    purpose: Purpose
    reasons: tuple[str, ...]
    rule: Rule = field(default_factory=Rule)
    matches: tuple[Match, ...] = ()


def expire(evidence: Evidence, now: datetime) -> Evidence:
    """``evidence`` as it stands at ``now``: a permission whose conditions ran out becomes unknown.

    The statement itself is kept (``raw``, ``conditions``); ``detail`` says it expired, and when
    it was checked. An expired permission is no permission, so the ``--unknown`` policy applies,
    never keep-by-licence. A deny never expires into permission.
    """
    if evidence.error is not None or evidence.use not in (Use.ALLOW, Use.ALLOW_IF):
        return evidence
    if not evidence.conditions.expired(now):
        return evidence
    expires = evidence.conditions.expires
    when = as_utc(now).isoformat()
    note = f"{evidence.use.value} expired at {expires.isoformat() if expires else '?'} (checked at {when}): no permission"
    return replace(
        evidence, use=Use.UNKNOWN, detail=note if not evidence.detail else f"{note}; {evidence.detail}"
    )


def combine_rules(evidence: Iterable[Evidence], *, now: datetime | None = None) -> Rule:
    """Combine statements by the most-restrictive rule: the one home of that rule.

    The order is :attr:`Use.restrictiveness`: 1. any deny gives deny; 2. otherwise any conditional allow gives allow-if,
    carrying the conditions of every such statement (merged: every obligation,
    the earliest expiry); 3. otherwise an unconditional allow gives allow;
    4. otherwise unknown. Error entries never count as allow. With ``now``, a
    permission whose conditions expired by then counts as unknown (:func:`expire`).
    All evidence is kept, in the order given. Used per purpose by the signal
    readers, across sources by :meth:`Preferences.effective`, and across matched
    works and signals by the scanner's decide step.
    """
    ev = tuple(evidence) if now is None else tuple(expire(e, now) for e in evidence)
    use = max((e.use for e in ev if e.error is None), key=lambda u: u.restrictiveness, default=Use.UNKNOWN)
    merged = Conditions()
    if use is Use.ALLOW_IF:
        for e in ev:
            if e.error is None and e.use is Use.ALLOW_IF:
                merged = merged.merge(e.conditions)
    return Rule(use, merged, ev)
