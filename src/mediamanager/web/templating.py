"""Jinja2 rendering for the portal: autoescaped templates, the CSRF field and the navigation as globals."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup, escape

from mediamanager.web.nav import NAV

__all__ = ["environment", "flash", "redirect", "render"]

_FLASH_KEY = "flash"


@jinja2.pass_context
def csrf_field(context: jinja2.runtime.Context) -> Markup:
    """The hidden form field carrying the CSRF token of the page's request."""
    request: Request = context["request"]
    token = getattr(request.state, "csrf", "")
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(token))


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("mediamanager.web") / "templates")),
        autoescape=True,  # every template, whatever its suffix: titles and names are user input
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["csrf_field"] = csrf_field
    env.globals["nav"] = NAV
    return env


def flash(request: Request, message: str, kind: str = "info") -> None:
    """Queue a message for the next page this browser sees (kept in a short-lived cookie)."""
    request.state.flash_out = [*getattr(request.state, "flash_out", []), (kind, message)]


def render(
    request: Request, template_name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """``template_name`` rendered with ``context`` plus ``request``, the signed-in ``user`` and flashes."""
    from mediamanager.web.session import pop_flashes

    full = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "flashes": pop_flashes(request),
        **context,
    }
    html = environment().get_template(template_name).render(full)
    return HTMLResponse(html, status_code=status_code)


def redirect(request: Request, url: str, message: str | None = None, kind: str = "info") -> RedirectResponse:
    """A 303 to ``url`` (after a form post), carrying ``message`` to the next page."""
    from mediamanager.web.session import keep_flashes

    if message:
        flash(request, message, kind)
    keep_flashes(request)
    return RedirectResponse(url, 303)
