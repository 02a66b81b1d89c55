"""Server and database commands: serve, demo, export, audit verify (they run beside the database)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from mediamanager.cli.registry_cmds import _fail, _settings

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Attach the server and database commands to the root app."""
    audit_app = typer.Typer(
        help="The registry's audit log.\n\nExample: mediamanager audit verify", no_args_is_help=True
    )
    app.add_typer(audit_app, name="audit")

    @app.command()
    def serve(
        db: str = typer.Option(
            None, "--db", help="Database URL (default: env MEDIAMANAGER_DB_URL or SQLite file)."
        ),
        host: str = typer.Option(None, "--host", help="Interface to bind (default 127.0.0.1)."),
        port: int = typer.Option(None, "--port", help="Port (default 8000)."),
        workers: int = typer.Option(
            1, "--workers", min=1, help="Server processes (each keeps its own index)."
        ),
    ) -> None:
        """Run the registry HTTP API (OpenAPI docs at /docs); migrates the database first.

        Example: mediamanager serve --db postgresql+psycopg://user@localhost/registry --port 8000
        """
        import uvicorn

        from mediamanager.api.app import create_app
        from mediamanager.errors import MediaManagerError

        settings = _settings(db_url=db, host=host, port=port)
        try:
            api = create_app(settings)
        except MediaManagerError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"registry on http://{settings.host}:{settings.port} (docs at /docs)")
        if workers == 1:
            uvicorn.run(api, host=settings.host, port=settings.port, log_level="info")
            return
        import os

        # Worker processes build their own app from the environment; the schema is already migrated.
        os.environ["MEDIAMANAGER_DB_URL"] = settings.db_url
        uvicorn.run(
            "mediamanager.api.app:create_app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level="info",
        )

    @app.command()
    def demo(
        serve_after: bool = typer.Option(False, "--serve", help="Keep the server up afterwards."),
        db: Path = typer.Option(
            Path("mediamanager-demo.db"), "--db", help="SQLite file (recreated each run)."
        ),
        port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (0 picks a free one)."),
    ) -> None:
        """Start a registry on a SQLite file, register sample works with preferences over HTTP, look up
        altered copies, print what happened, and exit (non-zero if a copy was not found).

        Example: mediamanager demo --serve
        """
        from mediamanager.api.demo import run_demo
        from mediamanager.errors import MediaManagerError

        try:
            result = run_demo(db, port=port, keep_serving=serve_after, say=typer.echo)
        except (MediaManagerError, RuntimeError) as exc:
            raise _fail(str(exc)) from None
        found = sum(1 for r in result.lookups if r["found"])
        typer.echo(f"{found} of {len(result.lookups)} altered copies found with their owner's preferences")
        if result.server is not None:
            typer.echo(
                f"serving at {result.server.url} (docs: {result.server.url}/docs); token: {result.token}"
            )
            typer.echo("press Ctrl-C to stop")
            result.server.wait()
        if not result.ok:
            raise typer.Exit(1)

    # ----------------------------------------------------------------- owners
    # --------------------------------------------------------- export, audit
    @app.command()
    def export(
        out: Path = typer.Option(..., "--out", help="Snapshot directory to write."),
        db: str = typer.Option(None, "--db", help="Database URL (default: env MEDIAMANAGER_DB_URL)."),
    ) -> None:
        """Write a versioned offline snapshot (fingerprints, effective preferences, owner names, ISCC codes).

        Example: mediamanager export --out ./snapshot --db sqlite:///mediamanager.db
        """
        from mediamanager.errors import MediaManagerError
        from mediamanager.progress import ProgressLine
        from mediamanager.registry.snapshot import export_snapshot
        from mediamanager.registry.store import make_engine, upgrade_schema
        from mediamanager.registry.uow import UnitOfWork

        settings = _settings(db_url=db)
        try:
            engine = make_engine(settings.db_url)
            upgrade_schema(engine)
            with ProgressLine("exporting", unit="works") as bar:
                m = export_snapshot(UnitOfWork(engine, settings), out, progress=bar)
        except MediaManagerError as exc:
            raise _fail(str(exc)) from None
        typer.echo(
            f"snapshot {m.path}: {m.works} works, {m.owners} owners, {m.registry_version}, sha256 {m.sha256}"
        )

    @audit_app.command("verify")
    def audit_verify(
        db: str = typer.Option(None, "--db", help="Database URL (default: env MEDIAMANAGER_DB_URL)."),
        checkpoint: Path = typer.Option(
            None, "--checkpoint", help="A signed checkpoint kept earlier (GET /audit/checkpoint, snapshot)."
        ),
    ) -> None:
        """Check the audit log's hash chain and that every state table matches it; exits 1 and names
        the first bad entry if anything was tampered with. With --checkpoint, also prove the log still
        holds the signed head (a cut tail or a re-chained log fails).

        Example: mediamanager audit verify --db sqlite:///mediamanager.db --checkpoint checkpoint.json
        """
        from mediamanager.errors import IntegrityError, MediaManagerError
        from mediamanager.registry.checkpoint import (
            check_checkpoint,
            key_path,
            load_or_create_key,
            read_checkpoint,
        )
        from mediamanager.registry.lookup import LookupService
        from mediamanager.registry.store import make_engine
        from mediamanager.registry.uow import UnitOfWork

        settings = _settings(db_url=db)
        try:
            uow = UnitOfWork(make_engine(settings.db_url), settings)
            if checkpoint is not None:
                signed = read_checkpoint(checkpoint)
                # On the registry's own host its key must be the signer, not just any key.
                own = key_path(settings, uow.engine.url)
                trusted = load_or_create_key(settings, uow.engine.url).public_key() if own.is_file() else None
                with uow.read() as conn:
                    try:
                        check_checkpoint(conn, signed, trusted_key=trusted)
                    except IntegrityError as exc:
                        typer.secho(f"audit log BROKEN against {checkpoint}: {exc}", fg=typer.colors.RED)
                        sys.exit(1)
            report = LookupService(uow).verify_audit()
        except MediaManagerError as exc:
            raise _fail(str(exc)) from None
        except Exception as exc:  # an unreadable database is a failed check, reported plainly
            raise _fail(f"cannot read the audit log: {exc}") from None
        if report.ok:
            typer.echo(f"audit log intact: {report.entries} entries, head {report.head_hash}")
            return
        where = "" if report.first_bad_seq is None else f" at entry {report.first_bad_seq}"
        typer.secho(f"audit log BROKEN{where}: {report.problem}", fg=typer.colors.RED)
        sys.exit(1)
