"""read_signals: every web signal of a Capture plus embedded ones, combined most-restrictively."""

from __future__ import annotations

from pathlib import Path

from mediamanager.model import Purpose, Use
from mediamanager.signals import Capture, collect_signals, read_signals

RSL = """<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>
<permits type="usage">ai-input</permits><payment type="use"><amount currency="EUR">0.01</amount></payment>
</license></content></rsl>"""


def _capture(**kw: object) -> Capture:
    base: dict[str, object] = {"url": "https://news.example/articles/1"}
    base.update(kw)
    return Capture(**base)  # type: ignore[arg-type]


def test_empty_capture_is_all_unknown_never_allow() -> None:
    prefs = read_signals(Capture())
    assert prefs.simple() == {} and prefs.errors == ()
    assert set(prefs.uses().values()) == {Use.UNKNOWN}


def test_every_web_source_is_read_and_the_most_restrictive_wins() -> None:
    capture = _capture(
        robots_txt="License: https://news.example/license.xml\nUser-agent: GPTBot\nDisallow: /\n"
        "User-agent: *\nContent-Signal: search=yes, ai-input=yes\n",
        ai_txt="User-Agent: *\nAllow: /\n",
        tdmrep_json='[{"location": "/articles/", "tdm-reservation": 0}]',
        headers=(("content-usage", "train-ai=n"), ("x-robots-tag", "noimageai")),
        html_head='<meta name="robots" content="noindex">',
        rsl_xml={"https://news.example/license.xml": RSL},
    )
    prefs = read_signals(capture)
    assert prefs.simple() == {
        "ai-input": "allow-if",  # Content-Signal yes, RSL per-use payment: conditions survive
        "ai-train": "deny",  # GPTBot group beats ai.txt's allow
        "genai-train": "deny",
        "search": "deny",  # noindex beats Content-Signal search=yes
        "tdm": "allow",
    }
    assert prefs.effective(Purpose.AI_INPUT).conditions.payment is not None
    sources = {e.source for _, r in prefs for e in r.evidence}
    assert {
        "robots.txt",
        "ai.txt",
        "tdmrep.json",
        "Content-Usage",
        "X-Robots-Tag",
        "meta robots",
        "rsl",
    } <= sources
    assert prefs.errors == ()


def test_nesting_is_only_applied_by_effective() -> None:
    prefs = read_signals(_capture(headers=(("tdm-reservation", "1"),)))
    assert prefs.simple() == {"tdm": "deny"}
    assert prefs.effective(Purpose.GENAI_TRAIN).use is Use.DENY


def test_declared_but_uncaptured_rsl_and_parse_failures_are_errors_never_allow() -> None:
    capture = _capture(
        robots_txt=b"License: https://x/l.xml\nUser-agent: *\nDisallow: /\xff\n",
        tdmrep_json="not json",
        headers=(("content-usage", "TRAIN-AI=y"),),
    )
    prefs = read_signals(capture)
    messages = " | ".join(e.error or "" for e in prefs.errors)
    assert "declared but not captured" in messages
    assert "not valid UTF-8" in messages
    assert "not valid JSON" in messages
    assert "structured-field" in messages
    assert Use.ALLOW not in prefs.uses().values()


def test_user_agent_scoped_signals() -> None:
    capture = _capture(
        headers=(("x-robots-tag", "mybot: noai"),), robots_txt="User-agent: mybot\nDisallow: /\n"
    )
    assert read_signals(capture).simple() == {}
    assert read_signals(capture, user_agent="mybot").simple() == {"ai-train": "deny"}


def test_embedded_signals_from_content_are_included(test_data: Path) -> None:
    content = (test_data / "datadiligence" / "sample_c2pa.png").read_bytes()
    evidence = collect_signals(Capture(content=content, filename="sample_c2pa.png"))
    prefs = read_signals(Capture(content=content, filename="sample_c2pa.png"))
    assert evidence, "the embedded reader (mediamanager.signals.embedded) found nothing in a C2PA file"
    assert prefs.effective(Purpose.GENAI_TRAIN).use is Use.DENY


def test_evidence_is_located_and_dated_by_the_capture() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    capture = _capture(
        robots_txt="User-agent: GPTBot\nDisallow: /\n", headers=(("x-robots-tag", "noai"),), fetched_at=when
    )
    evidence = collect_signals(capture)
    assert {e.location for e in evidence} == {
        "https://news.example/robots.txt",
        "http header of https://news.example/articles/1",
    }
    assert all(e.observed_at == when for e in evidence)


def test_an_html_pages_own_meta_tags_bind_it_when_no_head_was_captured() -> None:
    """A crawl that kept only the page bytes must still honour the page's own noai / tdm-reservation."""
    page = b'<!DOCTYPE html><html><head><meta name="robots" content="noai, noimageai"></head><body>x</body></html>'
    prefs = read_signals(Capture(url="https://news.example/a", content=page))
    assert prefs.effective(Purpose.GENAI_TRAIN).use is Use.DENY
    tdm = b'<html><head><meta name="tdm-reservation" content="1"></head><body>y</body></html>'
    assert read_signals(Capture(content=tdm, filename="a.html")).effective(Purpose.TDM).use is Use.DENY


def test_meta_tags_in_the_body_or_in_non_html_content_are_not_read_as_the_head() -> None:
    body_only = b'<html><head><title>t</title></head><body><meta name="robots" content="noai"></body></html>'
    assert read_signals(Capture(content=body_only)).effective(Purpose.AI_TRAIN).use is Use.UNKNOWN
    text = b'plain text mentioning <meta name="robots" content="noai">'
    assert (
        read_signals(Capture(content=text, filename="note.txt")).effective(Purpose.AI_TRAIN).use
        is Use.UNKNOWN
    )


def test_a_captured_head_takes_precedence_over_the_content() -> None:
    page = b'<html><head><meta name="robots" content="noai"></head></html>'
    captured = '<head><meta name="robots" content="index"></head>'
    prefs = read_signals(Capture(content=page, html_head=captured))
    assert prefs.effective(Purpose.AI_TRAIN).use is Use.UNKNOWN
