"""Step: combine registry matches and signals for the declared purpose into one decision per record.

The combine rule is the architecture's: any deny wins; then allow-if (every
condition kept); then allow; then unknown, which the ``--unknown`` policy turns
into drop (the default) or keep. A record that could not be read or checked is
an ``error``, never a silent keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime

from mediamanager.lookup import WorkMatch
from mediamanager.model import Conditions, Decision, Evidence, Match, Outcome, Preferences, Purpose, Rule, Use
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext

__all__ = ["combine_sources", "decide", "decide_records", "deciding_source"]

_OUTCOME = {Use.DENY: Outcome.DROP, Use.ALLOW_IF: Outcome.LICENSE, Use.ALLOW: Outcome.KEEP}


def combine_sources(rules: Iterable[Rule]) -> Rule:
    """The most restrictive of several already-combined rules, keeping every rule's evidence."""
    rules = list(rules)
    evidence = tuple(e for r in rules for e in r.evidence)
    if not rules:
        return Rule()
    top = max(r.use.restrictiveness for r in rules)
    use = next(r.use for r in rules if r.use.restrictiveness == top)
    conditions = Conditions()
    if use is Use.ALLOW_IF:
        for r in rules:
            if r.use is Use.ALLOW_IF:
                conditions = conditions.merge(r.conditions)
    return Rule(use, conditions, evidence)


def _match_rule(m: WorkMatch, purpose: Purpose, location: str, when: datetime) -> Rule:
    """A registered work's effective rule, with the match itself as the first piece of evidence."""
    rule = m.preferences.effective(purpose)
    detail = f"{m.kind} match, score {m.score:.3f}" + (", disputed" if m.disputed else "")
    ev = Evidence(
        source="registry",
        raw=f"work {m.work_id} ({m.title}) owned by {m.owner_name or m.owner_id}",
        location=location,
        purpose=purpose,
        use=rule.use,
        conditions=rule.conditions,
        observed_at=when,
        detail=detail,
    )
    return Rule(rule.use, rule.conditions, (ev, *rule.evidence))


def deciding_source(rule: Rule) -> str:
    """Which source decided: ``registry`` when a work did, else the first evidence with the winning use."""
    for ev in rule.evidence:
        if ev.error is None and ev.use is rule.use:
            return ev.source
    return "none"


def decide(
    purpose: Purpose,
    matches: tuple[WorkMatch, ...],
    signals: Preferences | None,
    *,
    unknown: str,
    registry_location: str,
    when: datetime,
    item_id: str,
) -> Decision:
    """The decision for one readable item."""
    sources = [_match_rule(m, purpose, registry_location, when) for m in matches]
    if signals is not None:
        sources.append(signals.effective(purpose))
        errors = signals.errors
    else:
        errors = ()
    rule = combine_sources(sources)
    if errors:
        rule = Rule(rule.use, rule.conditions, rule.evidence + tuple(errors))
    reasons: list[str] = []
    if rule.use is Use.UNKNOWN:
        outcome = Outcome.KEEP if unknown == "keep" else Outcome.DROP
        reasons.append(f"unknown: nothing states a use for {purpose.value}; policy --unknown {unknown}")
    else:
        outcome = _OUTCOME[rule.use]
        source = deciding_source(rule)
        reasons.append(f"{rule.use.value}:{source}")
    for ev in rule.evidence:
        if ev.error is not None:
            reasons.append(f"unreadable signal {ev.source} at {ev.location}: {ev.error}")
        elif ev.use is not Use.UNKNOWN:
            where = f" ({ev.detail})" if ev.detail else ""
            reasons.append(
                f"{ev.source} says {ev.use.value} for {(ev.purpose or purpose).value}: {ev.raw}{where}"
            )
    if rule.use is Use.ALLOW_IF:
        reasons.append(f"conditions: {rule.conditions.describe()}")
    for m in matches:
        if m.disputed:
            claim = ", ".join(m.claimants) or "another claimant"
            reasons.append(f"registry match {m.work_id} is disputed by {claim}")
    return Decision(
        item_id=item_id,
        outcome=outcome,
        purpose=purpose,
        reasons=tuple(reasons),
        rule=rule,
        matches=tuple(Match(m.work_id, m.score, m.kind) for m in matches),
    )


def decide_records(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Set ``decision`` on every record: error rows for unreadable items, combined rules for the rest.

    Records without registry matches that share one signals object (the signals step reads
    each distinct capture once) share one decided rule too: it is combined once per batch.
    """
    cfg = ctx.config
    location = cfg.registry
    shared: dict[int, tuple[Preferences, Decision]] = {}
    for rec in records:
        if rec.error is not None:
            rec.decision = Decision(rec.id, Outcome.ERROR, cfg.purpose, (f"error: {rec.error}",), Rule(), ())
            yield rec
            continue
        hit = shared.get(id(rec.signals)) if not rec.matches and rec.signals is not None else None
        if hit is not None and hit[0] is rec.signals:
            rec.decision = replace(hit[1], item_id=rec.id)
            yield rec
            continue
        rec.decision = decide(
            cfg.purpose,
            rec.matches,
            rec.signals,
            unknown=cfg.unknown,
            registry_location=location,
            when=cfg.scan_time,
            item_id=rec.id,
        )
        if not rec.matches and rec.signals is not None:
            shared[id(rec.signals)] = (rec.signals, rec.decision)
        yield rec
