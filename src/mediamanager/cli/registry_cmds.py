"""Registry client commands: owners/tokens, register, bulk-register, prefs, domains, lookup (over the API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

__all__ = ["register"]

_REGISTRY_HELP = "Registry URL (env MEDIAMANAGER_REGISTRY_URL)."
_TOKEN_HELP = (
    "API token. Visible to other users in the process list: prefer env MEDIAMANAGER_TOKEN or "
    "'mediamanager --token-file FILE' ('-' for stdin)."
)


def _settings(**overrides: Any) -> Any:
    from mediamanager.settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _api(url: str | None, token: str | None) -> Any:
    """A :class:`~mediamanager.client.RegistryApi` whose failures print one line and exit 1."""
    from mediamanager.cli.token_source import resolve_token
    from mediamanager.client import RegistryApi
    from mediamanager.errors import MediaManagerError

    class _CliApi(RegistryApi):
        def send(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().send(*args, **kwargs)
            except MediaManagerError as exc:
                raise _fail(str(exc)) from None

    try:
        return _CliApi(url, resolve_token(token), timeout=120)
    except MediaManagerError as exc:
        raise _fail(str(exc)) from None


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def register(app: typer.Typer) -> None:
    """Attach the registry commands to the root app."""
    owners_app = typer.Typer(
        help="Accounts.\n\nExample: mediamanager owners create 'Ada Example'", no_args_is_help=True
    )
    tokens_app = typer.Typer(help="API tokens.\n\nExample: mediamanager tokens list", no_args_is_help=True)
    prefs_app = typer.Typer(
        help="Preferences per work, collection or domain.\n\nExample: mediamanager prefs set --collection poems 'genai-train=deny'",
        no_args_is_help=True,
    )
    domains_app = typer.Typer(
        help="Domain ownership.\n\nExample: mediamanager domains add example.com", no_args_is_help=True
    )
    app.add_typer(owners_app, name="owners")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(prefs_app, name="prefs")
    app.add_typer(domains_app, name="domains")

    @owners_app.command("create")
    def owners_create(
        name: str = typer.Argument(..., help="Display name."),
        kind: str = typer.Option("person", "--kind", help="person or organisation."),
        email: str = typer.Option(None, "--email", help="Private contact address."),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
    ) -> None:
        """Create an account; prints its id and first API token (shown once).

        Example: mediamanager owners create 'Ada Example' --kind person
        """
        out = _api(registry, None).create_owner(name, kind=kind, email=email)
        typer.echo(f"owner {out['owner']['id']}")
        typer.echo(f"token {out['token']['token']}")

    @owners_app.command("me")
    def owners_me(
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Show the account the token belongs to.

        Example: mediamanager owners me --token mm_...
        """
        _print_json(_api(registry, token).me())

    @owners_app.command("operator")
    def owners_operator(
        owner_id: str = typer.Argument(..., help="The owner's id."),
        revoke: bool = typer.Option(False, "--revoke", help="Withdraw the role instead."),
        db: str = typer.Option(None, "--db", help="Database URL (default: env MEDIAMANAGER_DB_URL)."),
    ) -> None:
        """Grant (or --revoke) the registry-operator role, which may resolve any dispute; runs on the database.

        Example: mediamanager owners operator 3f2a... --db postgresql+psycopg://localhost/registry
        """
        from mediamanager.errors import MediaManagerError
        from mediamanager.registry.accounts import AccountService
        from mediamanager.registry.store import make_engine, upgrade_schema
        from mediamanager.registry.uow import UnitOfWork

        settings = _settings(db_url=db)
        try:
            engine = make_engine(settings.db_url)
            upgrade_schema(engine)
            owner = AccountService(UnitOfWork(engine, settings)).set_operator(owner_id, not revoke)
        except MediaManagerError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"owner {owner.id} ({owner.display_name}): operator {'yes' if owner.operator else 'no'}")

    # ----------------------------------------------------------------- tokens
    @tokens_app.command("create")
    def tokens_create(
        label: str = typer.Option("", "--label"),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Issue another API token.

        Example: mediamanager tokens create --label laptop
        """
        out = _api(registry, token).create_token(label)
        typer.echo(f"token {out['id']}: {out['token']}")

    @tokens_app.command("list")
    def tokens_list(
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """List your tokens (never their secrets).

        Example: mediamanager tokens list
        """
        _print_json(_api(registry, token).list_tokens())

    @tokens_app.command("revoke")
    def tokens_revoke(
        token_id: str = typer.Argument(...),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Revoke a token by id.

        Example: mediamanager tokens revoke 3f2a...
        """
        _print_json(_api(registry, token).revoke_token(token_id))

    # --------------------------------------------------------------- register
    @app.command("register")
    def register_cmd(
        files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Files to register."),
        title: str = typer.Option(None, "--title", help="Title (default: the file name)."),
        creator: str = typer.Option("", "--creator"),
        alias: list[str] = typer.Option([], "--alias", help="Another name of the creator (repeatable)."),
        url: list[str] = typer.Option([], "--url", help="Where the work is published (repeatable)."),
        collection: str = typer.Option(None, "--collection"),
        prefs: str = typer.Option(None, "--prefs", help="e.g. 'genai-train=deny,search=allow'."),
        fingerprints_only: bool = typer.Option(
            False,
            "--fingerprints-only",
            help="Compute fingerprints here; the content never leaves this machine.",
        ),
        keep_content: bool = typer.Option(
            False, "--keep-content", help="Ask the server to keep uploaded content."
        ),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Register works: upload them, or send only their fingerprints.

        Example: mediamanager register poem.txt --prefs genai-train=deny --fingerprints-only
        """
        from mediamanager.errors import MediaManagerError
        from mediamanager.fingerprint import exact_only_warning, fingerprint_content
        from mediamanager.model import parse_preference_spec
        from mediamanager.registry.bulk import fingerprints_only_body

        api = _api(registry, token)
        try:
            if prefs:
                parse_preference_spec(prefs)  # fail here, before anything is sent
        except MediaManagerError as exc:
            raise _fail(str(exc)) from None
        for path in files:
            meta = {"title": title or path.name, "creator": creator, "collection": collection}
            if fingerprints_only:
                try:
                    fp = fingerprint_content(path.read_bytes(), filename=path.name)
                except MediaManagerError as exc:
                    raise _fail(f"{path}: {exc}") from None
                body = fingerprints_only_body(fp, meta, preferences=prefs, aliases=alias, source_urls=url)
                reg = api.register_fingerprints(body)
            else:
                fields = {**meta, "aliases": alias, "source_urls": url, "preferences": prefs or None}
                fields["keep_content"] = str(keep_content).lower()
                reg = api.upload_work(path.name, path.read_bytes(), fields=fields)
            w = reg.work
            note = f" DISPUTED with {len(reg.disputes)} other claim(s)" if reg.disputes else ""
            typer.echo(
                f"{path}: work {w['id']} [{w['media_type']}] sha256 {w['sha256'][:16]}… ISCC {w['iscc']}{note}"
            )
            warning = exact_only_warning(w["media_type"], w.get("fingerprints") or [])
            if warning:
                typer.echo(f"{path}: warning: {warning}", err=True)

    @app.command("bulk-register")
    def bulk_register(
        source: str = typer.Argument(
            ..., help="A folder, a .csv/.jsonl manifest, or a sitemap/RSS file or URL."
        ),
        prefs: str = typer.Option(
            None,
            "--prefs",
            help="Preferences for items without their own; with --collection they become the collection's rule.",
        ),
        collection: str = typer.Option(None, "--collection"),
        fingerprints_only: bool = typer.Option(True, "--fingerprints-only/--upload"),
        allow_outside: bool = typer.Option(
            False, "--allow-outside-paths", help="Let a manifest name files outside its own folder."
        ),
        state: Path = typer.Option(
            None, "--state", help="Resume state file (default: per registry, owner and source in ~/.cache)."
        ),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Register many works; idempotent (re-running creates no duplicates and skips unchanged files);
        per-item failures are reported.

        Example: mediamanager bulk-register ./portfolio --collection portfolio --prefs genai-train=deny
        """
        from mediamanager.client import RegistryApi
        from mediamanager.errors import MediaManagerError
        from mediamanager.model import parse_preference_spec
        from mediamanager.registry.bulk import HttpRegistrar, iter_source, run_bulk
        from mediamanager.registry.bulk_state import BulkState, default_state_path

        try:
            if prefs:
                parse_preference_spec(prefs)  # fail here, before anything is sent
            api = RegistryApi(registry, token, timeout=120)
        except MediaManagerError as exc:
            raise _fail(str(exc)) from None
        mode = "fingerprints" if fingerprints_only else "upload"
        resume = BulkState(state or default_state_path(api.url, api.token, source), scope=f"{api.url} {mode}")
        with api:
            report = run_bulk(
                iter_source(source, default_prefs=prefs, collection=collection, allow_outside=allow_outside),
                HttpRegistrar(api, fingerprints_only=fingerprints_only),
                progress=True,
                state=resume,
                collection_rule=(collection, prefs) if collection and prefs else None,
            )
        typer.echo(report.summary())
        for item, reason in report.failures:
            typer.echo(f"  failed {item}: {reason}")
        if report.failures:
            raise typer.Exit(1)

    # ------------------------------------------------------------------ prefs
    @prefs_app.command("set")
    def prefs_set(
        spec: str = typer.Argument(..., help="e.g. 'genai-train=deny,ai-input=allow-if:attribution'."),
        work: str = typer.Option(None, "--work", help="A work id."),
        collection: str = typer.Option(None, "--collection", help="A collection name."),
        domain: str = typer.Option(None, "--domain", help="A host/path pattern, e.g. example.com/photos/*."),
        works: Path = typer.Option(
            None, "--works", exists=True, dir_okay=False, help="A file of work ids, one per line."
        ),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """State preferences at one level; the most specific level wins.

        Example: mediamanager prefs set --domain example.com/blog/* 'tdm=deny'
        """
        chosen = [x for x in (work, collection, domain, works) if x]
        if len(chosen) != 1:
            raise _fail("give exactly one of --work, --works, --collection, --domain", 2)
        if works:
            from mediamanager.client import RegistryApi
            from mediamanager.errors import MediaManagerError
            from mediamanager.registry.bulk import set_works_preferences

            try:
                plain = RegistryApi(registry, token, timeout=120)  # failures per work, not exit
            except MediaManagerError as exc:
                raise _fail(str(exc)) from None
            with plain:
                report = set_works_preferences(plain, works, spec)
            typer.echo(f"{report.created} works updated, {len(report.failures)} failed")
            for item, reason in report.failures:
                typer.echo(f"  failed {item}: {reason}")
            raise typer.Exit(1 if report.failures else 0)
        api = _api(registry, token)
        if work:
            out = api.set_work_preferences(work, spec)
        elif collection:
            out = api.set_collection_preferences(collection, spec)
        else:
            out = api.set_domain_preferences(domain, spec)
        _print_json(out)

    @prefs_app.command("list")
    def prefs_list(
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """List the preferences you stated.

        Example: mediamanager prefs list
        """
        _print_json(_api(registry, token).list_preferences())

    # ---------------------------------------------------------------- domains
    @domains_app.command("add")
    def domains_add(
        domain: str = typer.Argument(...),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Claim a domain; prints the token to publish.

        Example: mediamanager domains add example.com
        """
        out = _api(registry, token).add_domain(domain)
        typer.echo(f"publish this line at {out['verification_url']}:\n{out['token']}")

    @domains_app.command("verify")
    def domains_verify(
        domain: str = typer.Argument(...),
        registry: str = typer.Option(None, "--registry", help=_REGISTRY_HELP),
        token: str = typer.Option(None, "--token", help=_TOKEN_HELP),
    ) -> None:
        """Ask the registry to fetch the token from the domain.

        Example: mediamanager domains verify example.com
        """
        out = _api(registry, token).verify_domain(domain)
        typer.echo(f"{out['domain']} verified at {out['verified_at']}")

    # ----------------------------------------------------------------- lookup
    @app.command()
    def lookup(
        files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Files to look up."),
        registry: str = typer.Option(None, "--registry", help="Registry URL or snapshot directory."),
    ) -> None:
        """Fingerprint files locally and print, as JSON, the registered works each matches with their preferences.

        Example: mediamanager lookup photo.jpg essay.txt --registry ./snapshot
        """
        from mediamanager.errors import MediaManagerError
        from mediamanager.fingerprint import fingerprint_content
        from mediamanager.lookup import LookupQuery
        from mediamanager.scan.clients import open_registry_client

        spec = registry or _settings().registry_url
        queries: list[LookupQuery] = []
        errors: dict[str, str] = {}
        for path in files:
            try:
                fp = fingerprint_content(path.read_bytes(), filename=path.name, query=True)
            except MediaManagerError as exc:
                errors[str(path)] = str(exc)
                continue
            queries.append(LookupQuery(str(path), fp.sha256, fp.media_type, tuple(fp.fingerprints)))
        try:
            client = open_registry_client(spec)
            results = client.lookup(queries)
            info = client.info()
        except MediaManagerError as exc:
            raise _fail(str(exc)) from None
        out = {
            "registry": {"source": info.source, "version": info.version, "sha256": info.sha256},
            "results": [
                {"file": r.item_id, "matches": [m.to_dict() for m in r.matches]}
                for r in results
                if r.error is None
            ]
            + [{"file": r.item_id, "error": r.error} for r in results if r.error is not None]
            + [{"file": f, "error": e} for f, e in errors.items()],
        }
        _print_json(out)
        if errors or any(r.error is not None for r in results):
            raise typer.Exit(1)
