"""Read and embed C2PA / CAWG training-and-data-mining assertions, through c2pa-python.

Two generations of the same assertion exist and both are read:

* ``c2pa.training-mining`` (C2PA 1.x; removed in C2PA 2.0, still written by Adobe's tools);
* ``cawg.training-mining`` (CAWG 1.1, the current home).

Each carries ``entries`` (older files sometimes put them at the top level) keyed by
``c2pa.``/``cawg.`` ``data_mining``, ``ai_training``, ``ai_generative_training`` and
``ai_inference``, each ``{"use": "allowed" | "notAllowed" | "constrained", "constraint_info": str}``.
Both prefixes are accepted under either label, and so are ``constraint_info`` and the spelling
``constraints_info`` used in the CAWG prose.

Mapping (architecture crosswalk): ``data_mining`` -> ``tdm``, ``ai_training`` -> ``ai-train``,
``ai_generative_training`` -> ``genai-train``, ``ai_inference`` -> ``ai-input``. ``allowed`` -> allow,
``notAllowed`` -> deny, ``constrained`` -> **allow-if** with the constraint kept as a condition, never
a plain allow. C2PA has no entry for ``search``.

Only the *active* manifest speaks for the file. A manifest that fails validation (tampered data,
broken signature, expired certificate) yields an error entry; its denials are still kept (a tampered
file cannot gain permission, a refusal costs nothing), its allows are recorded as errors and never
count. An untrusted signer (no trust list offline) is noted in ``detail`` but is not an error.
No network: remote manifests are not fetched and are reported as errors.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from mediamanager.errors import InvalidPreferenceError, ProvenanceError
from mediamanager.model import Conditions, Evidence, Preferences, Purpose, Use

__all__ = [
    "C2PA_LABELS",
    "conditions_from_constraint",
    "conditions_to_constraint",
    "embed_c2pa",
    "has_manifest",
    "isolated_main",
    "read_c2pa",
    "training_mining_assertions",
]

C2PA_LABELS = {"c2pa.training-mining": "c2pa", "cawg.training-mining": "cawg"}

_ENTRY_PURPOSE = {
    "data_mining": Purpose.TDM,
    "ai_training": Purpose.AI_TRAIN,
    "ai_generative_training": Purpose.GENAI_TRAIN,
    "ai_inference": Purpose.AI_INPUT,
}
_PURPOSE_ENTRY = {p: name for name, p in _ENTRY_PURPOSE.items()}
_USE = {"allowed": Use.ALLOW, "notAllowed": Use.DENY, "constrained": Use.ALLOW_IF}

# Validation codes that say nothing against the content itself: offline we have no trust list
# and no OCSP responder.
_BENIGN_CODES = frozenset(
    {
        "signingCredential.untrusted",
        "signingCredential.ocsp.skipped",
        "signingCredential.ocsp.inaccessible",
        "cawg.x509.credential.untrusted",
        "timeStamp.untrusted",
    }
)
_MAX_TEXT = 2000  # longest constraint text kept in evidence
# JUMBF description box (type "jumd") of a C2PA manifest store: UUID-less label "c2pa".
_C2PA_STORE_SIGNATURE = b"jumdc2pa"
_CONDITIONS_PREFIX = "mediamanager-conditions:"


def _c2pa() -> Any:
    # c2pa-python is a core dependency; imported lazily because loading its native library costs time.
    import c2pa

    return c2pa


def _context(c2pa: Any, trust_anchors: str | None) -> Any:
    settings: dict[str, Any] = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
        "builder": {"thumbnail": {"enabled": False}},
    }
    if trust_anchors:
        settings["trust"] = {"user_anchors": trust_anchors}
    return c2pa.Context.from_dict(settings)


def conditions_from_constraint(text: str | None) -> Conditions:
    """Conditions for a ``constrained`` entry, from its free-text ``constraint_info``.

    A bare http(s) URL is a licence; our own exact encoding (written by
    :func:`conditions_to_constraint`) is decoded; anything else is kept verbatim as a note.
    """
    if not text or not text.strip():
        return Conditions(note="constrained (no constraint_info given)")
    text = text.strip()[:_MAX_TEXT]
    if text.startswith(_CONDITIONS_PREFIX):
        try:
            return Conditions.from_dict(json.loads(text[len(_CONDITIONS_PREFIX) :]))
        except (ValueError, TypeError, KeyError, ArithmeticError):
            return Conditions(note=text)
    if text.startswith(("http://", "https://")) and not any(c.isspace() for c in text):
        return Conditions(licence_url=text)
    return Conditions(note=text)


def conditions_to_constraint(conditions: Conditions) -> str:
    """The ``constraint_info`` text for conditions: a URL or note as is, else an exact encoding."""
    for simple in (conditions.licence_url, conditions.note):
        if simple and conditions_from_constraint(simple) == conditions:
            return simple
    return _CONDITIONS_PREFIX + json.dumps(conditions.to_dict(), sort_keys=True, separators=(",", ":"))


def training_mining_assertions(prefs: Preferences) -> list[dict[str, Any]]:
    """The ``cawg.training-mining`` and legacy ``c2pa.training-mining`` assertions stating ``prefs``.

    Both labels are written, as Adobe's tools do, because Verify still reads only the legacy one.
    Raises :class:`InvalidPreferenceError` for a statement C2PA cannot carry (``search``), so that
    nothing is dropped silently.
    """
    entries: dict[str, dict[str, str]] = {}
    for purpose, rule in prefs:
        if rule.use is Use.UNKNOWN:
            continue
        name = _PURPOSE_ENTRY.get(purpose)
        if name is None:
            raise InvalidPreferenceError(
                f"C2PA training-mining has no entry for {purpose.value!r}; embed it as XMP instead"
            )
        entry: dict[str, str] = {
            "use": {Use.ALLOW: "allowed", Use.DENY: "notAllowed", Use.ALLOW_IF: "constrained"}[rule.use]
        }
        if rule.use is Use.ALLOW_IF:
            entry["constraint_info"] = conditions_to_constraint(rule.conditions)
        entries[name] = entry
    return [
        {"label": label, "data": {"entries": {f"{prefix}.{k}": dict(v) for k, v in sorted(entries.items())}}}
        for label, prefix in (("cawg.training-mining", "cawg"), ("c2pa.training-mining", "c2pa"))
    ]


def _entries_of(data: Any) -> Mapping[str, Any] | None:
    if not isinstance(data, Mapping):
        return None
    entries = data.get("entries")
    if isinstance(entries, Mapping):
        return entries
    # C2PA 1.x CDDL omitted the wrapper; tolerate entries at the top level.
    flat = {k: v for k, v in data.items() if isinstance(k, str) and k.partition(".")[2] in _ENTRY_PURPOSE}
    return flat or None


def _assertion_evidence(
    label: str, data: Any, location: str, detail: str, invalid_reason: str | None
) -> list[Evidence]:
    source = C2PA_LABELS[label]
    entries = _entries_of(data)
    if entries is None:
        return [
            Evidence(
                source=source,
                raw=json.dumps(data, default=str)[:_MAX_TEXT],
                location=location,
                error=f"{label} assertion has no entries map",
            )
        ]
    out: list[Evidence] = []
    for key, entry in entries.items():
        prefix, _, name = str(key).partition(".")
        purpose = _ENTRY_PURPOSE.get(name) if prefix in ("c2pa", "cawg") else None
        raw = json.dumps({key: entry}, default=str, sort_keys=True)[:_MAX_TEXT]
        where = f"{location}/{key}"
        if purpose is None:
            # A custom entry we do not understand: kept as evidence, about no purpose.
            out.append(Evidence(source=source, raw=raw, location=where, detail="unrecognised entry"))
            continue
        use_s = entry.get("use") if isinstance(entry, Mapping) else None
        use = _USE.get(use_s) if isinstance(use_s, str) else None
        if use is None:
            out.append(
                Evidence(
                    source, raw, where, purpose=purpose, error=f"entry {key} has no valid use: {use_s!r}"
                )
            )
            continue
        conditions = Conditions()
        if use is Use.ALLOW_IF:
            assert isinstance(entry, Mapping)
            info = entry.get("constraint_info", entry.get("constraints_info"))
            conditions = conditions_from_constraint(info if isinstance(info, str) else None)
        if invalid_reason is not None and use is not Use.DENY:
            out.append(
                Evidence(
                    source,
                    raw,
                    where,
                    purpose=purpose,
                    error=f"{use.value} from an invalid manifest does not count: {invalid_reason}",
                )
            )
            continue
        out.append(
            Evidence(source, raw, where, purpose=purpose, use=use, conditions=conditions, detail=detail)
        )
    return out


# c2pa-rs's PDF parser can take tens of seconds on a few hundred KB of crafted cross-reference
# data; PDFs are therefore read in a child process that is killed after this many seconds.
ISOLATED_TIMEOUT_S = 10.0
_ISOLATED_MIME = frozenset({"application/pdf"})


def _may_carry_manifest(content: bytes) -> bool:
    """Whether ``content`` holds a manifest store or points at a remote one (cheap, before parsing)."""
    return _C2PA_STORE_SIGNATURE in content or b"dcterms:provenance" in content


def read_c2pa(
    content: bytes, mime: str, *, location: str = "content", trust_anchors: str | None = None
) -> list[Evidence]:
    """Training-mining evidence from the active C2PA manifest of ``content``.

    No manifest (or a format c2pa cannot carry) gives ``[]``: unknown. Anything else that prevents
    reading gives one error entry with the reason. ``trust_anchors`` (PEM) marks extra roots as trusted.
    Files without manifest bytes never reach the native parser; PDFs are parsed in a child process
    with a time limit.
    """
    if not _may_carry_manifest(content):
        return []
    if mime in _ISOLATED_MIME:
        return _read_isolated(content, mime, location, trust_anchors)
    return _read_in_process(content, mime, location, trust_anchors)


def _read_in_process(content: bytes, mime: str, location: str, trust_anchors: str | None) -> list[Evidence]:
    c2pa = _c2pa()
    try:
        ctx = _context(c2pa, trust_anchors)
        with c2pa.Reader(mime, io.BytesIO(content), context=ctx) as reader:
            store = json.loads(reader.json())
            state = str(reader.get_validation_state() or "")
    except (c2pa.C2paError.ManifestNotFound, c2pa.C2paError.NotSupported):
        if _C2PA_STORE_SIGNATURE in content:
            # The bytes of a manifest store are there but the reader cannot find it: a damaged JUMBF box.
            return [
                Evidence(
                    source="c2pa",
                    raw="",
                    location=location,
                    error="C2PA manifest store present but unreadable (damaged or truncated JUMBF box)",
                )
            ]
        return []
    except (c2pa.C2paError, ValueError, OSError, RuntimeError) as exc:
        return [Evidence(source="c2pa", raw="", location=location, error=f"C2PA manifest unreadable: {exc}")]
    return _store_evidence(store, state, location)


def isolated_main() -> None:
    """Child-process entry: content on stdin, ``MIME LOCATION`` in argv, evidence as JSON on stdout."""
    import os
    import sys

    content = sys.stdin.buffer.read()
    anchors = os.environ.get("MEDIAMANAGER_C2PA_TRUST") or None
    evidence = _read_in_process(content, sys.argv[1], sys.argv[2], anchors)
    sys.stdout.write(json.dumps([e.to_dict() for e in evidence]))


def _read_isolated(content: bytes, mime: str, location: str, trust_anchors: str | None) -> list[Evidence]:
    # A fresh interpreter rather than multiprocessing: no re-import of the caller's __main__, and
    # subprocess kills the child when the time limit passes.
    import os
    import subprocess
    import sys
    from pathlib import Path

    import mediamanager

    env = dict(os.environ)
    src = str(Path(mediamanager.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (src, env.get("PYTHONPATH"))))
    if trust_anchors:
        env["MEDIAMANAGER_C2PA_TRUST"] = trust_anchors
    code = "from mediamanager.signals.c2pa_tm import isolated_main; isolated_main()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, mime, location],
            input=content,
            capture_output=True,
            timeout=ISOLATED_TIMEOUT_S,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        reason = f"C2PA reader gave up after {ISOLATED_TIMEOUT_S:g} s (pathological {mime} structure)"
    else:
        if done.returncode == 0:
            try:
                return [Evidence.from_dict(d) for d in json.loads(done.stdout)]
            except (ValueError, KeyError, TypeError) as exc:
                reason = f"C2PA reader returned no usable result: {exc}"
        else:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            reason = f"C2PA reader crashed (exit {done.returncode}): {tail[0][:200]}"
    return [Evidence(source="c2pa", raw="", location=location, error=reason)]


def has_manifest(content: bytes, mime: str) -> bool:
    """Whether ``content`` carries an embedded C2PA manifest store (valid or not)."""
    if not _may_carry_manifest(content):
        return False
    c2pa = _c2pa()
    try:
        with c2pa.Reader(mime, io.BytesIO(content), context=_context(c2pa, None)):
            return True
    except (c2pa.C2paError.ManifestNotFound, c2pa.C2paError.NotSupported):
        return False
    except (c2pa.C2paError, ValueError, OSError, RuntimeError):
        return True


def _store_evidence(store: Any, state: str, location: str) -> list[Evidence]:
    if not isinstance(store, Mapping):
        return [Evidence("c2pa", "", location, error="C2PA manifest store is not a JSON object")]
    active = store.get("active_manifest")
    manifests = store.get("manifests")
    if not isinstance(manifests, Mapping) or active not in manifests:
        return [Evidence("c2pa", str(active), location, error="C2PA manifest store has no active manifest")]
    codes = [
        str(s.get("code"))
        for s in store.get("validation_status") or ()
        if isinstance(s, Mapping) and s.get("code") not in _BENIGN_CODES
    ]
    untrusted = any(
        isinstance(s, Mapping) and s.get("code") == "signingCredential.untrusted"
        for s in store.get("validation_status") or ()
    )
    out: list[Evidence] = []
    invalid_reason: str | None = None
    if state == "Invalid" or codes:
        invalid_reason = f"validation {state or 'failed'}: {', '.join(codes) or 'no code given'}"
        out.append(
            Evidence(
                "c2pa",
                ",".join(codes),
                f"{location}#c2pa/{active}",
                error=f"invalid C2PA manifest ({invalid_reason})",
            )
        )
    detail = f"C2PA validation {state}" + (" (signer not on a trust list)" if untrusted else "")
    manifest = manifests[active]
    assertions = manifest.get("assertions") if isinstance(manifest, Mapping) else None
    for assertion in assertions or ():
        if not isinstance(assertion, Mapping):
            continue
        label = assertion.get("label")
        if label in C2PA_LABELS:
            where = f"{location}#c2pa/{active}/{label}"
            out.extend(_assertion_evidence(str(label), assertion.get("data"), where, detail, invalid_reason))
    return out


def _signing_alg(c2pa: Any, key_pem: bytes) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ProvenanceError(f"cannot load the C2PA signing key (PEM, unencrypted): {exc}") from exc
    alg = c2pa.C2paSigningAlg
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {"secp256r1": alg.ES256, "secp384r1": alg.ES384, "secp521r1": alg.ES512}
        if key.curve.name not in by_curve:
            raise ProvenanceError(f"C2PA does not allow EC curve {key.curve.name}")
        return by_curve[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey):
        return alg.PS256
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return alg.ED25519
    raise ProvenanceError(f"unsupported C2PA signing key type {type(key).__name__}")


def embed_c2pa(
    content: bytes,
    mime: str,
    prefs: Preferences,
    *,
    key_pem: bytes,
    cert_chain_pem: bytes,
    parent: bytes | None = None,
) -> bytes:
    """A copy of ``content`` with a signed C2PA manifest stating ``prefs`` as training-mining assertions.

    Signed offline with the creator's key (ES256/384/512, PS256 or Ed25519, chosen from the key):
    no timestamp authority, no thumbnails. An existing manifest becomes the parent ingredient, so
    the file's history is kept; ``parent`` is the file as it was before our other edits (XMP), so
    that its manifest still validates as an ingredient. ``cert_chain_pem`` is leaf first, then
    intermediates, without the root.
    """
    c2pa = _c2pa()
    from mediamanager import __version__

    manifest = {
        "claim_generator_info": [{"name": "mediamanager", "version": __version__}],
        "assertions": training_mining_assertions(prefs),
    }
    alg = _signing_alg(c2pa, key_pem)
    dst = io.BytesIO()
    try:
        ctx = _context(c2pa, None)
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, cert_chain_pem, key_pem, None))
        with c2pa.Builder(manifest, context=ctx) as builder:
            builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
            source = content if parent is None else parent
            if has_manifest(source, mime):
                builder.add_ingredient(
                    {"title": "original", "relationship": "parentOf"}, mime, io.BytesIO(source)
                )
            builder.sign(signer, mime, io.BytesIO(content), dst)
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"C2PA signing failed: {exc}") from exc
    return dst.getvalue()
