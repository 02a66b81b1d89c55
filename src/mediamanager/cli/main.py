"""The ``mediamanager`` command: a thin client of the library.

Each domain's commands live in their own module and are attached here; a
command only parses arguments, calls the library and prints.
"""

from __future__ import annotations

import importlib

import typer

from mediamanager import __version__

app = typer.Typer(
    name="mediamanager",
    help="Creators declare how AI may use their work; AI builders honor it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Modules that each expose ``register(app)``; listed here so that one missing
# optional dependency cannot hide the other commands.
COMMAND_MODULES = (
    "mediamanager.cli.registry_cmds",
    "mediamanager.cli.server_cmds",
    "mediamanager.cli.dispute_cmds",
    "mediamanager.cli.signals_cmds",
    "mediamanager.cli.signals_embed_cmds",
    "mediamanager.cli.fingerprint_cmds",
    "mediamanager.cli.scan_cmds",
    "mediamanager.cli.provenance_cmds",
    "mediamanager.cli.text_watermark_cmds",
    "mediamanager.cli.ledger_cmds",
    "mediamanager.cli.guard_cmds",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mediamanager {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
    token_file: str = typer.Option(
        None,
        "--token-file",
        help="Read the registry API token from this file's first line ('-': stdin; env "
        "MEDIAMANAGER_TOKEN_FILE). Safer than --token, which every user sees in the process list.",
    ),
) -> None:
    """Media Manager.

    Example: mediamanager demo
    """
    from mediamanager.cli.token_source import set_token_file

    set_token_file(token_file)


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:
            raise
        continue
    _module.register(app)
