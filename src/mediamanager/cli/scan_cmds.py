"""``mediamanager scan``, ``scan verify`` and ``evidence fetch``: thin wrappers over :mod:`mediamanager.scan`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

__all__ = ["register"]


class _ScanGroup(TyperGroup):
    """``scan INPUT ...`` runs a scan; ``scan verify DIR`` checks one: the first word picks."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


scan_app = typer.Typer(
    cls=_ScanGroup,
    no_args_is_help=True,
    help="Scan a dataset for a declared purpose and honor every creator's choice.\n\n"
    "Example: mediamanager scan data/ --purpose genai-train --registry snapshot/ --out scanned/",
)
evidence_app = typer.Typer(
    no_args_is_help=True,
    help="Crawl evidence for datasets that carry only URLs.\n\n"
    "Example: mediamanager evidence fetch --from urls.txt --cache evidence.sqlite",
)


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code)


@scan_app.command(
    "run",
    help="Scan INPUT for a purpose; write the filtered dataset, decisions, reports and a signed attestation.\n\n"
    "Example: mediamanager scan corpus.jsonl.gz --purpose genai-train --registry snapshot/ --out scanned/",
)
def scan_cmd(
    input_path: str = typer.Argument(
        ...,
        metavar="INPUT",
        help="Dataset: folder, JSONL(.gz/.zst), Parquet, "
        "WebDataset tars, or a saved Hugging Face dataset; local or any fsspec URL.",
    ),
    purpose: str = typer.Option(
        ..., "--purpose", "-p", help="Declared purpose: tdm, ai-train, genai-train, ai-input, search."
    ),
    registry: str = typer.Option(..., "--registry", "-r", help="Registry snapshot folder or http(s) URL."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output folder (new, or an unfinished scan with --resume)."
    ),
    unknown: str = typer.Option(
        "drop", "--unknown", help="What to do with items nobody speaks for: keep or drop."
    ),
    engine: str = typer.Option("local", "--engine", help="local (worker processes) or ray (Ray Data)."),
    workers: int = typer.Option(
        os.cpu_count() or 1, "--workers", "-w", help="Worker processes or Ray actors."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted scan in --out."),
    user_agent: str | None = typer.Option(
        None, "--user-agent", help="Crawler user agent whose robots.txt group applies."
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="files, jsonl, parquet, webdataset or hf (default: detected)."
    ),
    evidence: Path | None = typer.Option(
        None, "--evidence", help="Crawl-evidence cache from `evidence fetch`."
    ),
    key: Path | None = typer.Option(None, "--key", help="Builder's Ed25519 key (PEM); created when absent."),
    licensed: str = typer.Option(
        "include", "--licensed", help="Licensed (allow-if) items: include or exclude."
    ),
    batch_size: int = typer.Option(256, "--batch-size", help="Items per batch and checkpoint."),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="Ray cluster address (default: local Ray)."
    ),
    scan_time: str | None = typer.Option(
        None, "--scan-time", help="Stamp evidence and reports with this ISO time (reproducible scans)."
    ),
    iscc: bool = typer.Option(False, "--iscc", help="Also compute the ISCC code of texts (slow)."),
    match_threshold: list[str] = typer.Option(
        [],
        "--match-threshold",
        help="KIND=SCORE: lowest near-duplicate score that decides (repeatable; defaults minhash=0.5, "
        "pdq=0.53, orb=0.5, chromaprint=0.6). Weaker matches are reported as possible matches only.",
    ),
    id_col: str | None = typer.Option(None, "--id-column"),
    text_col: str | None = typer.Option(None, "--text-column"),
    bytes_col: str | None = typer.Option(None, "--bytes-column"),
    url_col: str | None = typer.Option(None, "--url-column"),
    headers_col: str | None = typer.Option(None, "--headers-column"),
    head_col: str | None = typer.Option(None, "--html-head-column"),
    category_col: str | None = typer.Option(None, "--category-column"),
    grants: str | None = typer.Option(
        None,
        "--grants",
        help="Licence grants (file, or URL of the registry's /ledger/grants): covered items keep.",
    ),
    grant_key: str | None = typer.Option(
        None, "--grant-key", help="The registry's grant key (base64); fetched from an http(s) --registry."
    ),
    url_only: str = typer.Option(
        "decide",
        "--url-only",
        help="Rows with a URL and no content: decide them from site signals and the registry's URL "
        "match (every reason says the content was not checked), or make each an error row.",
    ),
    submit: bool = typer.Option(
        False, "--submit", help="Submit the finished scan to the http(s) --registry's ledger."
    ),
) -> None:
    from mediamanager.errors import MediaManagerError, RegistryUnavailableError
    from mediamanager.model import Purpose, utcnow
    from mediamanager.scan.config import DEFAULT_MATCH_THRESHOLDS, ScanConfig
    from mediamanager.scan.run import scan

    if licensed not in ("include", "exclude"):
        _fail("--licensed must be include or exclude")
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(scan_time) if scan_time else utcnow().replace(microsecond=0)
    except ValueError:
        _fail(f"--scan-time {scan_time!r} is not an ISO date-time")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    thresholds = dict(DEFAULT_MATCH_THRESHOLDS)
    for item in match_threshold:
        kind, sep, score_s = item.partition("=")
        try:
            thresholds[kind.strip()] = float(score_s)
        except ValueError:
            sep = ""
        if not sep or not kind.strip():
            _fail(f"--match-threshold {item!r}: expected KIND=SCORE, e.g. minhash=0.6")
    columns = {
        k: v
        for k, v in {
            "id": id_col, "text": text_col, "content": bytes_col, "url": url_col, "headers": headers_col,
            "html_head": head_col, "source_category": category_col,
        }.items()
        if v
    }  # fmt: skip
    try:
        config = ScanConfig(
            purpose=Purpose.parse(purpose),
            registry=registry,
            scan_time=when,
            unknown=unknown,
            user_agent=user_agent,
            evidence_cache=str(evidence) if evidence else None,
            batch_size=batch_size,
            licensed_in_output=licensed == "include",
            iscc=iscc,
            columns=columns,
            match_thresholds=thresholds,
            url_only=url_only,
        )
        if grants:
            from dataclasses import replace

            from mediamanager.scan.steps.grants import load_grants

            covered, skipped = load_grants(grants, config=config, key_path=key, grant_key=grant_key)
            for why in skipped:
                typer.secho(f"grant not applied: {why}", fg="yellow", err=True)
            config = replace(config, grants=covered)
        from mediamanager.progress import ProgressLine

        with ProgressLine("scanning") as bar:
            summary = scan(
                input_path, out, config, fmt=fmt, engine=engine, workers=workers, resume=resume, key_path=key,
                ray_address=ray_address, progress=bar.advance, on_total=bar.set_total,
            )  # fmt: skip
    except RegistryUnavailableError as exc:
        _fail(
            f"registry unavailable: {exc}\nThe scan stopped; nothing was kept. Rerun with --resume when it is back."
        )
    except MediaManagerError as exc:
        _fail(str(exc))
    c = summary.counts
    typer.echo(
        f"{summary.total} items: {c['keep']} keep, {c['license']} license, {c['drop']} drop, {c['error']} error "
        f"in {summary.elapsed_s:.1f}s -> {summary.out}"
    )
    if submit:
        from mediamanager.cli.ledger_cmds import submit_scan_dir

        submit_scan_dir(summary.out, registry)


