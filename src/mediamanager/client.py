"""The one HTTP client of the registry API: :class:`RegistryApi`.

Every command, the bulk registrar, the demo and the scanner talk to a registry server
through this class, so there is one error mapping, one retry policy and one place where the
base URL and token come from (:class:`~mediamanager.settings.Settings`:
``MEDIAMANAGER_REGISTRY_URL``, ``MEDIAMANAGER_TOKEN``) unless the caller gives them.

Errors. The API answers failures as ``{"detail": message, "error": ClassName}``; they map back
to the :mod:`mediamanager.errors` tree: 401/403 :class:`AuthError`, 404 :class:`NotFoundError`,
409 :class:`ConflictError`, 413 :class:`MediaTooLargeError`, 415 :class:`UnsupportedMediaError`,
400/422 and other 4xx :class:`InputError`, 429, 5xx and connection failures
:class:`RegistryUnavailableError`. Messages are cut to :data:`MAX_DETAIL` characters: a 422 may
echo a whole request body.

Retries. 429, 5xx and connection errors are retried with exponential backoff for idempotent
calls (GET, PUT, DELETE) and read-only POSTs (``/lookup``, ``/matches/byContent``). Other POSTs
create something, so they are retried only when the request never reached the server (the
connection was refused or could not be opened).

Dependency direction: this module sits below ``scan``, ``cli``, ``api`` and ``registry``; it may
import ``model``, ``lookup``, ``errors``, ``settings`` and ``fingerprint``, nothing above them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from mediamanager import errors as _errors
from mediamanager.errors import (
    AuthError,
    ConflictError,
    InputError,
    MediaManagerError,
    MediaTooLargeError,
    NotFoundError,
    RegistryUnavailableError,
    UnsupportedMediaError,
)
from mediamanager.lookup import LookupQuery, LookupResult, RegistryInfo

__all__ = ["MAX_DETAIL", "Registration", "RegistryApi", "error_for_response"]

MAX_DETAIL = 500
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
# Failures before any byte of the request left this machine: safe to retry even a POST.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_BY_STATUS: dict[int, type[MediaManagerError]] = {
    400: InputError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    413: MediaTooLargeError,
    415: UnsupportedMediaError,
    422: InputError,
}


def _short(text: str, limit: int = MAX_DETAIL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _detail(resp: httpx.Response) -> tuple[str, str | None]:
    """The answer's ``detail`` as one short line, and the error class the server named."""
    try:
        body = resp.json()
    except ValueError:
        return _short(resp.text or resp.reason_phrase), None
    if not isinstance(body, dict):
        return _short(str(body)), None
    detail = body.get("detail", "")
    if isinstance(detail, list):
        # FastAPI validation errors: say where and what, never the echoed input.
        parts = []
        for err in detail:
            if isinstance(err, dict):
                loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
                parts.append(f"{loc}: {err.get('msg', '')}" if loc else str(err.get("msg", "")))
        detail = "; ".join(parts)
    name = body.get("error")
    return _short(str(detail)), name if isinstance(name, str) else None


def error_for_response(resp: httpx.Response, what: str = "") -> MediaManagerError:
    """The :mod:`mediamanager.errors` exception for an error answer (status >= 400)."""
    status = resp.status_code
    detail, name = _detail(resp)
    where = what or f"{resp.request.method} {resp.request.url.path}"
    message = f"{where}: HTTP {status}: {detail}"
    if status == 429 or status >= 500:
        return RegistryUnavailableError(message)
    cls = _BY_STATUS.get(status, InputError)
    # A more specific class the server named (InvalidPreferenceError under 422) is kept when it
    # is a subclass of what the status means; anything else falls back to the status.
    named = getattr(_errors, name, None) if name else None
    if isinstance(named, type) and issubclass(named, cls):
        cls = named
    return cls(message)


