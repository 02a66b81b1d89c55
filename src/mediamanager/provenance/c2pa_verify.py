"""Verify C2PA Content Credentials and say, in plain fields, what they prove.

``verify_file`` answers: is the manifest store **Trusted** (valid and signed by a configured trust
anchor), **Valid** (intact, signer unknown), **Invalid** (with the failure codes as reasons), or
**Absent** (no Content Credentials). It never raises on bad media: a truncated file, garbage, a broken
JUMBF box or an unsupported format all give a report with a reason. ``ai_generated`` is true only for
an intact manifest whose actions declare a trained-algorithmic digital source type; a broken manifest
can claim anything, so its claims are reported but never turned into "AI-generated".

Offline: remote manifests are never fetched and OCSP is off.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from mediamanager.provenance.c2pa_sign import SIGNABLE_MIME_TYPES

__all__ = ["MAX_VERIFY_BYTES", "VerifyReport", "VerifyStatus", "verify_bytes", "verify_file"]

MAX_VERIFY_BYTES = 2 * 1024**3

_AI_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
# Codes c2pa-rs reports among failures that do not make a manifest invalid, only not trusted.
_TRUST_ONLY_CODES = frozenset({"signingCredential.untrusted", "cawg.x509.credential.untrusted"})
# Ingredient statuses recorded at ingest time mix success and failure codes (legacy format).
_FAILURE_PATTERN = re.compile(
    r"mismatch|missing|expired|revoked|invalid|malformed|notFound|outsideValidity|unsupported|error",
    re.IGNORECASE,
)


class VerifyStatus(StrEnum):
    """The verdict on a file's Content Credentials."""

    TRUSTED = "Trusted"
    VALID = "Valid"
    INVALID = "Invalid"
    ABSENT = "Absent"


@dataclass(frozen=True)
class VerifyReport:
    """Everything ``mediamanager verify`` prints, JSON-ready via :meth:`to_dict`."""

    file: str
    status: VerifyStatus
    reasons: tuple[str, ...] = ()
    c2pa_state: str | None = None
    manifest_id: str | None = None
    signer: dict[str, Any] = field(default_factory=dict)
    claim_generator: str | None = None
    digital_source_types: tuple[str, ...] = ()
    software_agents: tuple[str, ...] = ()
    ai_generated: bool = False
    training_mining: dict[str, Any] = field(default_factory=dict)
    soft_bindings: tuple[dict[str, Any], ...] = ()
    watermark: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


def _context(trust_pem: str | None) -> Any:
    import c2pa

    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_pem:
        settings["trust"] = {"user_anchors": trust_pem}
    return c2pa.Context.from_dict(settings)


def _mime_for(name: str, data: bytes) -> str | None:
    mime = SIGNABLE_MIME_TYPES.get(Path(name).suffix.lower())
    if mime:
        return mime
    sniff = {
        b"\xff\xd8\xff": "image/jpeg",
        b"\x89PNG": "image/png",
        b"%PDF": "application/pdf",
        b"GIF8": "image/gif",
        b"ID3": "audio/mpeg",
    }
    for magic, sniffed in sniff.items():
        if data.startswith(magic):
            return sniffed
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    return None


def _reason(entry: dict[str, Any], prefix: str = "") -> str:
    text = f"{entry.get('code', '?')}: {entry.get('explanation', '')}".rstrip(": ")
    return f"{prefix}{text}"


def _active_failures(store: dict[str, Any]) -> list[dict[str, Any]]:
    results = store.get("validation_results") or {}
    active = results.get("activeManifest")
    if active is not None:
        return list(active.get("failure") or [])
    return [s for s in store.get("validation_status") or [] if _FAILURE_PATTERN.search(s.get("code", ""))]


