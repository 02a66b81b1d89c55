"""Style/name gate: name variants found, real prompts left alone, actions from the creators' statements."""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Any

import pytest

from mediamanager.errors import InputError
from mediamanager.guard import Action, NamesTable, gate_prompt

LOCALES = ["en_US", "fr_FR", "de_DE", "cs_CZ", "es_ES", "pl_PL", "ru_RU", "el_GR", "ja_JP", "zh_CN"]


@pytest.fixture(scope="module")
def creators() -> list[dict[str, Any]]:
    from faker import Faker

    out, seen = [], set()
    for loc in LOCALES:
        fake = Faker(loc)
        fake.seed_instance(7)
        for _ in range(2000):
            name = f"{fake.first_name()} {fake.last_name()}" if loc not in ("ja_JP", "zh_CN") else fake.name()
            if name not in seen:
                seen.add(name)
                out.append({"owner_id": f"o{len(out)}", "name": name, "style": "refuse", "locale": loc})
    return out


@pytest.fixture(scope="module")
def table(creators: list[dict[str, Any]]) -> NamesTable:
    return NamesTable.from_records(creators)


def _typo(name: str, rng: random.Random) -> str:
    """One substituted letter inside the longest word (what a hurried writer does)."""
    word = max(name.split(), key=len)
    i = rng.randrange(1, len(word) - 1)
    new = word[:i] + ("x" if word[i].lower() != "x" else "z") + word[i + 1 :]
    return name.replace(word, new, 1)


def _strip_accents(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def test_name_variants_are_found(table: NamesTable, creators: list[dict[str, Any]]) -> None:
    from anyascii import anyascii

    rng = random.Random(5)
    latin = [c for c in creators if c["locale"] not in ("ru_RU", "el_GR", "ja_JP", "zh_CN")]
    other = [c for c in creators if c["locale"] in ("ru_RU", "el_GR", "ja_JP", "zh_CN")]
    cases: list[tuple[str, str]] = []
    for c in rng.sample(latin, 100):
        n = c["name"]
        cases += [
            (c["owner_id"], v) for v in (n.upper(), n.lower(), n + "'s", _strip_accents(n), n + "\u2019s")
        ]
        if len(n.replace(" ", "")) >= 8 and max(map(len, n.split())) >= 6:  # the gate's fuzzy rule
            cases.append((c["owner_id"], _typo(n, rng)))
    for c in rng.sample(other, 100):
        cases += [(c["owner_id"], c["name"]), (c["owner_id"], anyascii(c["name"]))]
    found = 0
    missed = []
    for owner, variant in cases:
        result = gate_prompt(f"Write a short story in the style of {variant}, please.", table)
        ok = result.action is Action.REFUSE and owner in {h.creator.owner_id for h in result.hits}
        found += ok
        if not ok:
            missed.append(variant)
    assert (found, len(cases)) == (787, 787), missed[:10]


def test_real_prompts_naming_no_creator_are_not_gated(
    table: NamesTable, creators: list[dict[str, Any]], mails: list[dict[str, Any]]
) -> None:
    sentences = []
    for m in mails[:3000]:
        body = m["text"].split("\n\n", 1)[-1]
        sentences += [s.strip() for s in re.split(r"(?<=[.!?])\s+", body) if 30 <= len(s.strip()) <= 300]
    prompts = sentences[:5000]
    names = {" ".join(re.findall(r"[^\W_]+", c["name"].casefold())) for c in creators}
    false = 0
    for p in prompts:
        result = gate_prompt(p, table)
        plain = " ".join(re.findall(r"[^\W_]+", p.casefold()))
        for h in result.hits:
            false += " ".join(re.findall(r"[^\W_]+", h.creator.name.casefold())) not in plain
    assert len(prompts) == 5000 and len(names) > 15000
    assert false == 0  # the goal allows 5 (0.1 % of 5,000 prompts)


def test_actions_follow_the_statement_and_rewrite_keeps_the_rest() -> None:
    table = NamesTable.from_records([
        {"owner_id": "a", "name": "Marguerite Yourcenar", "style": "refuse"},
        {"owner_id": "b", "name": "Pyotr Tchaikovsky", "aliases": ["Пётр Чайковский", "Tchaikovsky"],
         "style": "rewrite", "description": "a Romantic-era composer"},
        {"owner_id": "c", "name": "村上春樹", "aliases": ["Haruki Murakami"], "style": "rewrite",
         "description": "a contemporary novelist"},
        {"owner_id": "d", "name": "Banksy", "style": "allow"},
        {"owner_id": "e", "name": "Hildegard Bingen"},
    ])  # fmt: skip
    r = gate_prompt("A waltz like Tchaikovski's, for piano", table)
    assert (r.action, r.rewritten) == (Action.REWRITE, "A waltz like a Romantic-era composer, for piano")
    r = gate_prompt("Пётр Чайковский и балет", table)
    assert (r.action, r.rewritten) == (Action.REWRITE, "a Romantic-era composer и балет")
    r = gate_prompt("村上春樹の小説のように", table)
    assert (r.action, r.rewritten) == (Action.REWRITE, "a contemporary novelistの小説のように")
    r = gate_prompt("in the manner of MARGUERITE YOURCENAR", table)
    assert r.action is Action.REFUSE and r.rewritten is None
    assert [(h.creator.owner_id, h.matched, h.edits) for h in r.hits] == [("a", "MARGUERITE YOURCENAR", 0)]
    r = gate_prompt("a mural like banksy", table)
    assert r.action is Action.ALLOW and r.hits[0].creator.owner_id == "d"
    assert gate_prompt("the banks are closed", table).hits == ()
    # Said nothing: the stated unknown policy applies (default rewrite, here refuse).
    assert gate_prompt("chants of Hildegard Bingen", table).action is Action.REWRITE
    assert gate_prompt("chants of Hildegard Bingen", table, unknown="refuse").action is Action.REFUSE


def test_bad_tables_are_refused() -> None:
    with pytest.raises(InputError, match="has no name"):
        NamesTable.from_records([{"owner_id": "x"}])
    with pytest.raises(InputError, match="style preference"):
        NamesTable.from_records([{"owner_id": "x", "name": "A B", "style": "maybe"}])
    with pytest.raises(InputError, match="aliases"):
        NamesTable.from_records([{"owner_id": "x", "name": "A B", "aliases": "A"}])
