"""The one settings class: every knob of the registry and its API, read from ``MEDIAMANAGER_*`` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MAX_FINGERPRINTS_PER_WORK", "Settings"]

# A text gets one MinHash per 256-word stride, so 4096 fingerprints hold about 1,048,000 words:
# longer than the King James Bible (~783,000 words) or War and Peace (~587,000). At ~0.7 KB of
# JSON per MinHash a registration then stays near 3 MB, far under ``max_upload_bytes``. It is also
# the ``max_length`` of ``WorkCreate.fingerprints`` in the API schema.
MAX_FINGERPRINTS_PER_WORK = 4096


class Settings(BaseSettings):
    """Configuration for the registry service, its HTTP API and the CLI.

    Every field can be set from the environment with the ``MEDIAMANAGER_`` prefix,
    for example ``MEDIAMANAGER_DB_URL=postgresql+psycopg://user@host/db``.
    """

    model_config = SettingsConfigDict(env_prefix="MEDIAMANAGER_", extra="ignore")

    db_url: str = Field(
        default="sqlite:///mediamanager.db", description="SQLAlchemy URL of the registry database."
    )
    host: str = Field(default="127.0.0.1", description="Interface the API server binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port the API server listens on.")

    registry_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Registry the CLI talks to (URL) or reads (snapshot directory).",
    )
    token: str | None = Field(default=None, description="API token the CLI sends for writes.")

    guard_index: str | None = Field(
        default=None,
        description="Verbatim index file that POST /guard/output checks outputs against (mediamanager guard index).",
    )
    guard_names: str | None = Field(
        default=None,
        description="Names table (JSON or JSON lines) that POST /guard/prompt gates prompts with.",
    )

    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest upload the API accepts."
    )
    max_lookup_batch: int = Field(
        default=10_000, gt=0, description="Most items one POST /lookup may ask about."
    )
    max_fingerprints_per_work: int = Field(
        default=MAX_FINGERPRINTS_PER_WORK,
        gt=0,
        le=MAX_FINGERPRINTS_PER_WORK,
        description="Most matching fingerprints one work may carry (4096: a text of ~1 M words).",
    )
    keep_content_default: bool = Field(
        default=False, description="Keep uploaded content unless the owner says otherwise."
    )
    match_limit: int = Field(
        default=10, gt=0, description="Most near-duplicate matches reported per lookup item."
    )
    dispute_min_score: float = Field(
        default=0.9,
        ge=0.0,
        le=1.0,
        description="Near-duplicate score from which two owners' claims are disputed.",
    )
    dispute_response_days: float = Field(
        default=30,
        gt=0,
        description="Days the later registrant has to answer a dispute with evidence before it lapses.",
    )

    verification_scheme: str = Field(
        default="https", pattern="^https?$", description="Scheme used to fetch a domain's token."
    )
    verification_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="Deadline on a whole domain verification (resolve, connect, every read).",
    )
    verification_max_bytes: int = Field(default=4096, gt=0, description="Largest verification file read.")
    verification_allow_loopback: bool = Field(
        default=False,
        description="Let domain verification fetch from loopback addresses (tests and development only); "
        "private, link-local and metadata addresses are always refused.",
    )

    bulk_fetch_allow_loopback: bool = Field(
        default=False,
        description="Let bulk-register fetch sitemaps, feeds and pages from loopback addresses (tests and "
        "development only); private, link-local and metadata addresses are always refused.",
    )
    registry_key_path: str | None = Field(
        default=None,
        description="Ed25519 key (PEM) that signs audit checkpoints; generated there on first use. Default: "
        "beside an SQLite file (<db>.registry-key.pem), else ~/.config/mediamanager/registry-key-<hash>.pem.",
    )
    portal_secret_key: str | None = Field(
        default=None,
        description="Key that signs the portal's password-reset links and messages; default: a random key "
        "per process (reset links then end with a restart).",
    )
    signup_rate_per_minute: float = Field(
        default=10.0,
        ge=0,
        description="Sign-ups (POST /owners) one client address may make per minute; 0: no limit.",
    )
    signup_burst: int = Field(default=10, ge=1, description="Sign-ups one client may make at once.")
    lookup_rate_per_minute: float = Field(
        default=600.0,
        ge=0,
        description="Anonymous POST /lookup calls per client address per minute; 0: no limit.",
    )
    lookup_burst: int = Field(default=120, ge=1, description="Anonymous lookups one client may make at once.")
    anonymous_lookup_max_fingerprints: int = Field(
        default=20_000,
        ge=1,
        description="Most near-duplicate fingerprints one anonymous lookup may carry (its cost); callers "
        "with a token may send up to max_lookup_batch x max_fingerprints_per_work.",
    )

    agents_path: str | None = Field(
        default=None, description="ai.robots.txt robots.json to use instead of the packaged list."
    )
    grant_key_path: str | None = Field(
        default=None,
        description="Ed25519 private key (PEM) the registry signs licence grants with; created 0600 when "
        "absent. Default: ~/.config/mediamanager/registry-grant-ed25519.pem.",
    )
