"""A local test PKI (root -> intermediate -> signer) that satisfies the C2PA certificate profile.

C2PA validators (c2pa-rs) refuse to sign with a certificate that lacks an extended key usage, that is
a CA, or that is self-signed, so a plain self-signed key pair is not enough even for tests. This module
writes a three-level chain whose signer carries ``digitalSignature`` and the EKUs
id-kp-emailProtection and id-kp-documentSigning, with Subject/Authority Key Identifiers everywhere.

Files written by :func:`init_test_pki` (PEM, one object each):

========================  =======================================================
``root.pem``              root CA certificate: pass to ``verify --trust``
``root.key``              root CA private key (PKCS#8, unencrypted)
``intermediate.pem``      intermediate CA certificate
``intermediate.key``      intermediate CA private key
``signer.key``            signer private key: pass to ``sign --key``
``signer.pem``            signer certificate alone
``chain.pem``             signer + intermediate (never the root): pass to ``sign --cert``
========================  =======================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediamanager.errors import InputError

__all__ = ["DOCUMENT_SIGNING_OID", "PkiPaths", "init_test_pki"]

DOCUMENT_SIGNING_OID = "1.3.6.1.5.5.7.3.36"


@dataclass(frozen=True, slots=True)
class PkiPaths:
    """Where :func:`init_test_pki` wrote each file."""

    root_cert: Path
    root_key: Path
    intermediate_cert: Path
    intermediate_key: Path
    signer_cert: Path
    signer_key: Path
    chain: Path


def _name(common_name: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Media Manager test PKI"),
        ]
    )


def _certificate(
    subject_key: Any,
    subject_cn: str,
    issuer_key: Any,
    issuer_cn: str,
    *,
    is_ca: bool,
    not_before: dt.datetime,
    not_after: dt.datetime,
    path_length: int | None = None,
) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject_cn))
        .issuer_name(_name(issuer_cn))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=not is_ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not is_ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION, ObjectIdentifier(DOCUMENT_SIGNING_OID)]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def init_test_pki(
    directory: str | Path,
    *,
    signer_days: int = 365,
    signer_not_before: dt.datetime | None = None,
    overwrite: bool = False,
) -> PkiPaths:
    """Write an ES256 root -> intermediate -> signer chain into ``directory`` and return the paths.

    ``signer_not_before`` and ``signer_days`` exist so tests can make an already expired signer.
    Refuses to overwrite existing key files unless ``overwrite`` is true.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = PkiPaths(
        root_cert=out / "root.pem",
        root_key=out / "root.key",
        intermediate_cert=out / "intermediate.pem",
        intermediate_key=out / "intermediate.key",
        signer_cert=out / "signer.pem",
        signer_key=out / "signer.key",
        chain=out / "chain.pem",
    )
    if not overwrite and any(p.exists() for p in (paths.root_key, paths.intermediate_key, paths.signer_key)):
        raise InputError(f"{out} already holds keys; refusing to overwrite them")

    now = dt.datetime.now(dt.UTC)
    root_key, inter_key, signer_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _certificate(
        root_key,
        "Media Manager Test Root",
        root_key,
        "Media Manager Test Root",
        is_ca=True,
        not_before=now - dt.timedelta(minutes=5),
        not_after=now + dt.timedelta(days=3650),
        path_length=1,
    )
    inter = _certificate(
        inter_key,
        "Media Manager Test Intermediate",
        root_key,
        "Media Manager Test Root",
        is_ca=True,
        not_before=now - dt.timedelta(minutes=5),
        not_after=now + dt.timedelta(days=1825),
        path_length=0,
    )
    start = signer_not_before or now - dt.timedelta(minutes=5)
    signer = _certificate(
        signer_key,
        "Media Manager Test Signer",
        inter_key,
        "Media Manager Test Intermediate",
        is_ca=False,
        not_before=start,
        not_after=start + dt.timedelta(days=signer_days),
    )

    def pem(cert: Any) -> bytes:
        return bytes(cert.public_bytes(serialization.Encoding.PEM))

    def key_pem(key: Any) -> bytes:
        return bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

    paths.root_cert.write_bytes(pem(root))
    paths.intermediate_cert.write_bytes(pem(inter))
    paths.signer_cert.write_bytes(pem(signer))
    paths.chain.write_bytes(pem(signer) + pem(inter))
    for key_path, key in (
        (paths.root_key, root_key),
        (paths.intermediate_key, inter_key),
        (paths.signer_key, signer_key),
    ):
        key_path.write_bytes(key_pem(key))
        key_path.chmod(0o600)
    return paths
