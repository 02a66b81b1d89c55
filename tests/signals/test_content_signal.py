"""Cloudflare Content-Signal lines and Spawning ai.txt."""

from __future__ import annotations

from mediamanager.model import parse_preference_spec
from mediamanager.signals import (
    emit_ai_txt,
    emit_content_signal,
    parse_ai_txt,
    parse_content_signal,
    preferences_from,
)


def test_content_signal_case_and_spacing_variants() -> None:
    assert preferences_from(parse_content_signal("search=yes,ai-train=no,use=reference")).simple() == {
        "ai-train": "deny",
        "search": "allow",
    }
    assert preferences_from(parse_content_signal(" Search = YES , AI-Input=No ")).simple() == {
        "ai-input": "deny",
        "search": "allow",
    }


def test_content_signal_use_level_is_kept_but_is_not_permission() -> None:
    ev = parse_content_signal("use=reference")
    assert len(ev) == 1 and ev[0].purpose is None and "reference" in (ev[0].detail or "")


def test_content_signal_malformed_pairs_are_errors() -> None:
    ev = parse_content_signal("search, ai-train=maybe")
    assert ev[0].error and ev[1].detail and preferences_from(ev).simple() == {}


def test_emit_content_signal() -> None:
    assert emit_content_signal(parse_preference_spec("tdm=deny,search=allow")) == "search=yes, ai-train=no"


SPAWNING_BLOCK_ALL = "# Spawning AI\n# Prevent datasets from using the following file types\n\nUser-Agent: *\nDisallow: /\nDisallow: *\n"


def test_ai_txt_block_everything_file() -> None:
    prefs = preferences_from(parse_ai_txt(SPAWNING_BLOCK_ALL, url="https://x/img/a.png"))
    assert prefs.simple() == {"ai-train": "deny"}


def test_ai_txt_extension_rules() -> None:
    text = "User-Agent: *\nAllow: *.txt\nDisallow: *.png\nDisallow: *.jpg\nAllow: /\n"
    assert preferences_from(parse_ai_txt(text, url="https://x/a/b.png")).simple() == {"ai-train": "deny"}
    assert preferences_from(parse_ai_txt(text, url="https://x/a/b.txt")).simple() == {"ai-train": "allow"}
    assert (
        preferences_from(parse_ai_txt("User-Agent: *\nDisallow: *.png\n", url="https://x/a.mp3")).simple()
        == {}
    )


def test_emit_ai_txt() -> None:
    assert emit_ai_txt(parse_preference_spec("ai-train=deny")) == SPAWNING_BLOCK_ALL
    assert "Allow: /" in emit_ai_txt(parse_preference_spec("tdm=allow"))
