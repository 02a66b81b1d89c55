"""``mediamanager guard ...``: inference guards (RAG context filter, regurgitation check, name gate).

Every command prints one JSON document. Exit status: 0 when the input may pass as given
(documents kept, output allowed or cited, prompt allowed), 3 when the guard acted (documents
dropped, output blocked or redacted, prompt rewritten or refused), 1 on an error (bad input,
unreachable registry: nothing is passed on a failure).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from mediamanager.errors import MediaManagerError

guard_app = typer.Typer(
    name="guard",
    help="Inference guards.\n\nExample: mediamanager guard output --index vidx answer.txt",
    no_args_is_help=True,
)

ACTED = 3


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


def _read(source: str) -> str:
    try:
        return sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {source}: {exc}") from exc


def _emit(data: Any, acted: bool) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    if acted:
        raise typer.Exit(ACTED)


@guard_app.command("context")
def context_cmd(
    docs: str = typer.Argument(
        ..., help="JSON-lines file of documents ({text, url, headers, html_head}), or -."
    ),
    registry: str = typer.Option(..., "--registry", "-r", help="Snapshot directory or registry URL."),
    purpose: str = typer.Option("ai-input", "--purpose"),
    unknown: str = typer.Option("drop", "--unknown", help="What to do with documents nobody spoke about."),
) -> None:
    """Judge retrieved documents; print a decision per document and the kept ones.

    Example: mediamanager guard context docs.jsonl --registry ./snapshot --purpose ai-input
    """
    from mediamanager.guard.context import GuardDoc, judge_context
    from mediamanager.guard.sources import open_registry

    try:
        lines = [json.loads(x) for x in _read(docs).splitlines() if x.strip()]
        items = [GuardDoc.from_dict(x) for x in lines]
        decisions = judge_context(items, open_registry(registry), purpose=purpose, unknown=unknown)
    except ValueError as exc:  # JSON errors and InputError
        _fail(exc)
    except MediaManagerError as exc:
        _fail(exc)
    out = {
        "decisions": [d.to_dict() for d in decisions],
        "kept": [d.index for d in decisions if d.action == "keep"],
    }
    _emit(out, acted=any(d.action == "drop" for d in decisions))


@guard_app.command("index")
def index_cmd(
    texts: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON-lines of {text[, work_id, ...]}."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Index directory to write."),
    registry: str | None = typer.Option(
        None, "--registry", "-r", help="Where to look up works of bare texts."
    ),
) -> None:
    """Build the verbatim index of registered texts.

    Example: mediamanager guard index texts.jsonl --out vidx --registry ./snapshot
    """
    from mediamanager.guard.sources import index_texts, open_registry, read_jsonl

    try:
        client = open_registry(registry) if registry else None
        index, skipped = index_texts(read_jsonl(texts), client)
        index.save(out)
    except MediaManagerError as exc:
        _fail(exc)
    typer.echo(
        json.dumps(
            {
                "works": len(index.works),
                "tokens": index.num_tokens,
                "skipped": skipped,
                "bytes_per_token": round(index.nbytes() / max(1, index.num_tokens), 3),
            }
        )
    )


@guard_app.command("output")
def output_cmd(
    text: str = typer.Argument("-", help="File with the model's output, or - for stdin."),
    index: Path = typer.Option(..., "--index", "-i", help="Verbatim index directory."),
    deny: str = typer.Option("block", "--deny", help="block or redact a denied span."),
    unknown: str = typer.Option("block", "--unknown", help="Action for spans whose owner said nothing."),
    purpose: str = typer.Option("ai-input", "--purpose"),
) -> None:
    """Find registered text reproduced in an output.

    Example: mediamanager guard output answer.txt --index vidx --deny redact
    """
    from mediamanager.guard.index import VerbatimIndex
    from mediamanager.guard.output import check_output

    try:
        result = check_output(
            _read(text), VerbatimIndex.load(index), purpose=purpose, deny=deny, unknown=unknown
        )
    except MediaManagerError as exc:
        _fail(exc)
    _emit(result.to_dict(), acted=result.action in ("block", "redact"))


@guard_app.command("prompt")
def prompt_cmd(
    prompt: str = typer.Argument(..., help="The prompt text (or @FILE)."),
    names: Path | None = typer.Option(None, "--names", help="Names table: JSON list or JSON lines."),
    registry: Path | None = typer.Option(None, "--registry", "-r", help="Snapshot dir (its owners.jsonl)."),
    styles: Path | None = typer.Option(
        None, "--styles", help="With --registry: styles JSON keyed by owner id."
    ),
    unknown: str = typer.Option("rewrite", "--unknown", help="For named creators who stated nothing."),
) -> None:
    """Gate a prompt that names registered creators.

    Example: mediamanager guard prompt "a castle in the style of Jane Austen" --names names.json
    """
    from mediamanager.guard.names import NamesTable, gate_prompt
    from mediamanager.guard.sources import load_snapshot_names

    try:
        if names is not None:
            table = NamesTable.load(names)
        elif registry is not None:
            table = load_snapshot_names(registry, styles)
        else:
            raise typer.BadParameter("give --names FILE or --registry SNAPSHOT")
        text = _read(prompt[1:]) if prompt.startswith("@") else prompt
        result = gate_prompt(text, table, unknown=unknown)
    except MediaManagerError as exc:
        _fail(exc)
    _emit(result.to_dict(), acted=result.action != "allow")


def register(app: typer.Typer) -> None:
    app.add_typer(guard_app)
