"""RSL 1.0: licence terms become conditions; discovery via robots.txt, Link and HTML."""

from __future__ import annotations

from decimal import Decimal

from mediamanager.model import Payment, PaymentModel, Purpose, Use
from mediamanager.signals import parse_rsl, preferences_from
from mediamanager.signals.rsl import (
    licence_links_from_headers,
    licence_links_from_html,
    licence_links_from_robots,
)

GUIDE_EXAMPLE = """<rsl xmlns="https://rslstandard.org/rsl">
  <content url="/">
    <license>
      <permits type="usage">train-ai</permits>
      <payment type="subscription">
        <custom>https://your-website.com/contact-form.html</custom>
      </payment>
    </license>
  </content>
</rsl>"""

PROHIBIT_AI = """<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>
<prohibits type="usage">ai-all</prohibits></license></content></rsl>"""

PER_CRAWL = """<rsl xmlns="https://rslstandard.org/rsl">
  <content url="/articles/*" server="https://licence.example/olp">
    <license>
      <permits type="usage">ai-input search</permits>
      <permits type="user">non-commercial</permits>
      <payment type="crawl"><amount currency="usd">0.001</amount></payment>
    </license>
  </content>
  <content url="/free/*"><license><permits type="usage">all</permits><payment type="free"/></license></content>
</rsl>"""


def test_guide_example_payment_becomes_allow_if() -> None:
    rule = preferences_from(parse_rsl(GUIDE_EXAMPLE, content_url="https://your-website.com/a")).stated(
        Purpose.GENAI_TRAIN
    )
    assert rule.use is Use.ALLOW_IF
    assert rule.conditions.payment == Payment(
        PaymentModel.SUBSCRIPTION, url="https://your-website.com/contact-form.html"
    )


def test_prohibits_ai_all() -> None:
    assert preferences_from(parse_rsl(PROHIBIT_AI)).simple() == {"ai-input": "deny", "ai-train": "deny"}


def test_content_url_matching_server_and_user_restrictions() -> None:
    prefs = preferences_from(parse_rsl(PER_CRAWL, content_url="https://news.example/articles/1"))
    rule = prefs.stated(Purpose.AI_INPUT)
    assert rule.use is Use.ALLOW_IF
    assert rule.conditions.payment == Payment(PaymentModel.PER_CRAWL, Decimal("0.001"), "USD")
    assert rule.conditions.licence_url == "https://licence.example/olp"
    assert "non-commercial" in (rule.conditions.note or "")
    assert preferences_from(parse_rsl(PER_CRAWL, content_url="https://news.example/free/x")).simple() == {
        "tdm": "allow"
    }
    assert parse_rsl(PER_CRAWL, content_url="https://news.example/other") == []


def test_broken_and_hostile_rsl_are_errors() -> None:
    for doc in ("<rsl", "<notrsl/>", '<!DOCTYPE r [<!ENTITY a "aaaa">]><rsl>&a;</rsl>', b"\xff\x00"):
        ev = parse_rsl(doc)
        assert len(ev) == 1 and ev[0].error, doc


def test_discovery() -> None:
    assert licence_links_from_robots("License: https://a/l.xml\nUser-agent: *\n") == ["https://a/l.xml"]
    headers = [
        (
            "link",
            '<https://a/l.xml>; rel="license"; type="application/rsl+xml", <https://a/s>; rel=stylesheet',
        )
    ]
    assert licence_links_from_headers(headers) == ["https://a/l.xml"]
    html = '<head><link rel="license" type="application/rsl+xml" href="https://a/l.xml"><link rel=icon href=x></head>'
    assert licence_links_from_html(html) == ["https://a/l.xml"]
