"""Every exception Media Manager raises on purpose.

::

    MediaManagerError
     ├── InputError (also ValueError)          bad input from a caller; maps to HTTP 4xx
     │    ├── InvalidPreferenceError            unknown purpose, use or condition
     │    ├── InvalidFingerprintError           malformed fingerprint value
     │    ├── UnsupportedMediaError             a format we cannot read
     │    ├── CorruptMediaError                 a file that claims a format but is broken
     │    └── MediaTooLargeError                over a size, pixel or duration limit
     ├── SignalError                            a preference signal could not be parsed
     ├── NotFoundError (also LookupError)       no such record (or not yours: never tell which)
     ├── AuthError                              missing, invalid or revoked token
     ├── ConflictError                          a write that contradicts existing state
     ├── VerificationError                      ownership could not be proven
     ├── RegistryUnavailableError               the registry could not be reached or read
     ├── IntegrityError                         an audit chain or attestation does not verify
     ├── ProvenanceError                        signing, verifying or watermarking failed
     └── MissingExtraError (also ImportError)   an optional dependency is not installed

Errors carry a human message; callers print ``str(err)``.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConflictError",
    "CorruptMediaError",
    "InputError",
    "IntegrityError",
    "InvalidFingerprintError",
    "InvalidPreferenceError",
    "MediaManagerError",
    "MediaTooLargeError",
    "MissingExtraError",
    "NotFoundError",
    "ProvenanceError",
    "RegistryUnavailableError",
    "SignalError",
    "UnsupportedMediaError",
    "VerificationError",
    "require_extra",
]


class MediaManagerError(Exception):
    """Base of every error Media Manager raises on purpose."""


class InputError(MediaManagerError, ValueError):
    """The caller gave input we cannot accept."""


class InvalidPreferenceError(InputError):
    """A preference names an unknown purpose, use or condition."""


class InvalidFingerprintError(InputError):
    """A fingerprint value is malformed."""


class UnsupportedMediaError(InputError):
    """The content is of a type we do not handle."""


class CorruptMediaError(InputError):
    """The content claims a format but cannot be decoded."""


class MediaTooLargeError(InputError):
    """The content exceeds a configured size, pixel or duration limit."""


class SignalError(MediaManagerError):
    """A preference signal could not be parsed."""


class NotFoundError(MediaManagerError, LookupError):
    """No such record, or a record the caller may not see."""


class AuthError(MediaManagerError):
    """Authentication failed: missing, invalid or revoked token."""


class ConflictError(MediaManagerError):
    """The write contradicts existing state."""


class VerificationError(MediaManagerError):
    """Ownership could not be verified."""


class RegistryUnavailableError(MediaManagerError):
    """The registry (server or snapshot) could not be reached or read."""


class IntegrityError(MediaManagerError):
    """A hash chain, snapshot or attestation failed verification."""


class ProvenanceError(MediaManagerError):
    """Signing, verifying or watermarking failed."""


class MissingExtraError(MediaManagerError, ImportError):
    """An optional dependency is not installed."""


def require_extra(module: str, extra: str) -> object:
    """Import ``module`` or raise :class:`MissingExtraError` saying which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module} is not installed; install it with: pip install 'mediamanager[{extra}]'"
        ) from exc
