"""RAG context filter: drop retrieved documents whose owners refuse ``ai-input``.

Each document is judged by everything known about it, and the most restrictive statement wins:

* its **content**: the text's MinHash passages (and sha256 of its UTF-8 bytes) are looked up in
  the registry in one batch; every matched work's effective rule for the purpose counts;
* its **URL**: works that name it as a source URL (exact or in normal form, see
  :mod:`mediamanager.urlnorm`) match by ``url``, in the same lookup;
* its **captured signals**: HTTP headers and the HTML ``<head>`` that came with the document,
  read by :func:`mediamanager.signals.read_signals` with the document's URL as location.

A document nobody has spoken about is *unknown*,
which is never permission: it follows ``unknown`` (default: drop). A registry that cannot be
reached raises :class:`~mediamanager.errors.RegistryUnavailableError` from the lookup;
nothing is passed through on a failure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mediamanager.errors import InputError
from mediamanager.fingerprint.text import TextSketch, sketch_batch
from mediamanager.guard.policy import Action, combine, parse_action, parse_purpose
from mediamanager.lookup import LookupQuery, RegistryClient, WorkMatch
from mediamanager.model import Conditions, MediaType, Purpose, Rule, Use

__all__ = ["ContextDecision", "GuardDoc", "filter_context", "judge_context"]


@dataclass(frozen=True)
class GuardDoc:
    """One retrieved document: text, URL or both, with the signals captured beside it."""

    text: str | None = None
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    html_head: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GuardDoc:
        if not isinstance(data, Mapping):
            raise InputError(f"a document must be an object, got {type(data).__name__}")
        text, url, head = data.get("text"), data.get("url"), data.get("html_head")
        for name, value in (("text", text), ("url", url), ("html_head", head)):
            if value is not None and not isinstance(value, str):
                raise InputError(f"document field {name!r} must be a string")
        if not text and not url:
            raise InputError("a document needs a text, a url or both")
        raw = data.get("headers") or {}
        items = raw.items() if isinstance(raw, Mapping) else raw
        try:
            headers = tuple((str(k).strip().lower(), str(v)) for k, v in items)
        except (TypeError, ValueError):
            raise InputError("document headers must be an object or a list of [name, value] pairs") from None
        meta = data.get("metadata") or {}
        if not isinstance(meta, Mapping):
            raise InputError("document metadata must be an object")
        return cls(text or None, url or None, headers, head, dict(meta))


@dataclass(frozen=True)
class ContextDecision:
    """What the filter did with one document, and why."""

    index: int
    action: Action  # KEEP or DROP
    rule: Rule
    works: tuple[WorkMatch, ...] = ()
    reason: str = ""

    @property
    def conditions(self) -> Conditions:
        return self.rule.conditions

    def attribution(self) -> str | None:
        """The credit line to cite when an owner asks for attribution."""
        if not self.rule.conditions.attribution:
            return None
        credits = [f"{w.title or w.work_id} by {w.owner_name or w.owner_id}" for w in self.works]
        return "; ".join(dict.fromkeys(credits)) or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "action": self.action.value,
            "use": self.rule.use.value,
            "conditions": None if self.rule.conditions.is_empty() else self.rule.conditions.to_dict(),
            "attribution": self.attribution(),
            "works": [
                {
                    "work_id": w.work_id,
                    "title": w.title,
                    "owner_id": w.owner_id,
                    "owner_name": w.owner_name,
                    "score": w.score,
                }
                for w in self.works
            ],
            "reason": self.reason,
        }


def _signal_rule(doc: GuardDoc, purpose: Purpose) -> Rule | None:
    if not doc.headers and not doc.html_head:
        return None
    from mediamanager.signals import Capture, read_signals

    prefs = read_signals(Capture(url=doc.url, headers=doc.headers, html_head=doc.html_head))
    rule = prefs.effective(purpose)
    if prefs.errors and rule.use is Use.UNKNOWN:
        return Rule(Use.UNKNOWN, Conditions(), prefs.errors)
    return rule


def judge_context(
    docs: Sequence[GuardDoc],
    client: RegistryClient,
    *,
    purpose: str | Purpose = Purpose.AI_INPUT,
    unknown: str | Action = Action.DROP,
) -> list[ContextDecision]:
    """One decision per document, in order (see the module docstring)."""
    purpose = parse_purpose(purpose)
    unknown_action = parse_action(unknown, (Action.DROP, Action.KEEP), "the unknown policy")
    texts = [d.text or "" for d in docs]
    batch = sketch_batch(texts)
    fps: list[list[Any]] = [[] for _ in docs]
    for row, doc_no in enumerate(batch.docs.tolist()):
        sketch = TextSketch(batch.signatures[row], int(batch.sizes[row]), int(batch.parts[row]))
        fps[doc_no].append(sketch.to_fingerprint())
    queries = [
        LookupQuery(
            str(i),
            hashlib.sha256(t.encode("utf-8")).hexdigest() if t else None,
            MediaType.TEXT if t else None,
            tuple(f),
            url=doc.url,
        )
        for i, (doc, t, f) in enumerate(zip(docs, texts, fps, strict=True))
        if t or doc.url
    ]
    results = {r.item_id: r for r in client.lookup(queries)} if queries else {}
    out: list[ContextDecision] = []
    for i, doc in enumerate(docs):
        found = results.get(str(i))
        works = found.matches if found else ()
        rules = [w.preferences.effective(purpose) for w in works]
        signal = _signal_rule(doc, purpose)
        if signal is not None:
            rules.append(signal)
        rule = combine(rules)
        if rule.use is Use.DENY:
            action, why = Action.DROP, f"{purpose.value} denied"
        elif rule.use in (Use.ALLOW, Use.ALLOW_IF):
            action, why = Action.KEEP, f"{purpose.value} {rule.use.value}"
        else:
            action, why = unknown_action, f"{purpose.value} unknown (policy: {unknown_action.value})"
        out.append(ContextDecision(i, action, rule, tuple(works), why))
    return out


def filter_context(
    docs: Iterable[GuardDoc | Mapping[str, Any] | str],
    client: RegistryClient,
    *,
    purpose: str | Purpose = Purpose.AI_INPUT,
    unknown: str | Action = Action.DROP,
) -> list[tuple[GuardDoc, ContextDecision]]:
    """The documents that may enter the context, each with its decision (conditions to honour).

    A plain string is a document's text; a mapping is read by :meth:`GuardDoc.from_dict`.
    """
    items = [
        d if isinstance(d, GuardDoc) else GuardDoc(text=d) if isinstance(d, str) else GuardDoc.from_dict(d)
        for d in docs
    ]
    decisions = judge_context(items, client, purpose=purpose, unknown=unknown)
    return [(d, dec) for d, dec in zip(items, decisions, strict=True) if dec.action is Action.KEEP]
