"""aipref Content-Usage: the draft's worked examples, RFC 9651 vectors through http-sf, the robots.txt rule."""

from __future__ import annotations

import http_sf
import pytest

from mediamanager.model import Purpose, Use, parse_preference_spec
from mediamanager.signals import emit_content_usage, parse_content_usage, parse_robots_txt, preferences_from


def _simple(value: str) -> dict[str, str]:
    return preferences_from(parse_content_usage(value)).simple()


# draft-ietf-aipref-vocab-07 §"Processing" worked examples.
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("train-ai=y, search=n", {"genai-train": "allow", "search": "deny"}),
        ('train-ai=y, train-ai, search=n, search="n"', {}),  # last wins: a Boolean and a String: unknown
        ("train-ai;allow=n, train-ai=y", {"genai-train": "allow"}),  # parameters ignored, last wins
        ('train-ai;has;parameters="?";', {}),  # not a valid dictionary: everything unknown
        ("Train-AI=n", {}),  # upper-case keys make the parse fail
        ("unknown-label=n, search=y", {"search": "allow"}),  # unknown labels are ignored
        ("train-ai=yes", {}),  # only the tokens y and n mean anything
        ("ai-use=n;exceptions=cc-cr", {"ai-input": "deny"}),  # CC signals (-02 label) still read
    ],
)
def test_draft_worked_examples(value: str, expected: dict[str, str]) -> None:
    assert _simple(value) == expected


def test_parse_failure_is_an_error_entry_never_allow() -> None:
    evidence = parse_content_usage('train-ai;has;parameters="?";')
    assert len(evidence) == 1 and evidence[0].error
    assert preferences_from(evidence).effective(Purpose.GENAI_TRAIN).use is Use.UNKNOWN


# A selection of RFC 9651 dictionary vectors (httpwg structured-field-tests, dictionary.json), re-expressed:
# (input, parses?, canonical serialisation).
SF_VECTORS = [
    ('en="Applepie", da=:w4ZibGV0w6ZydGUK:', True, 'en="Applepie", da=:w4ZibGV0w6ZydGUK:'),
    ("a=1, b=2", True, "a=1, b=2"),
    ("a=1 ,  b=2", True, "a=1, b=2"),
    ("a=1\t,\tb=2", True, "a=1, b=2"),
    ("a, b;foo=9, c=3", True, "a, b;foo=9, c=3"),
    ("a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid", True, "a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid"),
    ("a=1,b=2", True, "a=1, b=2"),
    ("a=1, b=2, a=3", True, "a=3, b=2"),  # duplicate key: last value, first position
    ("a=1,", False, None),
    ("a=1, ,b=2", False, None),
    ("a=1 b=2", False, None),
    ("A=1", False, None),
    ("", True, None),  # an empty field parses to an empty dictionary (and is not serialised)
]


@pytest.mark.parametrize(("value", "ok", "canonical"), SF_VECTORS)
def test_structured_field_dictionary_vectors_via_http_sf(value: str, ok: bool, canonical: str | None) -> None:
    if not ok:
        with pytest.raises(http_sf.StructuredFieldError):
            http_sf.parse(value.encode(), tltype="dictionary")
        assert all(e.error for e in parse_content_usage(value)) and parse_content_usage(value)
        return
    parsed = http_sf.parse(value.encode(), tltype="dictionary")
    if canonical is None:
        assert parsed == {} and parse_content_usage(value) == []
        return
    assert http_sf.ser(parsed) == canonical


def test_robots_txt_content_usage_rule_table_from_the_attach_draft() -> None:
    robots = (
        "User-Agent: *\nAllow: /\nDisallow: /never/\nContent-Usage: train-ai=n\nContent-Usage: /ai-ok/ train-ai=y\n\n"
        "User-Agent: ExampleBot\nAllow: /\nContent-Usage: train-ai=y\n"
    )

    def usage(path: str, agent: str | None = None) -> dict[str, str]:
        ev = [
            e
            for e in parse_robots_txt(robots, url=f"https://x{path}", user_agent=agent, agents=[])
            if "content-usage" in e.source
        ]
        return preferences_from(ev).simple()

    assert usage("/test") == {"genai-train": "deny"}
    assert usage("/ai-ok/test") == {"genai-train": "allow"}
    assert usage("/test", "ExampleBot") == {"genai-train": "allow"}


def test_identical_paths_combine_most_restrictively() -> None:
    robots = "User-Agent: *\nContent-Usage: /a/ train-ai=y\nContent-Usage: /a/ train-ai=n\n"
    ev = parse_robots_txt(robots, url="https://x/a/b", agents=[])
    assert preferences_from(ev).simple() == {"genai-train": "deny"}


def test_emit_uses_effective_rules_and_allow_if_reads_as_no() -> None:
    assert emit_content_usage(parse_preference_spec("tdm=deny,search=allow")) == "train-ai=n, search=y"
    assert emit_content_usage(parse_preference_spec("genai-train=allow-if:attribution")) == "train-ai=n"
    assert emit_content_usage(parse_preference_spec("ai-input=deny")) == ""
