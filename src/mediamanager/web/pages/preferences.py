"""Preferences: per work, collection or domain/path, per purpose, with conditions, and a live preview.

The preview is the text the project's own emitters (:mod:`mediamanager.signals`) will publish,
rendered server-side; ``portal.js`` re-posts the form to ``/my/preferences/preview`` on each change.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from mediamanager.api.deps import PreferencesDep
from mediamanager.errors import InputError
from mediamanager.model import Conditions, Preferences, Purpose, Rule, Use
from mediamanager.signals.aipref import emit_content_usage
from mediamanager.signals.aitxt import emit_ai_txt
from mediamanager.signals.content_signal import emit_content_signal
from mediamanager.signals.robots import emit_robots_txt
from mediamanager.signals.rsl import emit_rsl
from mediamanager.signals.tdmrep import emit_tdmrep_json
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import CsrfChecked, RequiredUser
from mediamanager.web.templating import redirect, render

router = page_router()

SCOPES = ("work", "collection", "domain")
USES = [u.value for u in (Use.UNKNOWN, Use.ALLOW, Use.ALLOW_IF, Use.DENY)]
PAYMENT_MODELS = ("", "per-item", "per-token", "per-crawl")


def preferences_from_form(form: Any) -> Preferences:
    """The :class:`Preferences` a preferences form states: ``<purpose>.use`` plus its condition fields."""
    rules: dict[Purpose, Rule] = {}
    for purpose in Purpose:
        use = Use(str(form.get(f"{purpose.value}.use", "unknown")))
        if use is Use.UNKNOWN:
            continue
        conditions: dict[str, Any] = {}
        if use is Use.ALLOW_IF:
            p = purpose.value
            if form.get(f"{p}.attribution"):
                conditions["attribution"] = True
            model, amount = str(form.get(f"{p}.payment_model", "")), str(form.get(f"{p}.amount", "")).strip()
            if model:
                conditions["payment"] = {
                    "model": model,
                    "amount": amount or None,
                    "currency": str(form.get(f"{p}.currency", "")).strip().upper() or None,
                }
            for key in ("licence_url", "expires"):
                value = str(form.get(f"{p}.{key}", "")).strip()
                if value:
                    conditions[key] = value
        rules[purpose] = Rule.from_dict({"use": use.value, "conditions": conditions or None})
    return Preferences(rules=rules)


def preview_texts(prefs: Preferences, scope: str, target: str) -> dict[str, str]:
    """Every published form of ``prefs``, exactly as the emitters write it."""
    site = f"https://{target.split('/', 1)[0]}" if scope == "domain" and target else "https://example.com"
    path = "/" + target.split("/", 1)[1] if scope == "domain" and "/" in target else "/*"
    return {
        "robots.txt": emit_robots_txt(prefs),
        "Content-Usage": emit_content_usage(prefs),
        "Content-Signal": emit_content_signal(prefs),
        "ai.txt": emit_ai_txt(prefs),
        "tdmrep.json": emit_tdmrep_json(prefs, path),
        "rsl.xml": emit_rsl(prefs, site + (path if path != "/*" else "/")),
    }


def _form_context(scope: str, target: str, prefs: Preferences) -> dict[str, Any]:
    rules = {p.value: prefs.stated(p) for p in Purpose}
    return {
        "scope": scope,
        "target": target,
        "scopes": SCOPES,
        "purposes": [p.value for p in Purpose],
        "uses": USES,
        "payment_models": PAYMENT_MODELS,
        "rules": rules,
        "empty": Conditions(),
        "preview": preview_texts(prefs, scope, target),
    }


@router.get("/my/preferences")
def preferences_page(
    request: Request, user: RequiredUser, prefs: PreferencesDep, scope: str = "collection", target: str = ""
) -> Response:
    scope = scope if scope in SCOPES else "collection"
    stated = {(r.scope, r.target): r.preferences for r in prefs.list_preferences(user.owner)}
    current = stated.get((scope, target), Preferences())
    context = {**_form_context(scope, target, current), "stated": sorted(stated.items())}
    return render(request, "preferences.html", context)


@router.post("/my/preferences/preview")
async def preview(request: Request, user: RequiredUser, _csrf: CsrfChecked) -> Response:
    form = await request.form()
    scope, target = str(form.get("scope", "collection")), str(form.get("target", ""))
    try:
        texts = preview_texts(preferences_from_form(form), scope, target)
    except (InputError, ValueError) as exc:
        return JSONResponse({"error": str(exc)[:300]}, 422)
    return JSONResponse(texts)


@router.post("/my/preferences")
async def save_preferences(
    request: Request, user: RequiredUser, _csrf: CsrfChecked, prefs: PreferencesDep
) -> Response:
    form = await request.form()
    scope, target = str(form.get("scope", "")), str(form.get("target", "")).strip()
    try:
        stated = preferences_from_form(form)
        record = prefs.set_preferences(user.owner, scope, target, stated)
    except (InputError, ValueError) as exc:
        context = {**_form_context(scope if scope in SCOPES else "collection", target, Preferences())}
        context["stated"] = sorted(
            ((r.scope, r.target), r.preferences) for r in prefs.list_preferences(user.owner)
        )
        context["error"] = str(exc)[:300]
        return render(request, "preferences.html", context, 422)
    return redirect(
        request,
        f"/my/preferences?scope={record.scope}&target={record.target}",
        f"Saved the {record.scope} preferences for {record.target}.",
    )
