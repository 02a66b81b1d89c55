"""The API's request and response shapes: one family of schemas per entity (Create / Update / Public)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from mediamanager.errors import InvalidPreferenceError
from mediamanager.fingerprint.check import check_fingerprint
from mediamanager.model import (
    Conditions,
    Evidence,
    Fingerprint,
    MediaType,
    Preferences,
    Purpose,
    Rule,
    Use,
    parse_preference_spec,
)
from mediamanager.registry.records import (
    DisputeRecord,
    DomainRecord,
    NewToken,
    Owner,
    PreferenceRecord,
    Registration,
    TokenInfo,
    WorkRecord,
)
from mediamanager.settings import MAX_FINGERPRINTS_PER_WORK
from mediamanager.urlnorm import normalise_url
from mediamanager.values import check_json_value, clean_text

_STRICT = ConfigDict(extra="forbid")

# Every request string: no NUL (PostgreSQL cannot store it) and no lone surrogate (not UTF-8), so
# both backends answer the same 422 instead of one storing it and the other failing with a 500.
Text = Annotated[str, AfterValidator(lambda v: clean_text(v, "text"))]
# Integers stored in 64-bit (BIGINT) or 32-bit (INTEGER) columns.
MAX_INT64 = 2**63 - 1
MAX_INT32 = 2**31 - 1


# ---------------------------------------------------------------- fingerprints
class FingerprintIn(BaseModel):
    """One matching-grade fingerprint as the fingerprint package encodes it."""

    model_config = _STRICT
    kind: Text = Field(min_length=1, max_length=32, examples=["minhash"])
    value: Text = Field(min_length=1, max_length=65536)
    size: int | None = Field(default=None, ge=0, le=MAX_INT32)
    part: int = Field(default=0, ge=0, le=100_000)

    @model_validator(mode="after")
    def _well_formed(self) -> FingerprintIn:
        # InvalidFingerprintError is a ValueError, so pydantic turns it into a 422 naming the field.
        check_fingerprint(self.to_model())
        return self

    def to_model(self) -> Fingerprint:
        return Fingerprint(self.kind, self.value, self.size, self.part)


# ----------------------------------------------------------------- preferences
class RuleIn(BaseModel):
    model_config = _STRICT
    use: Use
    conditions: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _storable(self) -> RuleIn:
        check_json_value(self.conditions, "conditions")
        return self


class PreferencesIn(BaseModel):
    """Preferences as the compact spec (``genai-train=deny,search=allow``) or as rules per purpose."""

    model_config = _STRICT
    spec: Text | None = Field(default=None, max_length=10_000, examples=["genai-train=deny,search=allow"])
    rules: dict[str, RuleIn] | None = None

    def to_model(self, location: str = "api") -> Preferences:
        """Validated :class:`Preferences`; unknown purposes or conditions raise InvalidPreferenceError."""
        if (self.spec is None) == (self.rules is None):
            raise InvalidPreferenceError("give exactly one of 'spec' or 'rules'")
        if self.spec is not None:
            return parse_preference_spec(self.spec, source="declared", location=location)
        rules: dict[Purpose, Rule] = {}
        for name, r in (self.rules or {}).items():
            purpose = Purpose.parse(name)
            try:
                cond = Conditions.from_dict(r.conditions)
            except (ValueError, TypeError, KeyError) as exc:
                raise InvalidPreferenceError(f"{name}: bad conditions: {exc}") from None
            use = r.use
            if use is Use.ALLOW and not cond.is_empty():
                use = Use.ALLOW_IF
            if use is Use.ALLOW_IF and cond.is_empty():
                raise InvalidPreferenceError(f"{name}: allow-if needs at least one condition")
            raw = f"{purpose.value}={use.value}" + (f":{cond.describe()}" if not cond.is_empty() else "")
            ev = Evidence(
                source="declared", raw=raw, location=location, purpose=purpose, use=use, conditions=cond
            )
            rules[purpose] = Rule(use, cond, (ev,))
        return Preferences(rules)


class PreferencesPublic(BaseModel):
    id: str
    scope: str
    target: str
    rules: dict[str, Any]
    updated_at: datetime

    @classmethod
    def of(cls, r: PreferenceRecord) -> PreferencesPublic:
        return cls(
            id=r.id,
            scope=r.scope,
            target=r.target,
            rules=r.preferences.to_dict()["rules"],
            updated_at=r.updated_at,
        )


class DomainPreferencesIn(PreferencesIn):
    pattern: Text = Field(min_length=1, max_length=500, examples=["example.com/photos/*"])


# ---------------------------------------------------------------------- owners
class OwnerCreate(BaseModel):
    model_config = _STRICT
    display_name: Text = Field(min_length=1, max_length=200)
    kind: Literal["person", "organisation"] = "person"
    email: Text | None = Field(default=None, max_length=320)


class OwnerPublic(BaseModel):
    id: str
    kind: str
    display_name: str

    @classmethod
    def of(cls, o: Owner) -> OwnerPublic:
        return cls(id=o.id, kind=o.kind, display_name=o.display_name)


class OwnerPrivate(OwnerPublic):
    email: str | None
    created_at: datetime

    @classmethod
    def of(cls, o: Owner) -> OwnerPrivate:
        return cls(id=o.id, kind=o.kind, display_name=o.display_name, email=o.email, created_at=o.created_at)


# ---------------------------------------------------------------------- tokens
class TokenCreate(BaseModel):
    model_config = _STRICT
    label: Text = Field(default="", max_length=200)


class TokenPublic(BaseModel):
    id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, t: TokenInfo) -> TokenPublic:
        return cls(id=t.id, label=t.label, created_at=t.created_at, revoked_at=t.revoked_at)


class TokenIssued(TokenPublic):
    """A new token; ``token`` is shown only this once."""

    token: str

    @classmethod
    def issued(cls, t: NewToken) -> TokenIssued:
        i = t.info
        return cls(id=i.id, label=i.label, created_at=i.created_at, revoked_at=i.revoked_at, token=t.secret)


class OwnerCreated(BaseModel):
    owner: OwnerPrivate
    token: TokenIssued


# ----------------------------------------------------------------------- works
class WorkBase(BaseModel):
    model_config = _STRICT
    title: Text = Field(default="", max_length=500)
    creator: Text = Field(default="", max_length=300)
    aliases: list[Text] = Field(default_factory=list, max_length=100)
    source_urls: list[Text] = Field(default_factory=list, max_length=1000)
    collection: Text | None = Field(default=None, max_length=200)


class WorkCreate(WorkBase):
    """Register a work from fingerprints computed by the client: the content never leaves its machine."""

    media_type: MediaType
    sha256: str = Field(min_length=64, max_length=64, pattern="^[0-9a-fA-F]{64}$")
    iscc: Text = Field(default="", max_length=120)
    fingerprints: list[FingerprintIn] = Field(default_factory=list, max_length=MAX_FINGERPRINTS_PER_WORK)
    size_bytes: int | None = Field(default=None, ge=0, le=MAX_INT64)
    preferences: PreferencesIn | None = None


class WorkUpdate(BaseModel):
    model_config = _STRICT
    title: Text | None = Field(default=None, max_length=500)
    creator: Text | None = Field(default=None, max_length=300)
    aliases: list[Text] | None = Field(default=None, max_length=100)
    source_urls: list[Text] | None = Field(default=None, max_length=1000)
    collection: Text | None = Field(default=None, max_length=200)


class FingerprintPublic(BaseModel):
    kind: str
    value: str
    size: int | None
    part: int


class WorkPublic(BaseModel):
    id: str
    owner_id: str
    media_type: MediaType
    title: str
    creator: str
    aliases: list[str]
    source_urls: list[str]
    collection: str | None
    sha256: str
    iscc: str
    size_bytes: int | None
    status: str
    content_kept: bool
    created_at: datetime
    updated_at: datetime
    fingerprints: list[FingerprintPublic] = Field(default_factory=list)

    @classmethod
    def of(cls, w: WorkRecord) -> WorkPublic:
        # Field names match the record's; tuples become lists and Fingerprints FingerprintPublic.
        return cls.model_validate(w, from_attributes=True)


class DisputePublic(BaseModel):
    id: str
    work_id: str
    other_work_id: str
    other_owner_id: str
    other_owner_name: str
    kind: str
    score: float
    created_at: datetime

    @classmethod
    def of(cls, d: DisputeRecord) -> DisputePublic:
        return cls(**d.__dict__)


class WorkRegistered(BaseModel):
    work: WorkPublic
    created: bool
    disputes: list[DisputePublic]

    @classmethod
    def of(cls, r: Registration) -> WorkRegistered:
        return cls(
            work=WorkPublic.of(r.work), created=r.created, disputes=[DisputePublic.of(d) for d in r.disputes]
        )


class EffectivePreferences(BaseModel):
    work_id: str
    rules: dict[str, Any]


# ---------------------------------------------------------------------- lookup
class LookupItem(BaseModel):
    model_config = _STRICT
    id: Text = Field(min_length=1, max_length=500)
    sha256: str | None = Field(default=None, min_length=64, max_length=64, pattern="^[0-9a-fA-F]{64}$")
    media_type: MediaType | None = None
    # One page of a long item: clients split more fingerprints over several items (client_lookup.py).
    fingerprints: list[FingerprintIn] = Field(default_factory=list, max_length=256)
    # A source URL (absolute http/https), matched in normal form: see mediamanager.urlnorm.
    url: str | None = Field(default=None, min_length=1, max_length=2048)

    @field_validator("url")
    @classmethod
    def _url_is_lookupable(cls, value: str | None) -> str | None:
        if value is not None:
            normalise_url(value)  # ValueError -> 422 naming this item's url: printable, http(s), a host
        return value


class LookupRequest(BaseModel):
    model_config = _STRICT
    items: list[LookupItem] = Field(max_length=10_000)


class RegistryInfoPublic(BaseModel):
    source: str
    version: str
    sha256: str


class LookupResultPublic(BaseModel):
    id: str
    matches: list[dict[str, Any]]


class LookupResponse(BaseModel):
    registry: RegistryInfoPublic
    results: list[LookupResultPublic]


# --------------------------------------------------------------------- domains
class DomainCreate(BaseModel):
    model_config = _STRICT
    domain: Text = Field(min_length=1, max_length=260, examples=["example.com"])


class DomainPublic(BaseModel):
    id: str
    domain: str
    token: str
    verified: bool
    verified_at: datetime | None
    verification_url: str

    @classmethod
    def of(cls, d: DomainRecord, scheme: str) -> DomainPublic:
        from mediamanager.registry.domains import verification_url

        return cls(
            id=d.id,
            domain=d.domain,
            token=d.token,
            verified=d.verified,
            verified_at=d.verified_at,
            verification_url=verification_url(d.domain, scheme),
        )


class OwnerSignals(BaseModel):
    """An owner's domain preferences rendered in every format crawlers read."""

    owner_id: str
    domain: str
    robots_txt: str
    content_usage: str
    content_signal: str
    ai_txt: str
    tdmrep_json: Any


class AuditReportPublic(BaseModel):
    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None
    problem: str | None