def _ingredient_failures(store: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    reasons: list[str] = []
    for delta in (store.get("validation_results") or {}).get("ingredientDeltas") or []:
        for entry in (delta.get("validationDeltas") or {}).get("failure") or []:
            if entry.get("code") not in _TRUST_ONLY_CODES:
                reasons.append(_reason(entry, "ingredient: "))
    for ingredient in manifest.get("ingredients") or []:
        title = ingredient.get("title", "?")
        for entry in ingredient.get("validation_status") or []:
            code = entry.get("code", "")
            if code not in _TRUST_ONLY_CODES and _FAILURE_PATTERN.search(code):
                reasons.append(_reason(entry, f"ingredient {title}: "))
    return list(dict.fromkeys(reasons))


def _assertions(manifest: dict[str, Any], *labels: str) -> list[dict[str, Any]]:
    out = []
    for assertion in manifest.get("assertions") or []:
        label = str(assertion.get("label", ""))
        base = re.sub(r"(\.v\d+)?(__\d+)?$", "", label)
        if base in labels:
            out.append(assertion)
    return out


def _how_made(manifest: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    sources: list[str] = []
    agents: list[str] = []
    for assertion in _assertions(manifest, "c2pa.actions"):
        for action in (assertion.get("data") or {}).get("actions") or []:
            if dst := action.get("digitalSourceType"):
                sources.append(str(dst))
            agent = action.get("softwareAgent")
            if isinstance(agent, dict) and agent.get("name"):
                agents.append(f"{agent['name']} {agent.get('version', '')}".strip())
            elif isinstance(agent, str):
                agents.append(agent)
    return tuple(dict.fromkeys(sources)), tuple(dict.fromkeys(agents))


def _training_mining(manifest: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for assertion in _assertions(manifest, "cawg.training-mining", "c2pa.training-mining"):
        entries = (assertion.get("data") or {}).get("entries") or {}
        if isinstance(entries, dict):
            out.update(entries)
    return out


def _soft_bindings(manifest: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    out = []
    for assertion in _assertions(manifest, "c2pa.soft-binding"):
        data = assertion.get("data") or {}
        values = [b.get("value") for b in data.get("blocks") or [] if isinstance(b, dict)]
        out.append({"alg": data.get("alg"), "values": values})
    return tuple(out)


def _claim_generator(manifest: dict[str, Any]) -> str | None:
    if manifest.get("claim_generator"):
        return str(manifest["claim_generator"])
    info = manifest.get("claim_generator_info") or []
    if info and isinstance(info[0], dict):
        return f"{info[0].get('name', '')} {info[0].get('version', '')}".strip() or None
    return None


def verify_bytes(
    data: bytes, name: str = "asset", *, trust_pem: str | None = None, detect_watermark: bool = True
) -> VerifyReport:
    """Verify the Content Credentials in ``data`` (``name`` gives the format by extension)."""
    import c2pa

    watermark = _detect_watermark(data) if detect_watermark else None
    mime = _mime_for(name, data)
    if mime is None:
        return VerifyReport(
            name, VerifyStatus.INVALID, ("unsupported or unrecognised format",), watermark=watermark
        )
    try:
        with c2pa.Reader(mime, io.BytesIO(data), context=_context(trust_pem)) as reader:
            state = str(reader.get_validation_state() or "")
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return VerifyReport(name, VerifyStatus.ABSENT, ("no Content Credentials found",), watermark=watermark)
    except c2pa.C2paError.NotSupported as exc:
        return VerifyReport(name, VerifyStatus.INVALID, (f"unsupported format: {exc}",), watermark=watermark)
    except c2pa.C2paError.RemoteManifest as exc:
        reason = f"manifest is remote and remote fetch is off: {exc}"
        return VerifyReport(name, VerifyStatus.INVALID, (reason,), watermark=watermark)
    except (c2pa.C2paError, ValueError, OSError) as exc:
        if str(exc).startswith("Remote"):
            reason = f"the manifest is remote and remote fetch is off (offline): {exc}"
            return VerifyReport(name, VerifyStatus.INVALID, (reason,), watermark=watermark)
        reason = f"cannot read Content Credentials ({type(exc).__name__}): {exc}"
        return VerifyReport(name, VerifyStatus.INVALID, (reason,), watermark=watermark)

    active_id = store.get("active_manifest")
    manifest = (store.get("manifests") or {}).get(active_id) or {}
    failures = _active_failures(store)
    hard = [_reason(f) for f in failures if f.get("code") not in _TRUST_ONLY_CODES]
    hard += _ingredient_failures(store, manifest)
    if not manifest:
        hard.append("no active manifest in the manifest store")
    trust_notes = [_reason(f) for f in failures if f.get("code") in _TRUST_ONLY_CODES]
    if hard or state == "Invalid":
        status = VerifyStatus.INVALID
        reasons = tuple(hard or ["c2pa reported the manifest store as Invalid"])
    elif state == "Trusted":
        status, reasons = VerifyStatus.TRUSTED, ()
    else:
        status, reasons = (
            VerifyStatus.VALID,
            tuple(trust_notes or ["signer is not on a configured trust list"]),
        )
    sources, agents = _how_made(manifest)
    intact = status in (VerifyStatus.TRUSTED, VerifyStatus.VALID)
    return VerifyReport(
        file=name,
        status=status,
        reasons=reasons,
        c2pa_state=state or None,
        manifest_id=active_id,
        signer=dict(manifest.get("signature_info") or {}),
        claim_generator=_claim_generator(manifest),
        digital_source_types=sources,
        software_agents=agents,
        ai_generated=intact and any(s.endswith(_AI_SOURCE_TYPES) for s in sources),
        training_mining=_training_mining(manifest),
        soft_bindings=_soft_bindings(manifest),
        watermark=watermark,
    )


def _detect_watermark(data: bytes) -> dict[str, Any] | None:
    """Run the image watermark detector when ``data`` is a raster image; None for other media."""
    from mediamanager.errors import InputError
    from mediamanager.provenance.watermark.image import detect_image_bytes

    try:
        return detect_image_bytes(data).to_dict()
    except InputError:
        return None


def verify_file(
    path: str | Path, *, trust: str | Path | None = None, detect_watermark: bool = True
) -> VerifyReport:
    """Verify the Content Credentials of the file at ``path``; ``trust`` is a PEM file of root CAs."""
    from mediamanager.errors import InputError, MediaTooLargeError

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p} is not a readable file")
    if p.stat().st_size > MAX_VERIFY_BYTES:
        raise MediaTooLargeError(f"{p.name} is larger than {MAX_VERIFY_BYTES} bytes")
    trust_pem = None
    if trust:
        from cryptography import x509

        trust_pem = Path(trust).read_text(errors="replace")
        try:
            x509.load_pem_x509_certificates(trust_pem.encode())
        except ValueError:
            raise InputError(f"{trust} holds no PEM certificate to trust") from None
    return verify_bytes(p.read_bytes(), p.name, trust_pem=trust_pem, detect_watermark=detect_watermark)
