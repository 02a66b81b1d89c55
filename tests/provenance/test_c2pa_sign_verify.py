"""Sign every format c2pa-python signs, verify it back, and refuse or flag what is broken."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest

from mediamanager.errors import InputError, ProvenanceError, UnsupportedMediaError
from mediamanager.model import parse_preference_spec
from mediamanager.provenance.c2pa_sign import SOFT_BINDING_ALG, TRAINED_ALGORITHMIC_MEDIA, sign_file
from mediamanager.provenance.c2pa_verify import VerifyStatus, verify_bytes, verify_file
from mediamanager.provenance.keys import PkiPaths, init_test_pki

SIGNING = "c2pa-python-fixtures/files-for-signing-tests"
FORMATS = {
    "jpeg": f"{SIGNING}/earth_apollo17.jpg",
    "png": f"{SIGNING}/sample1.png",
    "webp": f"{SIGNING}/sample1.webp",
    "avif": f"{SIGNING}/sample1.avif",
    "heic": f"{SIGNING}/sample1.heic",
    "gif": f"{SIGNING}/sample1.gif",
    "tiff": f"{SIGNING}/TUSCANY.TIF",
    "mp3": f"{SIGNING}/sample1.mp3",
    "m4a": f"{SIGNING}/sample1.m4a",
    "wav": "c2pa-rs-fixtures/sample1.wav",
    "mp4": f"{SIGNING}/video1.mp4",
    "pdf": f"{SIGNING}/pdf-file.pdf",
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_sign_and_verify_every_format(fmt: str, test_data: Path, pki: PkiPaths, tmp_path: Path) -> None:
    src = test_data / FORMATS[fmt]
    out = tmp_path / f"signed{src.suffix.lower()}"
    prefs = parse_preference_spec("genai-train=deny,ai-input=allow-if:licence=https://example.org/l")
    prompt_hash = hashlib.sha256(b"a red fox").hexdigest()
    result = sign_file(
        src,
        out,
        key=pki.signer_key,
        cert_chain=pki.chain,
        model="test-diffusion",
        model_version="2.1",
        preferences=prefs,
        soft_binding=b"\x00\x01\x02\x03",
        prompt_hash=prompt_hash,
    )
    assert result.manifest_id.startswith("urn:c2pa:")

    trusted = verify_file(out, trust=pki.root_cert, detect_watermark=False)
    assert trusted.status is VerifyStatus.TRUSTED, trusted.reasons
    assert trusted.manifest_id == result.manifest_id
    assert trusted.ai_generated
    assert TRAINED_ALGORITHMIC_MEDIA in trusted.digital_source_types
    assert trusted.software_agents == ("test-diffusion 2.1",)
    assert trusted.signer.get("common_name") == "Media Manager Test Signer"
    assert trusted.training_mining["cawg.ai_generative_training"]["use"] == "notAllowed"
    assert trusted.training_mining["cawg.ai_inference"]["use"] == "constrained"
    assert trusted.soft_bindings == ({"alg": SOFT_BINDING_ALG, "values": ["AAECAw=="]},)

    untrusted = verify_file(out, detect_watermark=False)
    assert untrusted.status is VerifyStatus.VALID
    assert any("signingCredential.untrusted" in r for r in untrusted.reasons)


def test_signing_is_offline_and_small(test_data: Path, pki: PkiPaths, tmp_path: Path) -> None:
    """No thumbnail by default: the manifest adds kilobytes, not the ~100 KB of a thumbnail."""
    src = test_data / FORMATS["jpeg"]
    out = tmp_path / "signed.jpg"
    sign_file(src, out, key=pki.signer_key, cert_chain=pki.chain)
    added = out.stat().st_size - src.stat().st_size
    assert 0 < added < 20_000
    report = verify_file(out, trust=pki.root_cert, detect_watermark=False)
    assert not any("thumbnail" in str(a) for a in report.to_dict()["reasons"])


def test_tampered_pixels_are_invalid(test_data: Path, pki: PkiPaths, tmp_path: Path) -> None:
    out = tmp_path / "signed.png"
    sign_file(test_data / FORMATS["png"], out, key=pki.signer_key, cert_chain=pki.chain, model="m")
    data = bytearray(out.read_bytes())
    data[-200] ^= 0xFF  # inside the image data, after the manifest chunk
    report = verify_bytes(bytes(data), "tampered.png", trust_pem=pki.root_cert.read_text())
    assert report.status is VerifyStatus.INVALID
    assert report.ai_generated is False, "a broken manifest must never be reported as AI-generated"
    assert report.digital_source_types, "the claim is still shown"


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_truncated_signed_file_is_invalid_not_a_crash(
    cut: float, test_data: Path, pki: PkiPaths, tmp_path: Path
) -> None:
    out = tmp_path / "signed.jpg"
    sign_file(test_data / FORMATS["jpeg"], out, key=pki.signer_key, cert_chain=pki.chain, model="m")
    data = out.read_bytes()
    report = verify_bytes(data[: int(len(data) * cut)], "cut.jpg", trust_pem=pki.root_cert.read_text())
    assert report.status in (VerifyStatus.INVALID, VerifyStatus.ABSENT)
    assert report.reasons and not report.ai_generated


@pytest.mark.parametrize(
    ("name", "data"),
    [("garbage.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 20), ("noise.bin", b"\x00" * 100), ("e.png", b"")],
)
def test_garbage_gets_a_reason(name: str, data: bytes) -> None:
    report = verify_bytes(data, name)
    assert report.status in (VerifyStatus.INVALID, VerifyStatus.ABSENT)
    assert report.reasons and not report.ai_generated


def test_broken_manifest_box_is_invalid(test_data: Path, pki: PkiPaths, tmp_path: Path) -> None:
    out = tmp_path / "signed.jpg"
    sign_file(test_data / FORMATS["jpeg"], out, key=pki.signer_key, cert_chain=pki.chain, model="m")
    data = bytearray(out.read_bytes())
    jumb = data.find(b"jumb")
    assert jumb > 0
    for i in range(jumb + 40, jumb + 400, 7):  # scribble over the JUMBF boxes
        data[i] ^= 0x5A
    report = verify_bytes(bytes(data), "broken.jpg")
    assert report.status is VerifyStatus.INVALID
    assert report.reasons and not report.ai_generated


def test_wrong_key_for_certificate_is_refused(pki: PkiPaths, test_data: Path, tmp_path: Path) -> None:
    other = init_test_pki(tmp_path / "other")
    with pytest.raises(ProvenanceError):
        sign_file(test_data / FORMATS["jpeg"], tmp_path / "o.jpg", key=other.signer_key, cert_chain=pki.chain)


def test_expired_certificate_is_refused(test_data: Path, tmp_path: Path) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    expired = init_test_pki(tmp_path / "old", signer_not_before=old, signer_days=10)
    with pytest.raises(ProvenanceError):
        sign_file(
            test_data / FORMATS["jpeg"], tmp_path / "o.jpg", key=expired.signer_key, cert_chain=expired.chain
        )


def test_other_roots_do_not_make_it_trusted(test_data: Path, pki: PkiPaths, tmp_path: Path) -> None:
    out = tmp_path / "signed.jpg"
    sign_file(test_data / FORMATS["jpeg"], out, key=pki.signer_key, cert_chain=pki.chain)
    stranger = init_test_pki(tmp_path / "stranger")
    assert verify_file(out, trust=stranger.root_cert, detect_watermark=False).status is VerifyStatus.VALID


def test_bad_arguments(test_data: Path, pki: PkiPaths, tmp_path: Path) -> None:
    src = tmp_path / "in.jpg"
    shutil.copy(test_data / FORMATS["jpeg"], src)
    with pytest.raises(InputError, match="differ"):
        sign_file(src, src, key=pki.signer_key, cert_chain=pki.chain)
    with pytest.raises(InputError, match="same format"):
        sign_file(src, tmp_path / "o.png", key=pki.signer_key, cert_chain=pki.chain)
    with pytest.raises(UnsupportedMediaError):
        sign_file(tmp_path / "x.txt", tmp_path / "y.txt", key=pki.signer_key, cert_chain=pki.chain)
    with pytest.raises(InputError, match="prompt-hash"):
        sign_file(src, tmp_path / "o.jpg", key=pki.signer_key, cert_chain=pki.chain, prompt_hash="not-hex")
    with pytest.raises(InputError, match="PEM private key"):
        sign_file(src, tmp_path / "o.jpg", key=pki.chain, cert_chain=pki.chain)


def test_bad_trust_file_is_an_input_error(test_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "root.pem"
    bad.write_text("not a certificate")
    with pytest.raises(InputError, match="no PEM certificate"):
        verify_file(test_data / "c2pa-python-fixtures" / "C.jpg", trust=bad)
