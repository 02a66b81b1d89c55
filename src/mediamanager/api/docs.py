"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served with local assets, so they render offline.

FastAPI's own pages load their JavaScript, CSS, favicon and fonts from public CDNs and are blank
without a network; a registry often runs where there is none. The assets come from the
``fastapi-offline`` package (Swagger UI and ReDoc bundles) and are served by this app.
"""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_URL", "install_docs"]

ASSETS_URL = "/docs-assets"
# ReDoc's side menu shows a logo hard-coded to this CDN address; without a network it is only a
# failed request (the image hides itself), so it is pointed at the local favicon instead.
_REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def _redoc_js() -> bytes:
    js = (resources.files("fastapi_offline") / "static" / "redoc.standalone.js").read_text("utf-8")
    return js.replace(_REDOC_LOGO, f"{ASSETS_URL}/favicon.png").encode()


def install_docs(app: FastAPI) -> None:
    """Replace the app's CDN-backed ``docs_url`` and ``redoc_url`` pages with locally served ones."""
    docs_url, redoc_url, openapi_url = app.docs_url, app.redoc_url, app.openapi_url
    if openapi_url is None:
        return
    pages = {docs_url, redoc_url} - {None}
    # FastAPI adds its pages in the constructor; drop them so ours are the only match.
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) not in pages]
    assets = resources.files("fastapi_offline") / "static"

    async def redoc_js() -> Response:
        return Response(_redoc_js(), media_type="text/javascript")

    # Before the mount: the first matching route wins.
    app.add_api_route(f"{ASSETS_URL}/redoc.standalone.js", redoc_js, include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(directory=str(assets)), name="docs-assets")

    def _root(request: Request) -> str:
        return str(request.scope.get("root_path", ""))

    if docs_url is not None:

        async def swagger_ui(request: Request) -> HTMLResponse:
            root = _root(request)
            return get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
                swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                swagger_ui_parameters=app.swagger_ui_parameters,
            )

        app.add_api_route(docs_url, swagger_ui, include_in_schema=False)

    if redoc_url is not None:

        async def redoc(request: Request) -> HTMLResponse:
            root = _root(request)
            return get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )

        app.add_api_route(redoc_url, redoc, include_in_schema=False)