@scan_app.command(
    "verify",
    help="Check a scan's attestation: every output's sha256 and the builder's Ed25519 signature.\n\n"
    "Example: mediamanager scan verify scanned/",
)
def verify_cmd(
    out: Path = typer.Argument(..., metavar="DIR", help="A scan's output folder."),
    public_key: str | None = typer.Option(
        None, "--public-key", help="Expected signer (base64 raw Ed25519 key)."
    ),
) -> None:
    from mediamanager.errors import IntegrityError
    from mediamanager.scan.attest import verify_outputs

    try:
        att = verify_outputs(out, public_key=public_key)
    except IntegrityError as exc:
        _fail(str(exc), code=1)
    typer.echo(f"OK: {len(att['files'])} files verified, signed by key {att['key_id']} ({att['public_key']})")


@evidence_app.command(
    "fetch",
    help="Fetch headers, HTML head, robots.txt, ai.txt and tdmrep.json for URLs into an evidence cache.\n\n"
    "Example: mediamanager evidence fetch https://example.org/a.jpg --cache evidence.sqlite",
)
def evidence_fetch_cmd(
    urls: list[str] = typer.Argument(None, metavar="URLS", help="URLs to fetch."),
    from_file: Path | None = typer.Option(None, "--from", help="A file of URLs, one per line."),
    cache: Path = typer.Option(Path("evidence.sqlite"), "--cache", help="The cache file to fill."),
    user_agent: str = typer.Option("mediamanager-evidence/0.1", "--user-agent"),
    concurrency: int = typer.Option(8, "--concurrency", help="Workers in all."),
    per_host: int = typer.Option(2, "--per-host", help="Requests at once to one host."),
    rate: float = typer.Option(1.0, "--rate", help="Requests per second to one host."),
    retries: int = typer.Option(3, "--retries", help="Retries of a 5xx or 429 answer (exponential backoff)."),
    backoff: float = typer.Option(1.0, "--backoff", help="First retry wait in seconds (doubles each time)."),
    max_age: int = typer.Option(
        86400, "--max-age", help="Seconds a cached page (and, without max-age, robots.txt) stays fresh."
    ),
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Also fetch private and loopback addresses (tests, intranets)."
    ),
    timeout: float = typer.Option(15.0, "--timeout"),
) -> None:
    from mediamanager.scan.fetch import fetch_evidence

    todo = list(urls or [])
    if from_file is not None:
        todo += [line.strip() for line in from_file.read_text().splitlines() if line.strip()]
    if not todo:
        _fail("give URLS or --from FILE")
    if per_host < 1 or rate <= 0:
        _fail("--per-host must be at least 1 and --rate above 0")

    def progress(n: int, total: int, eta: float | None) -> None:
        if n == total or n % 100 == 0:
            typer.echo(f"{n}/{total} URLs, ETA {eta or 0:.0f}s", err=True)

    counts = fetch_evidence(
        todo,
        cache,
        user_agent=user_agent,
        timeout=timeout,
        concurrency=concurrency,
        per_host=per_host,
        rate=rate,
        retries=retries,
        backoff=backoff,
        max_age_s=max_age,
        allow_private=allow_private,
        on_done=lambda url, err: typer.echo(f"failed {url}: {err}", err=True) if err else None,
        on_progress=progress,
    )
    typer.echo(
        f"{counts['pages']} pages, {counts['sites']} sites, {counts['failed']} failed, "
        f"{counts['skipped']} skipped (fresh in the cache) -> {cache}"
    )


def register(app: typer.Typer) -> None:
    """Attach ``scan`` and ``evidence`` to the main app."""
    app.add_typer(scan_app, name="scan")
    app.add_typer(evidence_app, name="evidence")
