"""Sign generated media with C2PA Content Credentials (c2pa-python), offline by default.

The manifest says the asset was *created* by a trained algorithmic model (IPTC digital source type
``trainedAlgorithmicMedia``) and names the model as the software agent. Optional assertions: the
creator's training-and-mining preferences (``cawg.training-mining``), a soft binding that points at the
invisible watermark embedded in the pixels (``c2pa.soft-binding``), and a SHA-256 of the prompt
(``org.mediamanager.prompt-hash``: the hash only, never the prompt).

Offline by default: no timestamp authority unless ``tsa_url`` is given, no thumbnail unless asked,
and the verifying read-back never fetches a remote manifest.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediamanager import __version__
from mediamanager.errors import InputError, ProvenanceError, UnsupportedMediaError
from mediamanager.model import Preferences, Use

__all__ = [
    "SIGNABLE_MIME_TYPES",
    "SOFT_BINDING_ALG",
    "TRAINED_ALGORITHMIC_MEDIA",
    "SignResult",
    "build_manifest",
    "mime_type_for",
    "sign_file",
    "training_mining_assertion",
]

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# Our watermark is not (yet) on the C2PA soft-binding algorithm list, so it gets a reverse-DNS id of ours.
SOFT_BINDING_ALG = "org.mediamanager.watermark.dft-tile.1"

# Extension -> MIME type for every format c2pa-python 0.38 signs that the issue names.
SIGNABLE_MIME_TYPES: Mapping[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".gif": "image/gif",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".dng": "image/x-adobe-dng",
    ".svg": "image/svg+xml",
    ".jxl": "image/jxl",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".m4v": "video/x-m4v",
    ".avi": "video/x-msvideo",
    ".pdf": "application/pdf",
}

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True, slots=True)
class SignResult:
    """What signing produced: the new manifest's label and the signed file."""

    manifest_id: str
    output: Path
    manifest_bytes: bytes
    manifest_json: dict[str, Any]


def mime_type_for(path: str | Path) -> str:
    """The MIME type c2pa-python expects for ``path``, from its extension."""
    suffix = Path(path).suffix.lower()
    try:
        return SIGNABLE_MIME_TYPES[suffix]
    except KeyError:
        known = ", ".join(sorted(SIGNABLE_MIME_TYPES))
        raise UnsupportedMediaError(
            f"cannot sign {suffix or 'files without extension'}; known: {known}"
        ) from None


def training_mining_assertion(preferences: Preferences) -> list[dict[str, Any]]:
    """The training-and-mining assertions for the stated purposes (empty when nothing is stated).

    Delegates to :func:`mediamanager.signals.c2pa_tm.training_mining_assertions` so that signing and
    reading share one crosswalk (both ``cawg.`` and legacy ``c2pa.`` labels are written).
    """
    from mediamanager.signals.c2pa_tm import training_mining_assertions

    if not any(rule.use is not Use.UNKNOWN for _, rule in preferences):
        return []
    return training_mining_assertions(preferences)


def build_manifest(
    *,
    title: str,
    model: str | None = None,
    model_version: str | None = None,
    preferences: Preferences | None = None,
    soft_binding: bytes | None = None,
    prompt_hash: str | None = None,
) -> dict[str, Any]:
    """The manifest definition (c2pa-python JSON) for one generated asset."""
    agent: dict[str, str] = {"name": model or "unknown-model"}
    if model_version:
        agent["version"] = model_version
    assertions: list[dict[str, Any]] = [
        {
            "label": "c2pa.actions",
            "data": {
                "actions": [
                    {
                        "action": "c2pa.created",
                        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                        "softwareAgent": agent,
                    }
                ]
            },
        }
    ]
    if preferences is not None:
        assertions.extend(training_mining_assertion(preferences))
    if soft_binding is not None:
        assertions.append(
            {
                "label": "c2pa.soft-binding",
                "data": {
                    "alg": SOFT_BINDING_ALG,
                    "pad": [],
                    "blocks": [{"scope": {}, "value": base64.b64encode(soft_binding).decode("ascii")}],
                },
            }
        )
    if prompt_hash is not None:
        if not _HEX64.match(prompt_hash):
            raise InputError("--prompt-hash must be a SHA-256 hex digest (64 hex characters)")
        assertions.append(
            {"label": "org.mediamanager.prompt-hash", "data": {"alg": "sha256", "hash": prompt_hash.lower()}}
        )
    return {
        "claim_generator_info": [{"name": "mediamanager", "version": __version__}],
        "title": title,
        "assertions": assertions,
    }


def _context(*, thumbnail: bool, trust_pem: str | None = None) -> Any:
    import c2pa

    settings: dict[str, Any] = {
        "builder": {"thumbnail": {"enabled": thumbnail}},
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    }
    if trust_pem:
        settings["trust"] = {"user_anchors": trust_pem}
    return c2pa.Context.from_dict(settings)


def _algorithm_for(key_pem: bytes) -> Any:
    """Pick the C2PA signing algorithm from the private key type."""
    import c2pa
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"the signing key is not an unencrypted PEM private key: {exc}") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {
            256: c2pa.C2paSigningAlg.ES256,
            384: c2pa.C2paSigningAlg.ES384,
            521: c2pa.C2paSigningAlg.ES512,
        }[key.curve.key_size]
    if isinstance(key, rsa.RSAPrivateKey):
        return c2pa.C2paSigningAlg.PS256
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return c2pa.C2paSigningAlg.ED25519
    raise InputError(f"unsupported key type {type(key).__name__}; use EC P-256/384/521, RSA or Ed25519")


def sign_file(
    src: str | Path,
    out: str | Path,
    *,
    key: str | Path,
    cert_chain: str | Path,
    model: str | None = None,
    model_version: str | None = None,
    preferences: Preferences | None = None,
    soft_binding: bytes | None = None,
    prompt_hash: str | None = None,
    tsa_url: str | None = None,
    thumbnail: bool = False,
) -> SignResult:
    """Sign ``src`` into ``out`` with the PEM ``key`` and ``cert_chain`` (signer first, no root).

    Raises :class:`ProvenanceError` when c2pa-python refuses (bad certificate profile, broken input).
    """
    import c2pa

    src_path, out_path = Path(src), Path(out)
    mime = mime_type_for(src_path)
    if mime_type_for(out_path) != mime:
        raise InputError(f"output {out_path.name} must have the same format as input {src_path.name}")
    if src_path.resolve() == out_path.resolve():
        raise InputError("output must differ from input: signing never overwrites the original")
    key_pem, chain_pem = Path(key).read_bytes(), Path(cert_chain).read_bytes()
    alg = _algorithm_for(key_pem)
    manifest = build_manifest(
        title=out_path.name,
        model=model,
        model_version=model_version,
        preferences=preferences,
        soft_binding=soft_binding,
        prompt_hash=prompt_hash,
    )
    context = _context(thumbnail=thumbnail)
    sink = io.BytesIO()
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, chain_pem, key_pem, tsa_url))
        with src_path.open("rb") as source, c2pa.Builder(json.dumps(manifest), context=context) as builder:
            manifest_bytes = builder.sign(signer, mime, source, sink)
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"c2pa refused to sign {src_path.name}: {exc}") from exc
    out_path.write_bytes(sink.getvalue())
    try:
        with c2pa.Reader(mime, io.BytesIO(sink.getvalue()), context=context) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"signed {out_path.name} but could not read it back: {exc}") from exc
    return SignResult(
        manifest_id=str(store.get("active_manifest", "")),
        output=out_path,
        manifest_bytes=bytes(manifest_bytes or b""),
        manifest_json=store,
    )
