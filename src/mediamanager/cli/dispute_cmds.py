"""Dispute commands: list your disputes, answer one with evidence, withdraw your claim, resolve one."""

from __future__ import annotations

import typer

from mediamanager.cli.registry_cmds import _REGISTRY_HELP, _TOKEN_HELP, _api, _print_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Attach ``mediamanager disputes ...`` to the root app."""
    disputes_app = typer.Typer(
        help="Two owners claiming the same content.\n\nExample: mediamanager disputes list",
        no_args_is_help=True,
    )
    app.add_typer(disputes_app, name="disputes")

    @disputes_app.command("list")
    def disputes_list(
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """List disputes on your works, with their state and deadline.

        Example: mediamanager disputes list
        """
        _print_json(_api(registry, token).list_disputes())

    @disputes_app.command("respond")
    def disputes_respond(
        dispute_id: str = typer.Argument(...),
        evidence: str = typer.Option(..., "--evidence", help="Why your claim holds (links, dates)."),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Answer a dispute with evidence (the later registrant must, before the deadline).

        Example: mediamanager disputes respond 3f2a... --evidence 'first published at https://...'
        """
        _print_json(_api(registry, token).respond_dispute(dispute_id, evidence))

    @disputes_app.command("withdraw")
    def disputes_withdraw(
        dispute_id: str = typer.Argument(...),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Withdraw your claim in a dispute: the other side's claim stands.

        Example: mediamanager disputes withdraw 3f2a...
        """
        _print_json(_api(registry, token).withdraw_dispute(dispute_id))

    @disputes_app.command("resolve")
    def disputes_resolve(
        dispute_id: str = typer.Argument(...),
        outcome: str = typer.Option(..., "--outcome", help="Whose claim stands: earlier, later or shared."),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Propose an outcome (resolved when both parties agree), or decide it as a registry operator.

        Example: mediamanager disputes resolve 3f2a... --outcome shared
        """
        _print_json(_api(registry, token).resolve_dispute(dispute_id, outcome))
