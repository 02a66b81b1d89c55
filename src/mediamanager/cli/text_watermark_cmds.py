"""``mediamanager watermark text``: make keys, generate watermarked text, detect the watermark."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from mediamanager.errors import MediaManagerError

__all__ = ["register", "text_app"]

_MAX_TEXT_BYTES = 20 * 1024 * 1024

text_app = typer.Typer(
    name="text",
    help="Statistical text watermark (KGW or SynthID-Text): keys, generation, detection.\n\n"
    "Example: mediamanager watermark text detect answer.txt --key-id prod-1 --json",
    no_args_is_help=True,
)

_KEYRING_HELP = "Keyring JSON file (default: $MEDIAMANAGER_TEXT_KEYRING or ~/.config/mediamanager/text-watermark-keys.json)."


def _keyring_path(keyring: Path | None) -> Path:
    from mediamanager.provenance.watermark.text_keys import default_keyring_path

    return keyring if keyring is not None else default_keyring_path()


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@text_app.command("keygen")
def keygen(
    key_id: str = typer.Option(..., "--key-id", help="Id of the new key."),
    scheme: str = typer.Option("kgw", help="kgw or synthid."),
    gamma: float = typer.Option(0.25, help="KGW green-list fraction."),
    delta: float = typer.Option(2.0, help="KGW logit bias."),
    context_width: int = typer.Option(1, help="KGW context width h (tokens hashed into the seed)."),
    self_hash: bool = typer.Option(
        False, "--self-hash/--left-hash", help="KGW seeding: SelfHash or LeftHash."
    ),
    keyring: Path | None = typer.Option(None, help=_KEYRING_HELP),
) -> None:
    """Create a key with a fresh random secret and add it to the keyring (the secret is never printed).

    Example: mediamanager watermark text keygen --key-id prod-1 --keyring keys.json
    """
    from mediamanager.provenance.watermark.text_keys import TextWatermarkKeyring, new_text_key

    path = _keyring_path(keyring)
    try:
        ring = TextWatermarkKeyring.load(path)
        key = new_text_key(
            key_id,
            scheme=scheme,
            gamma=gamma,
            delta=delta,
            context_width=context_width,
            self_hash=self_hash,
            vocab_size=None,
        )
        ring.add(key)
        ring.save(path)
    except MediaManagerError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps(key.public_dict(), indent=2))


@text_app.command("keys")
def keys(keyring: Path | None = typer.Option(None, help=_KEYRING_HELP)) -> None:
    """List the keys in the keyring: ids, parameters and check values, never the secrets.

    Example: mediamanager watermark text keys --keyring keys.json
    """
    from mediamanager.provenance.watermark.text_keys import TextWatermarkKeyring

    try:
        ring = TextWatermarkKeyring.load(_keyring_path(keyring))
    except MediaManagerError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps([k.public_dict() for k in ring], indent=2))


@text_app.command("retire")
def retire(
    key_id: str = typer.Option(..., "--key-id", help="Key to retire."),
    reactivate: bool = typer.Option(False, "--reactivate", help="Make a retired key active again."),
    keyring: Path | None = typer.Option(None, help=_KEYRING_HELP),
) -> None:
    """Retire a key: detection stops testing it by default, but it can still be named with --key-id.

    Example: mediamanager watermark text retire --key-id prod-1 --keyring keys.json
    """
    from mediamanager.provenance.watermark.text_keys import TextWatermarkKeyring

    path = _keyring_path(keyring)
    try:
        ring = TextWatermarkKeyring.load(path)
        ring.set_active(key_id, reactivate)
        ring.save(path)
    except MediaManagerError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps(ring.get(key_id).public_dict(), indent=2))


@text_app.command("generate")
def generate(
    key_id: str = typer.Option(..., "--key-id", help="Key that marks the output."),
    prompt: str = typer.Option(..., "--prompt", help="The prompt (a user turn of the chat template)."),
    max_new_tokens: int = typer.Option(200, "--max-new-tokens", min=1, max=4096, help="Tokens to generate."),
    temperature: float = typer.Option(1.0, min=0.01, help="Sampling temperature."),
    top_p: float = typer.Option(1.0, "--top-p", min=0.01, max=1.0, help="Nucleus sampling mass."),
    seed: int | None = typer.Option(None, help="Random seed, for reproducible samples."),
    chat: bool = typer.Option(
        True, "--chat/--raw", help="Wrap the prompt in the chat template, or continue it."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (text, key id, token count)."),
    keyring: Path | None = typer.Option(None, help=_KEYRING_HELP),
) -> None:
    """Generate watermarked text with the offline SmolLM2-135M-Instruct model.

    Example: mediamanager watermark text generate --key-id prod-1 --prompt "Write a poem about rivers" --max-new-tokens 120
    """
    from mediamanager.provenance.model_loader import TEXT_MODEL_NAME, load_text_model, load_text_tokenizer
    from mediamanager.provenance.watermark.text import generate_text
    from mediamanager.provenance.watermark.text_keys import TextWatermarkKeyring

    try:
        key = TextWatermarkKeyring.load(_keyring_path(keyring)).get(key_id)
        tokenizer = load_text_tokenizer()
        (out,) = generate_text(
            load_text_model(),
            tokenizer,
            [prompt],
            key,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            chat=chat,
            seed=seed,
        )
    except MediaManagerError as exc:
        raise _fail(exc) from None
    if as_json:
        payload = {
            "text": out.text,
            "key_id": out.key_id,
            "scheme": out.scheme,
            "model": TEXT_MODEL_NAME,
            "tokens": len(out.token_ids),
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        typer.echo(out.text)


def _read_text(file: str) -> str:
    if file == "-":
        data = sys.stdin.buffer.read(_MAX_TEXT_BYTES + 1)
    else:
        path = Path(file)
        if not path.is_file():
            raise typer.BadParameter(f"no such file: {file}", param_hint="FILE")
        with path.open("rb") as fh:
            data = fh.read(_MAX_TEXT_BYTES + 1)
    if len(data) > _MAX_TEXT_BYTES:
        raise typer.BadParameter(f"larger than {_MAX_TEXT_BYTES} bytes", param_hint="FILE")
    return data.decode("utf-8", errors="replace")


def _human(report: dict[str, Any]) -> str:
    lines = [f"verdict: {report['verdict']}" + (f" (key {report['key_id']})" if report["key_id"] else "")]
    for d in report["detections"]:
        z = "n/a" if d["z_score"] is None else f"{d['z_score']:.2f}"
        p = "n/a" if d["p_value_adjusted"] is None else f"{d['p_value_adjusted']:.3g}"
        lines.append(
            f"  {d['key_id']}: {d['verdict']}; z {z}, p {p}, {d['tokens_scored']} tokens scored; {d['reason']}"
        )
    return "\n".join(lines)


@text_app.command("detect")
def detect(
    file: str = typer.Argument(..., help="UTF-8 text file, or - for stdin."),
    key_id: list[str] | None = typer.Option(
        None, "--key-id", help="Key to test (repeatable). Default: all active keys."
    ),
    fpr: float = typer.Option(
        1e-5, help="False-positive rate: the largest corrected p-value called watermarked."
    ),
    correction: str = typer.Option(
        "holm", help="Multiple-testing correction across keys: holm, bonferroni, none."
    ),
    windowed: bool = typer.Option(
        False, "--windowed", help="WinMax: find a watermarked passage in a longer text."
    ),
    keep_repeats: bool = typer.Option(
        False, "--keep-repeated-ngrams", help="Score repeated n-grams too (not advised)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    keyring: Path | None = typer.Option(None, help=_KEYRING_HELP),
) -> None:
    """Test a text for the watermark of one key, or of every active key (model-free: key + tokenizer).

    Example: mediamanager watermark text detect answer.txt --key-id prod-1 --json
    """
    from mediamanager.provenance.model_loader import load_text_tokenizer
    from mediamanager.provenance.watermark.text_detect import detect_text
    from mediamanager.provenance.watermark.text_keys import TextWatermarkKeyring

    if correction not in ("holm", "bonferroni", "none"):
        raise typer.BadParameter("use holm, bonferroni or none", param_hint="--correction")
    text = _read_text(file)
    try:
        ring = TextWatermarkKeyring.load(_keyring_path(keyring))
        keys = [ring.get(k) for k in key_id] if key_id else ring.active()
        report = detect_text(
            text,
            keys,
            load_text_tokenizer(),
            fpr=fpr,
            correction=correction,
            windowed=windowed,
            ignore_repeated_ngrams=not keep_repeats,
        )
    except MediaManagerError as exc:
        raise _fail(exc) from None
    payload = report.to_dict()
    typer.echo(json.dumps(payload, indent=2) if as_json else _human(payload))


def register(app: typer.Typer) -> None:
    """Attach ``text`` under the ``watermark`` group that the provenance commands own."""
    try:
        from mediamanager.cli.provenance_cmds import watermark_app
    except ModuleNotFoundError as exc:
        if exc.name != "mediamanager.cli.provenance_cmds":
            raise
        # the provenance commands are absent: give `watermark` a home so `text` stays reachable
        watermark_app = typer.Typer(
            name="watermark",
            help="Watermarks.\n\nExample: mediamanager watermark text --help",
            no_args_is_help=True,
        )
        app.add_typer(watermark_app, name="watermark")
    watermark_app.add_typer(text_app, name="text")
