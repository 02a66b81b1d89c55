"""``mediamanager fingerprint``: print the ids and matching fingerprints of files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mediamanager.errors import MediaManagerError

__all__ = ["register"]


def fingerprint(
    files: list[Path] = typer.Argument(..., help="Files to fingerprint (text, image or audio)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file (JSON Lines)."),
    media_type: str | None = typer.Option(None, "--type", help="Force the media type: text, image or audio."),
    max_bytes: int | None = typer.Option(None, help="Refuse files larger than this many bytes."),
) -> None:
    """Compute sha256, ISCC and matching fingerprints of FILES, as the registry and scanner do.

    A file that cannot be fingerprinted prints an error record (with --json, an object with
    "error") and the command exits with status 1 after processing every file.

    Example: mediamanager fingerprint article.txt photo.jpg --json
    """
    from dataclasses import replace

    from mediamanager.fingerprint import fingerprint_content
    from mediamanager.fingerprint.limits import DEFAULT_LIMITS
    from mediamanager.model import MediaType

    try:
        forced = MediaType(media_type) if media_type else None
        limits = replace(DEFAULT_LIMITS, max_bytes=max_bytes) if max_bytes else DEFAULT_LIMITS
    except (ValueError, MediaManagerError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    failed = False
    for path in files:
        try:
            result = fingerprint_content(path, forced, limits=limits)
        except MediaManagerError as exc:
            failed = True
            if as_json:
                typer.echo(
                    json.dumps({"file": str(path), "error": str(exc), "error_type": type(exc).__name__})
                )
            else:
                typer.echo(f"{path}: error: {exc}", err=True)
            continue
        if as_json:
            typer.echo(json.dumps({"file": str(path), **result.to_dict()}))
        else:
            kinds: dict[str, int] = {}
            for fp in result.fingerprints:
                kinds[fp.kind] = kinds.get(fp.kind, 0) + 1
            summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no matching fingerprints"
            typer.echo(
                f"{path}: {result.media_type.value} sha256={result.sha256} iscc={result.iscc} ({summary})"
            )
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Attach ``fingerprint`` to the main app."""
    app.command("fingerprint")(fingerprint)