class RegistryApi:
    """A typed client of the registry HTTP API (also a scanner :class:`~mediamanager.lookup.RegistryClient`).

    ``url`` and ``token`` default to the settings; ``retries`` extra attempts are made after
    ``backoff``, ``2*backoff``, ``4*backoff``... seconds. Use as a context manager or call
    :meth:`close`.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.25,
        user_agent: str = "mediamanager",
        settings: Any = None,
    ) -> None:
        if url is None or token is None:
            from mediamanager.settings import Settings

            s = settings or Settings()
            url = url or s.registry_url
            token = token if token is not None else s.token
        assert url is not None
        if not url.startswith(("http://", "https://")):
            raise InputError(f"registry {url!r} is not an http(s) URL")
        self.url = url.rstrip("/")
        self.token = token or None
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self._http = httpx.Client(
            base_url=self.url, timeout=timeout, headers={"User-Agent": user_agent}, trust_env=False
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the core ------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        auth: bool = True,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one request (with retries) and return the successful :class:`httpx.Response`.

        Raises the mapped :mod:`mediamanager.errors` exception for an error answer.
        ``idempotent`` overrides the method's default (True for a read-only POST).
        """
        method = method.upper()
        safe = method in _IDEMPOTENT if idempotent is None else idempotent
        headers: dict[str, str] = {}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        where = f"{method} {path}"
        attempt = 0
        while True:
            try:
                resp = self._http.request(
                    method,
                    path,
                    json=json,
                    params=params,
                    files=files,
                    data=data,
                    content=content,
                    headers=headers,
                )
            except httpx.HTTPError as exc:
                retry = isinstance(exc, _NOT_SENT) or (safe and isinstance(exc, httpx.TransportError))
                if retry and attempt < self.retries:
                    self._sleep(attempt)
                    attempt += 1
                    continue
                raise RegistryUnavailableError(
                    f"registry {self.url} unreachable ({where}): {type(exc).__name__}: {_short(str(exc))}"
                ) from None
            if resp.status_code in _RETRY_STATUS and safe and attempt < self.retries:
                self._sleep(attempt, resp.headers.get("Retry-After"))
                attempt += 1
                continue
            if resp.status_code >= 400:
                raise error_for_response(resp, where)
            return resp

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        auth: bool = True,
        idempotent: bool | None = None,
    ) -> Any:
        """:meth:`send`, then the answer's JSON (``None`` for an empty answer such as 204)."""
        resp = self.send(
            method,
            path,
            json=json,
            params=params,
            files=files,
            data=data,
            content=content,
            auth=auth,
            idempotent=idempotent,
        )
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise RegistryUnavailableError(
                f"registry {self.url} answered {method.upper()} {path} with something that is not JSON"
            ) from None

    def _sleep(self, attempt: int, retry_after: str | None = None) -> None:
        delay = self.backoff * (2**attempt)
        if retry_after and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), 30.0))
        time.sleep(delay)

    # -- owners and tokens ---------------------------------------------------------------------

    def create_owner(self, display_name: str, *, kind: str = "person", email: str | None = None) -> Any:
        """``POST /owners`` (no token needed): ``{"owner": {...}, "token": {"id", "token"}}``."""
        body = {"display_name": display_name, "kind": kind, "email": email}
        return self.request("POST", "/owners", json=body, auth=False)

    def me(self) -> Any:
        return self.request("GET", "/owners/me")

    def owner(self, owner_id: str) -> Any:
        return self.request("GET", f"/owners/{owner_id}", auth=False)

    def owner_signals(self, owner_id: str) -> Any:
        """The owner's published signals (robots.txt, TDMRep, ai.txt renderings)."""
        return self.request("GET", f"/owners/{owner_id}/signals", auth=False)

    def create_token(self, label: str = "") -> Any:
        return self.request("POST", "/tokens", json={"label": label})

    def list_tokens(self) -> Any:
        return self.request("GET", "/tokens")

    def revoke_token(self, token_id: str) -> Any:
        return self.request("DELETE", f"/tokens/{token_id}")

    # -- works ---------------------------------------------------------------------------------

    def register_fingerprints(self, body: Mapping[str, Any], *, if_exists: str = "error") -> Registration:
        """``POST /works``: register from locally computed fingerprints (see ``fingerprints_only_body``)."""
        resp = self.send("POST", "/works", json=dict(body), params={"if_exists": if_exists})
        return Registration(resp.json(), resp.status_code == 201)

    def upload_work(
        self,
        filename: str,
        content: bytes,
        *,
        fields: Mapping[str, Any] | None = None,
        if_exists: str = "error",
    ) -> Registration:
        """``POST /works/upload``: the server fingerprints ``content``; ``fields`` are the form fields."""
        data = {k: v for k, v in (fields or {}).items() if v is not None}
        data["if_exists"] = if_exists
        resp = self.send("POST", "/works/upload", files={"file": (filename, content)}, data=data)
        return Registration(resp.json(), resp.status_code == 201)

    def list_works(self, *, limit: int = 100, offset: int = 0) -> Any:
        return self.request("GET", "/works", params={"limit": limit, "offset": offset})

    def get_work(self, work_id: str) -> Any:
        return self.request("GET", f"/works/{work_id}")

    def update_work(self, work_id: str, changes: Mapping[str, Any]) -> Any:
        return self.request("PATCH", f"/works/{work_id}", json=dict(changes), idempotent=True)

    def delete_work(self, work_id: str) -> None:
        self.request("DELETE", f"/works/{work_id}")

    def work_preferences(self, work_id: str) -> Any:
        """The work's effective preferences, each rule with the level that decided it."""
        return self.request("GET", f"/works/{work_id}/preferences")

    def set_work_preferences(self, work_id: str, spec: str) -> Any:
        return self.request("PUT", f"/works/{work_id}/preferences", json={"spec": spec})

    def work_disputes(self, work_id: str) -> Any:
        return self.request("GET", f"/works/{work_id}/disputes")

    # -- preferences at the collection and domain levels ----------------------------------------

    def list_preferences(self) -> Any:
        return self.request("GET", "/preferences")

    def set_collection_preferences(self, name: str, spec: str) -> Any:
        return self.request("PUT", f"/preferences/collections/{name}", json={"spec": spec})

    def delete_collection_preferences(self, name: str) -> None:
        self.request("DELETE", f"/preferences/collections/{name}")

    def set_domain_preferences(self, pattern: str, spec: str) -> Any:
        return self.request("PUT", "/preferences/domains", json={"spec": spec, "pattern": pattern})

    def delete_domain_preferences(self, pattern: str) -> None:
        self.request("DELETE", "/preferences/domains", params={"pattern": pattern})

    # -- domains and disputes ------------------------------------------------------------------

    def add_domain(self, domain: str) -> Any:
        return self.request("POST", "/domains", json={"domain": domain})

    def list_domains(self) -> Any:
        return self.request("GET", "/domains")

    def verify_domain(self, domain: str) -> Any:
        # Verifying twice is harmless: the registry fetches the token again.
        return self.request("POST", f"/domains/{domain}/verify", idempotent=True)

    def list_disputes(self, **params: Any) -> Any:
        return self.request("GET", "/disputes", params={k: v for k, v in params.items() if v is not None})

    def get_dispute(self, dispute_id: str) -> Any:
        return self.request("GET", f"/disputes/{dispute_id}")

    def respond_dispute(self, dispute_id: str, evidence: str) -> Any:
        return self.request("POST", f"/disputes/{dispute_id}/respond", json={"evidence": evidence})

    def withdraw_dispute(self, dispute_id: str) -> Any:
        return self.request("POST", f"/disputes/{dispute_id}/withdraw")

    def resolve_dispute(self, dispute_id: str, outcome: str) -> Any:
        return self.request("POST", f"/disputes/{dispute_id}/resolve", json={"outcome": outcome})

    # -- provenance manifests ------------------------------------------------------------------

    def publish_manifest(self, record: Mapping[str, Any]) -> Any:
        """``POST /manifests``: store a C2PA manifest record (camelCase fields, as the API takes them)."""
        return self.request("POST", "/manifests", json=dict(record))

    def get_manifest(self, manifest_id: str) -> Any:
        return self.request("GET", f"/manifests/{manifest_id}", auth=False)

    def delete_manifest(self, manifest_id: str) -> None:
        self.request("DELETE", f"/manifests/{manifest_id}")

    def matches_by_binding(self, alg: str, value: str) -> Any:
        return self.request("GET", "/matches/byBinding", params={"alg": alg, "value": value}, auth=False)

    def matches_by_content(self, content: bytes) -> Any:
        return self.request("POST", "/matches/byContent", content=content, auth=False, idempotent=True)

    # -- registry ------------------------------------------------------------------------------

    def info(self) -> RegistryInfo:
        """Which registry answers, its version and content hash (``GET /info``)."""
        data = self.request("GET", "/info", auth=False)
        try:
            return RegistryInfo(source=self.url, version=str(data["version"]), sha256=str(data["sha256"]))
        except (KeyError, TypeError):
            raise RegistryUnavailableError(f"registry {self.url}/info answered an unexpected shape") from None

    def audit_verify(self) -> Any:
        return self.request("GET", "/audit/verify", auth=False)

    def lookup(self, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        """``POST /lookup`` in pages the server accepts; see :mod:`mediamanager.client_lookup`."""
        from mediamanager.client_lookup import paged_lookup

        return paged_lookup(self, queries)

    # -- ledger --------------------------------------------------------------------------------

    def submit_scan(
        self,
        attestation: bytes,
        decisions: bytes,
        report: bytes,
        *,
        dataset: str = "",
        dataset_version: str = "",
    ) -> Any:
        """``POST /ledger/submissions``: safe to repeat (the same scan is recorded once)."""
        files = {
            "attestation": ("attestation.json", attestation, "application/json"),
            "decisions": ("decisions.parquet", decisions, "application/octet-stream"),
            "report": ("report.json", report, "application/json"),
        }
        data = {"dataset": dataset, "dataset_version": dataset_version}
        return self.request("POST", "/ledger/submissions", files=files, data=data, idempotent=True)

    def ledger_submissions(self) -> Any:
        return self.request("GET", "/ledger/submissions")

    def ledger_events(self, **params: Any) -> Any:
        return self.request("GET", "/ledger/events", params=params)

    def ledger_verify(self) -> Any:
        return self.request("GET", "/ledger/verify", auth=False)

    def ledger_key(self) -> Any:
        return self.request("GET", "/ledger/key", auth=False)

    def ledger_statement(self, period: str, *, owner_id: str | None = None, fmt: str = "json") -> Any:
        """A statement: parsed JSON for ``fmt="json"``, else the CSV or DSR text."""
        params = {"period": period, "format": fmt, **({"owner_id": owner_id} if owner_id else {})}
        if fmt == "json":
            return self.request("GET", "/ledger/statements", params=params)
        return self.send("GET", "/ledger/statements", params=params).text

    def work_usage(self, work_id: str) -> Any:
        return self.request("GET", f"/works/{work_id}/usage")

    def request_licence(
        self, work_ids: Sequence[str], purpose: str, licensee_key_id: str, *, expires_at: str | None = None
    ) -> Any:
        body = {"work_ids": list(work_ids), "purpose": purpose, "licensee_key_id": licensee_key_id}
        return self.request("POST", "/ledger/licences", json={**body, "expires_at": expires_at})

    def list_licences(self, *, status: str | None = None) -> Any:
        return self.request("GET", "/ledger/licences", params={"status": status} if status else None)

    def decide_licence(self, licence_id: str, action: str) -> Any:
        """``action``: accept, decline or revoke."""
        return self.request("POST", f"/ledger/licences/{licence_id}/{action}")

    def ledger_grants(self) -> Any:
        return self.request("GET", "/ledger/grants")


@dataclass(frozen=True)
class Registration:
    """A ``POST /works`` answer: ``body`` holds ``work`` and ``disputes``; ``created`` is False when the
    owner had already registered the same content (``if_exists=return``)."""

    body: dict[str, Any]
    created: bool

    @property
    def work(self) -> dict[str, Any]:
        work: dict[str, Any] = self.body["work"]
        return work

    @property
    def disputes(self) -> list[Any]:
        return list(self.body.get("disputes") or ())
