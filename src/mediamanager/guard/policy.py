"""What a guard does with one owner preference: the table every guard shares.

A guard answers for one purpose (``ai-input`` by default: putting a work into a model's
context or output at inference time). The owner's *effective* rule for that purpose decides
the action; *unknown is never permission*, so an unknown rule takes the caller's stated
``unknown`` policy, whose default is the restrictive one.

=============  ===================  =======================  ======================
rule           context (RAG)        output (regurgitation)   prompt (style/name)
=============  ===================  =======================  ======================
deny           drop                 block (or redact)        refuse (or rewrite)
allow-if       keep + conditions    cite (attribution) /     allow (conditions shown)
                                    block (other conditions)
allow          keep                 allow                    allow
unknown        ``unknown`` policy   ``unknown`` policy       ``unknown`` policy
=============  ===================  =======================  ======================
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from mediamanager.errors import InputError
from mediamanager.model import Conditions, Purpose, Rule, Use

__all__ = ["Action", "combine", "output_action", "parse_action", "parse_purpose"]


class Action(StrEnum):
    """What a guard does with a document, an output span or a prompt."""

    KEEP = "keep"
    DROP = "drop"
    ALLOW = "allow"
    CITE = "cite"
    BLOCK = "block"
    REDACT = "redact"
    REWRITE = "rewrite"
    REFUSE = "refuse"


def parse_action(value: str | Action, allowed: Iterable[Action], what: str) -> Action:
    """``value`` as one of ``allowed``, or a clear :class:`InputError` naming the choices."""
    choices = tuple(allowed)
    try:
        action = Action(str(value).strip().lower())
    except ValueError:
        action = None
    if action not in choices:
        names = ", ".join(a.value for a in choices)
        raise InputError(f"{what} must be one of {names}, got {value!r}")
    return action


def parse_purpose(value: str | Purpose) -> Purpose:
    return value if isinstance(value, Purpose) else Purpose.parse(value)


def combine(rules: Iterable[Rule]) -> Rule:
    """The most restrictive of ``rules`` (deny > allow-if > allow > unknown); conditions of
    every allow-if at the winning level are merged, evidence of all is kept."""
    rules = list(rules)
    if not rules:
        return Rule()
    top = max(r.use.restrictiveness for r in rules)
    winners = [r for r in rules if r.use.restrictiveness == top]
    cond = Conditions()
    for r in winners:
        cond = cond.merge(r.conditions)
    evidence = tuple(dict.fromkeys(e for r in rules for e in r.evidence))
    return Rule(winners[0].use, cond if winners[0].use is Use.ALLOW_IF else Conditions(), evidence)


def output_action(rule: Rule, *, deny: Action, unknown: Action) -> Action:
    """The action for a reproduced span whose owner's effective rule is ``rule``.

    allow-if with attribution only is met by citing; any other condition (payment, a licence
    to accept) cannot be met inside one answer, so the span is treated like a deny.
    """
    if rule.use is Use.DENY:
        return deny
    if rule.use is Use.ALLOW:
        return Action.ALLOW
    if rule.use is Use.ALLOW_IF:
        c = rule.conditions
        only_attribution = c.attribution and c.payment is None and not c.licence_url
        return Action.CITE if only_attribution else deny
    return unknown
