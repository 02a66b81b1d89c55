"""``mediamanager signals read`` and ``mediamanager signals robots`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mediamanager.cli.main import app

runner = CliRunner()


def test_signals_read_json(tmp_path: Path) -> None:
    content = tmp_path / "page.txt"
    content.write_text("hello")
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: GPTBot\nDisallow: /private/\nUser-agent: *\nContent-Usage: search=y\n")
    headers = tmp_path / "headers.txt"
    headers.write_text("HTTP/1.1 200 OK\nContent-Type: text/plain\ntdm-reservation: 1\n")
    html = tmp_path / "page.html"
    html.write_text('<head><meta name="robots" content="noimageai"></head>')
    result = runner.invoke(
        app,
        [
            "signals",
            "read",
            str(content),
            "--url",
            "https://x/private/a",
            "--robots",
            str(robots),
            "--headers",
            str(headers),
            "--html",
            str(html),
            "--user-agent",
            "SomeBot",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["effective"] == {
        "tdm": "deny",
        "ai-train": "deny",
        "genai-train": "deny",
        "ai-input": "unknown",
        "search": "allow",
    }
    assert {e["source"] for e in out["evidence"]} >= {"robots.txt", "tdm header", "meta robots"}
    assert out["preferences"]["rules"]["ai-train"]["use"] == "deny"


def test_signals_read_text_output_and_rsl_option(tmp_path: Path) -> None:
    content = tmp_path / "a.txt"
    content.write_text("x")
    rsl = tmp_path / "l.xml"
    rsl.write_text(
        '<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>'
        '<prohibits type="usage">search</prohibits></license></content></rsl>'
    )
    result = runner.invoke(app, ["signals", "read", str(content), "--rsl", f"https://x/l.xml={rsl}"])
    assert result.exit_code == 0, result.output
    assert "search       deny" in result.output
    bad = runner.invoke(app, ["signals", "read", str(content), "--rsl", "nofile"])
    assert bad.exit_code == 2


def test_signals_robots_exit_codes(tmp_path: Path) -> None:
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: GPTBot\nDisallow: /private/\n")
    ok = runner.invoke(app, ["signals", "robots", str(robots), "--user-agent", "GPTBot", "https://x/public"])
    assert ok.exit_code == 0 and ok.output == "allowed\thttps://x/public\n"
    denied = runner.invoke(
        app,
        [
            "signals",
            "robots",
            str(robots),
            "--user-agent",
            "GPTBot",
            "https://x/public",
            "https://x/private/a",
        ],
    )
    assert denied.exit_code == 1
    assert "disallowed\thttps://x/private/a" in denied.output
    missing = runner.invoke(
        app, ["signals", "robots", str(tmp_path / "nope"), "--user-agent", "x", "https://x/"]
    )
    assert missing.exit_code == 2


def test_signals_help_has_examples() -> None:
    for cmd in (["signals", "read", "--help"], ["signals", "robots", "--help"]):
        result = runner.invoke(app, cmd)
        assert result.exit_code == 0 and "Example:" in result.output


def test_signals_read_without_a_file(tmp_path: Path, test_data: Path) -> None:
    """Headers and robots.txt only: FILE is optional (the real ai-robots-txt robots.txt disallows GPTBot)."""
    headers = tmp_path / "headers.txt"
    headers.write_text("HTTP/1.1 200 OK\nContent-Usage: search=y\n")
    robots = test_data / "ai-robots-txt" / "robots.txt"
    result = runner.invoke(
        app,
        ["signals", "read", "--url", "https://x/a", "--headers", str(headers), "--robots", str(robots),
         "--user-agent", "GPTBot", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["effective"]["genai-train"] == "deny"
    assert {(e["source"], e["purpose"], e["use"]) for e in out["evidence"]} >= {
        ("Content-Usage", "search", "allow"),
        ("robots.txt", "genai-train", "deny"),
    }
    nothing = runner.invoke(app, ["signals", "read", "--url", "https://x/a"])
    assert nothing.exit_code == 2 and "give FILE or at least one of" in nothing.output
