"""``mediamanager ledger ...``: submit scans, read the ledger, licences and grants, statements, EU summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

__all__ = ["register", "submit_scan_dir"]

_REGISTRY = "Registry URL (env MEDIAMANAGER_REGISTRY_URL)."
_TOKEN = "API token (env MEDIAMANAGER_TOKEN)."

ledger_app = typer.Typer(
    no_args_is_help=True,
    help="The usage ledger: what scans did with registered works, licences, statements.\n\n"
    "Example: mediamanager ledger submit scanned/ --registry http://127.0.0.1:8000",
)


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code)


def _api(registry: str | None, token: str | None) -> Any:
    from mediamanager.client import RegistryApi

    return RegistryApi(registry, token)


def _call(registry: str | None, token: str | None, fn: Any) -> Any:
    from mediamanager.errors import MediaManagerError

    try:
        with _api(registry, token) as api:
            return fn(api)
    except MediaManagerError as exc:
        _fail(str(exc))


def _print(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, sort_keys=True))


def submit_scan_dir(
    scan_dir: Path, registry: str | None, token: str | None = None, *, dataset: str = "", version: str = ""
) -> dict[str, Any]:
    """Send a finished scan's attestation, decisions and report to the registry's ledger."""
    try:
        parts = [
            (scan_dir / n).read_bytes() for n in ("attestation.json", "decisions.parquet", "report.json")
        ]
    except OSError as exc:
        _fail(f"{scan_dir} is not a finished scan: {exc}")
    out: dict[str, Any] = _call(
        registry, token, lambda api: api.submit_scan(*parts, dataset=dataset, dataset_version=version)
    )
    sub = out["submission"]
    state = "recorded" if out["created"] else "already recorded; nothing added"
    typer.echo(f"scan {sub['scan_id'][:16]}: {sub['events']} usage events {state} (submission {sub['id']})")
    return out


@ledger_app.command("submit")
def submit_cmd(
    scan_dir: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="A finished scan's --out folder."
    ),
    registry: str = typer.Option(None, "--registry", help=_REGISTRY),
    token: str = typer.Option(None, "--token", help=_TOKEN),
    dataset: str = typer.Option("", "--dataset", help="Dataset name (default: the scanned input's name)."),
    version: str = typer.Option("", "--dataset-version", help="Dataset version (default: decisions hash)."),
) -> None:
    """Record a scan's usage of registered works; the registry checks its signature and digests first.

    Example: mediamanager ledger submit scanned/ --registry http://127.0.0.1:8000 --dataset web-2026
    """
    submit_scan_dir(scan_dir, registry, token, dataset=dataset, version=version)


@ledger_app.command("verify")
def verify_cmd(registry: str = typer.Option(None, "--registry", help=_REGISTRY)) -> None:
    """Recompute the ledger's hash chain; exit 1 when it is broken.

    Example: mediamanager ledger verify --registry http://127.0.0.1:8000
    """
    report = _call(registry, None, lambda api: api.ledger_verify())
    _print(report)
    if not report["ok"]:
        raise typer.Exit(1)


@ledger_app.command("events")
def events_cmd(
    role: str = typer.Option("owner", "--role", help="owner: about my works; builder: my submissions."),
    scan_id: str = typer.Option(None, "--scan"),
    registry: str = typer.Option(None, "--registry", help=_REGISTRY),
    token: str = typer.Option(None, "--token", help=_TOKEN),
) -> None:
    """List ledger events the caller may read.

    Example: mediamanager ledger events --role builder
    """
    params = {"role": role, **({"scan_id": scan_id} if scan_id else {})}
    _print(_call(registry, token, lambda api: api.ledger_events(**params)))


@ledger_app.command("usage")
def usage_cmd(
    work: str = typer.Argument(..., help="A work id of yours."),
    registry: str = typer.Option(None, "--registry", help=_REGISTRY),
    token: str = typer.Option(None, "--token", help=_TOKEN),
) -> None:
    """Where was my work found: every dataset and scan that matched it, and what they did.

    Example: mediamanager ledger usage 3f2a...
    """
    out = _call(registry, token, lambda api: api.work_usage(work))
    for e in out["events"]:
        typer.echo(
            f"{e['scan_time']}  {e['dataset']}@{e['dataset_version']}  {e['decision']}  {e['items']} items  "
            f"{e['match_kind']} {e['score']:.3f}" + (f"  grant {e['grant_id']}" if e["grant_id"] else "")
        )
    typer.echo(f"{len(out['events'])} events, {out['items']} items")


@ledger_app.command("request")
def request_cmd(
    works: list[str] = typer.Argument(..., help="Work ids of one owner."),
    purpose: str = typer.Option(..., "--purpose"),
    key: Path = typer.Option(None, "--key", help="Your scan key (PEM): the grant is bound to it."),
    expires: str = typer.Option(None, "--expires", help="ISO date-time the licence should end."),
    registry: str = typer.Option(None, "--registry", help=_REGISTRY),
    token: str = typer.Option(None, "--token", help=_TOKEN),
) -> None:
    """Ask an owner for a licence on their works' conditions.

    Example: mediamanager ledger request WORK_ID --purpose genai-train
    """
    from mediamanager.ledger.grants import key_id, public_key_b64
    from mediamanager.scan.attest import default_key_path, load_or_create_key

    kid = key_id(public_key_b64(load_or_create_key(key or default_key_path())))
    _print(_call(registry, token, lambda api: api.request_licence(works, purpose, kid, expires_at=expires)))


@ledger_app.command("licences")
def licences_cmd(
    status: str = typer.Option(None, "--status", help="requested, accepted, declined or revoked."),
    registry: str = typer.Option(None, "--registry", help=_REGISTRY),
    token: str = typer.Option(None, "--token", help=_TOKEN),
) -> None:
    """Licences you asked for or were asked for.

    Example: mediamanager ledger licences --status requested
    """
    _print(_call(registry, token, lambda api: api.list_licences(status=status)))


def _decide(action: str) -> Any:
    def cmd(
        licence: str = typer.Argument(..., help="Licence id."),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY),
        token: str = typer.Option(None, "--token", help=_TOKEN),
    ) -> None:
        out = _call(registry, token, lambda api: api.decide_licence(licence, action))
        typer.echo(f"licence {out['id']}: {out['status']}")

    cmd.__doc__ = f"{action.capitalize()} a licence (owner only).\n\nExample: mediamanager ledger {action} ID"
    return cmd


for _action in ("accept", "decline", "revoke"):
    ledger_app.command(_action)(_decide(_action))


@ledger_app.command("grants")
def grants_cmd(
    out: Path = typer.Option(Path("grants.json"), "--out", help="Where to write the grants bundle."),
    registry: str = typer.Option(None, "--registry", help=_REGISTRY),
    token: str = typer.Option(None, "--token", help=_TOKEN),
) -> None:
    """Download your accepted grants, for `mediamanager scan --grants FILE`.

    Example: mediamanager ledger grants --out grants.json
    """
    bundle = _call(registry, token, lambda api: api.ledger_grants())
    out.write_text(json.dumps(bundle, indent=2, sort_keys=True) + "\n")
    typer.echo(f"{len(bundle['grants'])} grants -> {out}")


@ledger_app.command("statement")
def statement_cmd(
    owner: str = typer.Option(..., "--owner", help="Owner id (yours, over --registry; any, over --db)."),
    period: str = typer.Option(..., "--period", help="YYYY-MM"),
    fmt: str = typer.Option("json", "--format", help="json, csv or dsr (DDEX DSR-shaped, tab-separated)."),
    out: Path = typer.Option(None, "--out", help="Write here instead of standard output."),
    db: str = typer.Option(None, "--db", help="Compute from this registry database directly (operators)."),
    registry: str = typer.Option(None, "--registry", help=_REGISTRY),
    token: str = typer.Option(None, "--token", help=_TOKEN),
) -> None:
    """What an owner is owed for a month, from the ledger alone.

    Example: mediamanager ledger statement --owner ID --period 2026-11 --format dsr
    """
    from mediamanager.errors import MediaManagerError
    from mediamanager.ledger.exports import EXPORT_FORMATS, export_statement

    if fmt not in EXPORT_FORMATS:
        _fail(f"--format must be one of {', '.join(EXPORT_FORMATS)}")
    try:
        if db:
            from mediamanager.registry.ledger import LedgerService
            from mediamanager.registry.store import make_engine, upgrade_schema
            from mediamanager.registry.uow import UnitOfWork

            engine = make_engine(db)
            upgrade_schema(engine)
            try:
                text = export_statement(LedgerService(UnitOfWork(engine)).statement(owner, period), fmt)
            finally:
                engine.dispose()
        else:
            with _api(registry, token) as api:
                got = api.ledger_statement(period, owner_id=owner, fmt=fmt)
            text = export_statement(got, "json") if fmt == "json" else got
    except MediaManagerError as exc:
        _fail(str(exc))
    if out:
        out.write_text(text)
        typer.echo(f"statement {owner} {period} ({fmt}) -> {out}")
    else:
        typer.echo(text, nl=False)


@ledger_app.command("eu-summary")
def eu_summary_cmd(
    scans: list[Path] = typer.Argument(..., exists=True, file_okay=False, help="Finished scan folders."),
    out: Path = typer.Option(Path("eu-training-summary.json"), "--out"),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Check each scan's attestation first."),
) -> None:
    """The EU AI Act public summary of training content (Commission template, July 2025), from scans.

    Example: mediamanager ledger eu-summary scanned-a/ scanned-b/ --out summary.json
    """
    from mediamanager.errors import MediaManagerError
    from mediamanager.ledger.eu_summary import build_eu_summary
    from mediamanager.scan.attest import verify_outputs

    try:
        if verify:
            for s in scans:
                verify_outputs(s)
        summary = build_eu_summary(scans)
    except MediaManagerError as exc:
        _fail(str(exc))
    out.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    used = summary["1_general_information"]["training_items_used"]
    typer.echo(f"summary of {len(scans)} scans ({used} items used) -> {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
