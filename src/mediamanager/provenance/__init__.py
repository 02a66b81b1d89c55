"""Provenance on AI outputs: C2PA Content Credentials, invisible watermarks, and resolution.

* :mod:`.keys` - a test PKI that satisfies the C2PA certificate profile.
* :mod:`.c2pa_sign` / :mod:`.c2pa_verify` - sign generated media and verify any media (c2pa-python).
* :mod:`.watermark.image` - the 32-bit image watermark; :mod:`.watermark.detect_stats` its statistics.
* :mod:`.repository` - the manifest repository (registry database, Alembic revision 0002).
* :mod:`.resolve` - from pixels back to a manifest: watermark first, PDQ second.
"""

from __future__ import annotations

from mediamanager.provenance.c2pa_sign import SignResult, sign_file
from mediamanager.provenance.c2pa_verify import VerifyReport, VerifyStatus, verify_bytes, verify_file
from mediamanager.provenance.keys import PkiPaths, init_test_pki

__all__ = [
    "PkiPaths",
    "SignResult",
    "VerifyReport",
    "VerifyStatus",
    "init_test_pki",
    "sign_file",
    "verify_bytes",
    "verify_file",
]
