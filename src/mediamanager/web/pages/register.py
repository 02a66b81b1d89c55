"""Register works: files dropped in the browser are posted one by one to ``/my/register/upload``.

The server fingerprints each upload through :class:`~mediamanager.registry.works.WorkService`
and keeps the bytes only when the creator ticks "keep". Uploads are capped at
``Settings.max_upload_bytes`` (the app's ``RefuseOversized`` refuses a larger body before reading it)
and type-checked: the declared type must be an image, text, audio or video type, and the content
itself must decode as one (``UnsupportedMediaError`` / ``CorruptMediaError`` otherwise).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from mediamanager.api.deps import SettingsDep, WorksDep
from mediamanager.api.errors import safe_message, status_for
from mediamanager.errors import MediaManagerError
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import CsrfChecked, RequiredUser
from mediamanager.web.templating import render

router = page_router()

ACCEPTED_PREFIXES = ("image/", "text/", "audio/", "video/")
ACCEPT_ATTRIBUTE = "image/*,text/*,audio/*,video/*"


@router.get("/my/register")
def register_form(request: Request, user: RequiredUser, settings: SettingsDep) -> Response:
    context = {"max_bytes": settings.max_upload_bytes, "accept": ACCEPT_ATTRIBUTE}
    return render(request, "register.html", context)


@router.post("/my/register/upload")
async def upload(
    user: RequiredUser,
    _csrf: CsrfChecked,
    works: WorksDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    keep: Annotated[bool, Form()] = False,
    collection: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Fingerprint and register one file; JSON ``{status, work_id, media_type, disputes}`` or ``{error}``."""
    name = (file.filename or "upload")[:300]
    declared = (file.content_type or "").lower()
    if not declared.startswith(ACCEPTED_PREFIXES):
        return JSONResponse({"file": name, "error": f"{declared or 'unknown'} files are not accepted"}, 415)
    content = await file.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        return JSONResponse({"file": name, "error": f"larger than {settings.max_upload_bytes} bytes"}, 413)
    try:
        result = works.register_content(
            user.owner,
            content,
            filename=name,
            keep_content=keep,
            title=name,
            collection=collection.strip() or None,
            if_exists="return",
        )
    except MediaManagerError as exc:
        return JSONResponse({"file": name, "error": safe_message(str(exc))}, status_for(exc))
    return JSONResponse(
        {
            "file": name,
            "status": "registered" if result.created else "already registered",
            "work_id": result.work.id,
            "media_type": result.work.media_type.value,
            "disputes": len(result.disputes),
        },
        201 if result.created else 200,
    )
