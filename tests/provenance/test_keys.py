"""The test PKI satisfies the C2PA certificate profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from mediamanager.errors import InputError
from mediamanager.provenance.keys import DOCUMENT_SIGNING_OID, init_test_pki


def test_chain_has_the_extensions_c2pa_requires(tmp_path: Path) -> None:
    paths = init_test_pki(tmp_path)
    chain = x509.load_pem_x509_certificates(paths.chain.read_bytes())
    assert len(chain) == 2, "chain.pem is signer + intermediate, never the root"
    signer, inter = chain
    root = x509.load_pem_x509_certificate(paths.root_cert.read_bytes())
    assert signer.issuer == inter.subject and inter.issuer == root.subject
    eku = signer.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
    dotted = {oid.dotted_string for oid in eku}
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string in dotted
    assert DOCUMENT_SIGNING_OID in dotted
    ku = signer.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    assert ku.digital_signature and not ku.key_cert_sign
    assert not signer.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.ca
    for cert in (signer, inter, root):
        cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    assert (paths.signer_key.stat().st_mode & 0o077) == 0, "private keys are not world-readable"


def test_refuses_to_overwrite_keys(tmp_path: Path) -> None:
    init_test_pki(tmp_path)
    with pytest.raises(InputError, match="refusing to overwrite"):
        init_test_pki(tmp_path)
    init_test_pki(tmp_path, overwrite=True)
