"""CLI: ``mediamanager signals embed``, writing a creator's AI-usage preferences into a copy of a file."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["embed", "register"]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def embed(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The file to copy."),
    prefs: str = typer.Option(
        ..., "--prefs", help='Preferences, e.g. "genai-train=deny,ai-input=allow-if:attribution".'
    ),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="Where to write the copy."),
    c2pa: bool = typer.Option(False, "--c2pa", help="Add a signed C2PA manifest (needs --key and --cert)."),
    key: Path | None = typer.Option(
        None, "--key", exists=True, dir_okay=False, help="Signer private key (PEM)."
    ),
    cert: Path | None = typer.Option(
        None,
        "--cert",
        exists=True,
        dir_okay=False,
        help="Signer certificate chain (PEM, leaf first, no root).",
    ),
    xmp: bool | None = typer.Option(
        None, "--xmp/--no-xmp", help="Write IPTC/XMP (default: yes, unless only --c2pa is given)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite OUT if it exists."),
) -> None:
    """Write a copy of FILE carrying AI-usage preferences (IPTC/XMP and/or signed C2PA), then check it.

    The copy is read back and must state exactly the given preferences.

    Example: mediamanager signals embed photo.jpg --prefs "genai-train=deny,ai-input=allow-if:attribution" --out photo-prefs.jpg --c2pa --key signer.key --cert chain.pem --xmp
    """
    from mediamanager.errors import MediaManagerError
    from mediamanager.model import Purpose, Use, combine_rules, parse_preference_spec
    from mediamanager.signals.embedded import embed_preferences, read_embedded

    if out.exists() and not force:
        _fail(f"{out} exists; pass --force to overwrite")
    if c2pa and (key is None or cert is None):
        _fail("--c2pa needs --key and --cert")
    if not c2pa and (key is not None or cert is not None):
        _fail("--key/--cert are only used with --c2pa")
    write_xmp = xmp if xmp is not None else not c2pa
    try:
        preferences = parse_preference_spec(prefs, source="declared", location=str(file))
        result = embed_preferences(
            file.read_bytes(),
            file.name,
            preferences,
            c2pa_key=key.read_bytes() if c2pa and key else None,
            c2pa_cert_chain=cert.read_bytes() if c2pa and cert else None,
            xmp=write_xmp,
        )
    except MediaManagerError as exc:
        _fail(str(exc))
    evidence = read_embedded(result, out.name)
    errors = [e.error for e in evidence if e.error]
    stated = {p: combine_rules(e for e in evidence if e.purpose is p and e.error is None) for p in Purpose}
    mismatched = [
        p.value
        for p in Purpose
        if (stated[p].use, stated[p].conditions)
        != (preferences.stated(p).use, preferences.stated(p).conditions)
        and not (stated[p].use is Use.UNKNOWN and preferences.stated(p).use is Use.UNKNOWN)
    ]
    if errors or mismatched:
        _fail(f"the written copy does not read back as given (errors: {errors}, differs on: {mismatched})", 1)
    out.write_bytes(result)
    carriers = [name for name, on in (("XMP", write_xmp), ("C2PA", c2pa)) if on]
    typer.echo(f"wrote {out} ({' + '.join(carriers)}, {len(result):,} bytes)")
    for purpose, rule in sorted(stated.items()):
        if rule.use is not Use.UNKNOWN:
            cond = rule.conditions.describe()
            typer.echo(f"  {purpose.value}: {rule.use.value}{' (' + cond + ')' if cond else ''}")


def register(app: typer.Typer) -> None:
    """Add ``embed`` to the ``signals`` sub-app (defined in :mod:`mediamanager.cli.signals_cmds`)."""
    try:
        from mediamanager.cli.signals_cmds import signals_app
    except ModuleNotFoundError as exc:
        if exc.name != "mediamanager.cli.signals_cmds":
            raise
        return
    signals_app.command("embed")(embed)
