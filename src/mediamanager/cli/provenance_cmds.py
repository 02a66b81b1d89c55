"""CLI for provenance: ``sign``, ``verify``, ``keys init`` and ``watermark image embed|detect``.

``watermark_app`` is importable so that other modules (the text watermark) add their own groups to
``mediamanager watermark``.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from pathlib import Path
from typing import Any

import typer

__all__ = ["image_app", "keys_app", "register", "watermark_app"]

watermark_app = typer.Typer(
    help="Invisible watermarks on generated media.\n\nExample: mediamanager watermark image detect out.png --json",
    no_args_is_help=True,
)
image_app = typer.Typer(
    help="Image watermark (scheme dft-tile.1, 32-bit payload).\n\n"
    "Example: mediamanager watermark image embed in.png --out marked.png",
    no_args_is_help=True,
)
keys_app = typer.Typer(
    help="Signing keys for Content Credentials.\n\nExample: mediamanager keys init ./pki",
    no_args_is_help=True,
)
watermark_app.add_typer(image_app, name="image")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
        return
    for k, v in data.items():
        typer.echo(f"{k}: {v}")


@keys_app.command("init")
def keys_init(
    directory: Path = typer.Argument(..., help="Folder to write the test PKI into."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing keys."),
) -> None:
    """Write a test PKI (root -> intermediate -> signer) that C2PA accepts.

    Example: mediamanager keys init ./pki
    """
    from mediamanager.errors import MediaManagerError
    from mediamanager.provenance.keys import init_test_pki

    try:
        paths = init_test_pki(directory, overwrite=force)
    except MediaManagerError as exc:
        _fail(str(exc))
    typer.echo(f"signer key:   {paths.signer_key}")
    typer.echo(f"cert chain:   {paths.chain}")
    typer.echo(f"trust anchor: {paths.root_cert}")


def _store_record(target: str, record: Any, token: str | None) -> None:
    """Store a manifest record in a registry database URL or through the HTTP API."""
    if target.startswith(("http://", "https://")):
        import base64

        if not token:
            _fail(
                "--register URL needs --token: a registry API token (mediamanager owners create / tokens create)"
            )

        from mediamanager.client import RegistryApi
        from mediamanager.errors import MediaManagerError

        body = {
            "manifestId": record.manifest_id,
            "format": record.format,
            "manifest": record.manifest_json,
            "manifestBytes": base64.b64encode(record.manifest_bytes).decode()
            if record.manifest_bytes
            else None,
            "pdq": record.pdq,
            "pdqQuality": record.pdq_quality,
            "softBindings": [{"alg": b.alg, "value": b.value} for b in record.bindings],
        }
        try:
            with RegistryApi(target, token, timeout=30) as api:
                api.publish_manifest(body)
        except MediaManagerError as exc:
            _fail(f"registry refused the manifest: {exc}")
        return
    from mediamanager.provenance.repository import ManifestRepository
    from mediamanager.registry.store.engine import make_engine, upgrade_schema

    engine = make_engine(target)
    try:
        upgrade_schema(engine)
        ManifestRepository(engine).add(record)
    finally:
        engine.dispose()


def sign(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The generated asset to sign."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the signed asset."),
    key: Path = typer.Option(..., "--key", exists=True, dir_okay=False, help="Signer private key (PEM)."),
    cert: Path = typer.Option(
        ..., "--cert", exists=True, dir_okay=False, help="Signer + intermediates (PEM)."
    ),
    model: str | None = typer.Option(None, "--model", help="Name of the generating model (software agent)."),
    model_version: str | None = typer.Option(None, "--model-version", help="Version of the model."),
    prompt_hash: str | None = typer.Option(
        None, "--prompt-hash", help="SHA-256 hex of the prompt (never the prompt)."
    ),
    preferences: str | None = typer.Option(
        None, "--preferences", help="Training-mining preferences, e.g. 'genai-train=deny,ai-input=allow'."
    ),
    watermark: bool = typer.Option(
        False, "--watermark", help="Embed the image watermark and a soft binding."
    ),
    register_to: str | None = typer.Option(
        None, "--register", help="Store the manifest in a manifest repository: database URL or API base URL."
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="MEDIAMANAGER_TOKEN",
        help="Registry API token (mm_..., from 'owners create' or 'tokens create') for --register URL; "
        "visible in the process list: prefer env MEDIAMANAGER_TOKEN or 'mediamanager --token-file FILE'.",
    ),
    tsa_url: str | None = typer.Option(
        None, "--tsa-url", help="RFC 3161 timestamp authority (off by default)."
    ),
    thumbnail: bool = typer.Option(False, "--thumbnail", help="Embed a thumbnail (off by default)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Sign generated media with C2PA Content Credentials (created by a trained model).

    Example: mediamanager sign gen.png --out signed.png --key pki/signer.key --cert pki/chain.pem --model sdxl --watermark
    """
    from mediamanager.cli.token_source import resolve_token
    from mediamanager.errors import MediaManagerError
    from mediamanager.model import parse_preference_spec
    from mediamanager.provenance.c2pa_sign import mime_type_for, sign_file
    from mediamanager.provenance.resolve import binding_value, record_for_signed_asset
    from mediamanager.provenance.watermark.image import embed_image_file, watermark_key

    try:
        token = resolve_token(token)
    except MediaManagerError as exc:
        _fail(str(exc))
    if register_to and register_to.startswith(("http://", "https://")) and not token:
        _fail(
            "--register URL needs --token: a registry API token (mediamanager owners create / tokens create)"
        )
    try:
        prefs = parse_preference_spec(preferences, source="sign --preferences") if preferences else None
        mime = mime_type_for(file)
        payload: int | None = None
        source = file
        with tempfile.TemporaryDirectory() as tmp:
            if watermark:
                if not mime.startswith("image/") or mime in ("image/svg+xml", "image/gif"):
                    _fail(f"--watermark works on raster still images, not {mime}")
                payload = secrets.randbits(32)
                source = embed_image_file(
                    file, Path(tmp) / f"marked{file.suffix.lower()}", payload, key=watermark_key()
                )
            result = sign_file(
                source,
                out,
                key=key,
                cert_chain=cert,
                model=model,
                model_version=model_version,
                preferences=prefs,
                soft_binding=None if payload is None else payload.to_bytes(4, "big"),
                prompt_hash=prompt_hash,
                tsa_url=tsa_url,
                thumbnail=thumbnail,
            )
        if register_to:
            record = record_for_signed_asset(
                out.read_bytes(),
                mime=mime,
                manifest_id=result.manifest_id,
                manifest_json=result.manifest_json,
                manifest_bytes=result.manifest_bytes or None,
                payload=payload,
            )
            _store_record(register_to, record, token)
    except MediaManagerError as exc:
        _fail(str(exc))
    data: dict[str, Any] = {"output": str(out), "manifest_id": result.manifest_id}
    if payload is not None:
        data["watermark_payload"] = f"{payload:08x}"
        data["soft_binding"] = binding_value(payload)
    if register_to:
        data["registered"] = True
    _print(data, as_json)


