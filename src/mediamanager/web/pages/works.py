"""My works: a searchable, filterable, paginated list, each with its dispute and where-found counts."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Query, Request
from fastapi.responses import Response

from mediamanager.api.deps import UowDep, WorksDep
from mediamanager.model import MediaType
from mediamanager.registry.ledger import LedgerService
from mediamanager.registry.store.tables import disputes
from mediamanager.web.pages._router import page_router
from mediamanager.web.session import RequiredUser
from mediamanager.web.templating import render

router = page_router()
PAGE_SIZE = 25
_THUMBNAIL_TYPES = {"image"}


def _dispute_counts(uow: UowDep, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    counts = dict.fromkeys(ids, 0)
    with uow.read() as conn:
        for column in (disputes.c.work_a, disputes.c.work_b):
            rows = conn.execute(
                sa.select(column, sa.func.count()).where(column.in_(ids)).group_by(column)
            ).all()
            for work_id, n in rows:
                counts[work_id] += int(n)
    return counts


@router.get("/my/works")
def my_works(
    request: Request,
    user: RequiredUser,
    works: WorksDep,
    uow: UowDep,
    q: Annotated[str, Query(max_length=200)] = "",
    media_type: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    kind = media_type if media_type in {m.value for m in MediaType} else ""
    found, total = works.search_works(
        user.owner, query=q, media_type=kind or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    ids = [w.id for w in found]
    context = {
        "works": found,
        "total": total,
        "q": q,
        "media_type": kind,
        "media_types": [m.value for m in MediaType],
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "disputes": _dispute_counts(uow, ids),
        "usage": LedgerService(uow).usage_counts(user.owner, ids),
        "thumbnail_types": _THUMBNAIL_TYPES,
    }
    return render(request, "works.html", context)


@router.get("/my/works/{work_id}/thumbnail")
def thumbnail(work_id: str, user: RequiredUser, works: WorksDep) -> Response:
    """The kept content of one of the user's image works, as a small JPEG (404 for anyone else's)."""
    import io

    from PIL import Image

    from mediamanager.errors import NotFoundError

    record = works.get_work(user.owner, work_id)
    if record.media_type.value not in _THUMBNAIL_TYPES:
        raise NotFoundError(f"work {work_id!r} has no thumbnail")
    content = works.get_content(user.owner, work_id)
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.thumbnail((160, 160))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, ValueError) as exc:
        raise NotFoundError(f"work {work_id!r} has no readable image") from exc
    return Response(
        out.getvalue(), media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )
