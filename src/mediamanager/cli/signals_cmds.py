"""``mediamanager signals ...``: read the AI-usage signals of a file, check a robots.txt."""

from __future__ import annotations

import json
from pathlib import Path

import typer

signals_app = typer.Typer(
    name="signals",
    help="Read and check AI-usage preference signals.\n\nExample: mediamanager signals read photo.jpg --json",
    no_args_is_help=True,
)

_MAX_SIDE_FILE = 8 * 1024 * 1024


def _read_side(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        with path.open("rb") as fh:
            return fh.read(_MAX_SIDE_FILE)
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {what} {path}: {exc}") from exc


def _parse_headers(data: bytes) -> list[tuple[str, str]]:
    """``Name: value`` lines (an optional ``HTTP/1.1 200 OK`` status line and folded lines are handled)."""
    out: list[tuple[str, str]] = []
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.strip() or line.upper().startswith("HTTP/"):
            continue
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        if sep and name.strip():
            out.append((name.strip(), value.strip()))
    return out


@signals_app.command("read")
def read_cmd(
    file: Path | None = typer.Argument(
        None,
        exists=True,
        dir_okay=False,
        help="The content file (its own bytes are read); optional when only web evidence is given.",
    ),
    url: str | None = typer.Option(None, "--url", help="The URL the file was fetched from."),
    headers: Path | None = typer.Option(
        None, "--headers", help="File of HTTP response headers (Name: value lines)."
    ),
    robots: Path | None = typer.Option(None, "--robots", help="The site's robots.txt."),
    html: Path | None = typer.Option(None, "--html", help="The HTML page (or its head) the item came from."),
    ai_txt: Path | None = typer.Option(None, "--ai-txt", help="The site's ai.txt."),
    tdmrep: Path | None = typer.Option(None, "--tdmrep", help="The site's /.well-known/tdmrep.json."),
    rsl: list[str] = typer.Option([], "--rsl", help="A fetched RSL licence as URL=FILE (repeatable)."),
    user_agent: str | None = typer.Option(None, "--user-agent", help="The reading crawler's user agent."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: preferences, effective uses, evidence."),
) -> None:
    """Print the combined AI-usage preferences of FILE and every piece of evidence behind them.

    FILE may be left out to read only web evidence (--headers, --robots, --html, --ai-txt,
    --tdmrep, --rsl); at least one source is required.

    Exit code 0 when the signals were read (errors in them are reported, not fatal), 2 on bad arguments.

    Example: mediamanager signals read page.html --url https://example.com/a --robots robots.txt --json
    """
    from mediamanager.model import Purpose
    from mediamanager.signals import Capture, collect_signals, preferences_from

    rsl_docs: dict[str, bytes] = {}
    for item in rsl:
        link, sep, path = item.rpartition("=")
        if not sep or not link:
            raise typer.BadParameter(f"--rsl expects URL=FILE, got {item!r}")
        doc = _read_side(Path(path), "RSL licence")
        assert doc is not None
        rsl_docs[link] = doc
    if file is None and not (headers or robots or html or ai_txt or tdmrep or rsl):
        raise typer.BadParameter(
            "give FILE or at least one of --headers, --robots, --html, --ai-txt, --tdmrep, --rsl"
        )
    header_bytes = _read_side(headers, "headers file")
    html_bytes = _read_side(html, "HTML file")
    capture = Capture(
        url=url,
        headers=tuple((k.lower(), v) for k, v in _parse_headers(header_bytes or b"")),
        html_head=None if html_bytes is None else html_bytes.decode("utf-8", "replace"),
        robots_txt=_read_side(robots, "robots.txt"),
        ai_txt=_read_side(ai_txt, "ai.txt"),
        tdmrep_json=_read_side(tdmrep, "tdmrep.json"),
        rsl_xml=rsl_docs,
        content=None if file is None else file.read_bytes(),
        filename=None if file is None else file.name,
    )
    evidence = collect_signals(capture, user_agent=user_agent)
    prefs = preferences_from(evidence)
    effective = {p.value: prefs.effective(p).use.value for p in Purpose}
    if as_json:
        payload = {
            "file": str(file),
            "effective": effective,
            "preferences": prefs.to_dict(),
            "evidence": [e.to_dict() for e in evidence],
        }
        typer.echo(json.dumps(payload, indent=2, sort_keys=True))
        return
    for purpose, use in effective.items():
        cond = prefs.effective(Purpose(purpose)).conditions
        typer.echo(f"{purpose:12} {use}" + (f"  ({cond.describe()})" if not cond.is_empty() else ""))
    typer.echo(f"evidence: {len(evidence)} entries, {len(prefs.errors)} errors")
    for e in evidence:
        what = f"error: {e.error}" if e.error else f"{e.purpose.value if e.purpose else '-'}={e.use.value}"
        typer.echo(f"  [{e.source}] {what}  {e.raw[:80]!r} @ {e.location}")


@signals_app.command("robots")
def robots_cmd(
    robots_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The robots.txt to check."),
    urls: list[str] = typer.Argument(..., help="URLs (or paths) to check."),
    user_agent: str = typer.Option(..., "--user-agent", help="The crawler's product token, e.g. GPTBot."),
) -> None:
    """Check URLs against a robots.txt (RFC 9309), printing 'allowed' or 'disallowed' for each.

    Exit code: 0 if every URL is allowed, 1 if any is disallowed, 2 on bad arguments.
    Only the first 500 KiB of the file are read (RFC 9309 §2.5).

    Example: mediamanager signals robots robots.txt --user-agent GPTBot https://example.com/a
    """
    from mediamanager.signals.robots import parse_robots, url_path

    parsed = parse_robots(_read_side(robots_file, "robots.txt") or b"")
    any_denied = False
    for url in urls:
        allowed = parsed.allowed(url_path(url), user_agent)
        any_denied |= not allowed
        typer.echo(f"{'allowed' if allowed else 'disallowed'}\t{url}")
    if any_denied:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Attach ``signals`` to the root command."""
    app.add_typer(signals_app, name="signals")