def verify(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The asset to verify."),
    trust: Path | None = typer.Option(
        None, "--trust", exists=True, dir_okay=False, help="Trusted root CAs (PEM)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Verify Content Credentials: Trusted, Valid, Invalid (with reasons) or Absent.

    Exit status: 0 Trusted or Valid, 1 Invalid, 3 Absent.

    Example: mediamanager verify signed.png --trust pki/root.pem --json
    """
    from mediamanager.errors import MediaManagerError
    from mediamanager.provenance.c2pa_verify import VerifyStatus, verify_file

    try:
        report = verify_file(file, trust=trust)
    except MediaManagerError as exc:
        _fail(str(exc))
    _print(report.to_dict(), as_json)
    code = {VerifyStatus.INVALID: 1, VerifyStatus.ABSENT: 3}.get(report.status, 0)
    raise typer.Exit(code)


@image_app.command("embed")
def image_embed(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Image to mark."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the marked image."),
    manifest_id: str | None = typer.Option(
        None, "--manifest-id", help="Derive the payload from this manifest id."
    ),
    payload_hex: str | None = typer.Option(None, "--payload", help="Explicit 32-bit payload (8 hex digits)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Embed the invisible watermark (32-bit payload) into an image.

    Example: mediamanager watermark image embed gen.png --out marked.png --manifest-id urn:c2pa:1234
    """
    from mediamanager.errors import MediaManagerError
    from mediamanager.provenance.resolve import binding_value
    from mediamanager.provenance.watermark.image import (
        embed_image_file,
        payload_from_manifest_id,
        watermark_key,
    )

    if manifest_id and payload_hex:
        _fail("give --manifest-id or --payload, not both")
    try:
        if payload_hex:
            payload = int(payload_hex, 16)
            if not 0 <= payload < 2**32:
                raise ValueError
        else:
            payload = payload_from_manifest_id(manifest_id) if manifest_id else secrets.randbits(32)
    except ValueError:
        _fail("--payload must be 1 to 8 hex digits")
    try:
        embed_image_file(file, out, payload, key=watermark_key())
    except MediaManagerError as exc:
        _fail(str(exc))
    _print({"output": str(out), "payload": f"{payload:08x}", "soft_binding": binding_value(payload)}, as_json)


def _resolve_remote(target: str, data: bytes, payload: int | None) -> dict[str, Any]:
    from mediamanager.provenance.resolve import binding_value
    from mediamanager.provenance.watermark.image import ALG

    if target.startswith(("http://", "https://")):
        from mediamanager.client import RegistryApi

        with RegistryApi(target, "", timeout=30) as api:
            if payload is not None:
                found = api.matches_by_binding(ALG, binding_value(payload))
                if found.get("matches"):
                    return {"method": "watermark", **found}
            return dict(api.matches_by_content(data))
    from mediamanager.provenance.repository import ManifestRepository
    from mediamanager.provenance.resolve import resolve_image_bytes
    from mediamanager.registry.store.engine import make_engine

    engine = make_engine(target)
    try:
        res = resolve_image_bytes(data, ManifestRepository(engine))
        return {
            "method": res.method,
            "matches": [{"manifestId": m} for m in res.manifest_ids],
            "pdq_distance": res.pdq_distance,
            "notes": list(res.notes),
        }
    finally:
        engine.dispose()


@image_app.command("detect")
def image_detect(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Image to examine."),
    registry: str | None = typer.Option(
        None, "--registry", help="Resolve the manifest: API base URL or registry database URL."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Detect the image watermark; report payload, bit agreement and false-positive probability.

    Example: mediamanager watermark image detect marked.jpg --json --registry http://127.0.0.1:8000
    """
    from mediamanager.errors import MediaManagerError
    from mediamanager.provenance.watermark.image import detect_image_bytes, watermark_key

    data = file.read_bytes()
    try:
        detection = detect_image_bytes(data, key=watermark_key())
        out = detection.to_dict()
        if registry:
            out["resolved"] = _resolve_remote(registry, data, detection.payload)
    except MediaManagerError as exc:  # the registry's failures too (RegistryApi maps them)
        _fail(str(exc))
    _print(out, as_json)


def register(app: typer.Typer) -> None:
    """Attach the provenance commands to the ``mediamanager`` app."""
    app.command("sign")(sign)
    app.command("verify")(verify)
    app.add_typer(keys_app, name="keys")
    app.add_typer(watermark_app, name="watermark")
