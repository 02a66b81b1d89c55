"""Inference guards over HTTP: ``POST /guard/context``, ``/guard/output``, ``/guard/prompt``.

``/guard/context`` asks the registry this app serves (in process), by content and by URL. The
verbatim index and the names table are files named by the settings (``guard_index``,
``guard_names``: ``MEDIAMANAGER_GUARD_INDEX``, ``MEDIAMANAGER_GUARD_NAMES``), loaded once on first
use, or objects set on ``app.state.guard_index`` / ``app.state.guard_names``; a guard with no
table answers 503 rather than "nothing found".
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from mediamanager.api.deps import UowDep
from mediamanager.guard.context import GuardDoc, judge_context
from mediamanager.guard.index import VerbatimIndex
from mediamanager.guard.names import NamesTable, gate_prompt
from mediamanager.guard.output import check_output
from mediamanager.registry.client import LocalRegistryClient

router = APIRouter(prefix="/guard", tags=["guard"])

MAX_TEXT = 1_000_000


class DocIn(BaseModel):
    text: str | None = Field(None, max_length=MAX_TEXT)
    url: str | None = Field(None, max_length=4096)
    headers: dict[str, str] | list[tuple[str, str]] = Field(default_factory=dict)
    html_head: str | None = Field(None, max_length=MAX_TEXT)


class ContextIn(BaseModel):
    documents: list[DocIn] = Field(..., max_length=1000)
    purpose: str = "ai-input"
    unknown: str = "drop"


class OutputIn(BaseModel):
    text: str = Field(..., max_length=MAX_TEXT)
    purpose: str = "ai-input"
    deny: str = "block"
    unknown: str = "block"


class PromptIn(BaseModel):
    prompt: str = Field(..., max_length=100_000)
    unknown: str = "rewrite"


# A threading lock, not an asyncio one: apps (and their event loops) may run in several threads of one
# process, and the load itself runs in the thread pool.
_LOADING = threading.Lock()


def _load_once(state: Any, attr: str, loader: Any) -> Any:
    with _LOADING:  # one load, however many requests arrive while it runs
        value = getattr(state, attr, None)
        if value is None:
            path = getattr(state.settings, attr)
            if not path:
                env = f"MEDIAMANAGER_{attr.upper()}"
                raise HTTPException(503, f"no {attr.removeprefix('guard_')} table configured ({env})")
            value = loader(path)
            setattr(state, attr, value)
    return value


async def _table(request: Request, attr: str, loader: Any) -> Any:
    """The table on ``app.state``, loaded from the settings' file on first use (off the event loop)."""
    value = getattr(request.app.state, attr, None)
    if value is None:
        value = await run_in_threadpool(_load_once, request.app.state, attr, loader)
    return value


@router.post("/context")
async def context(body: ContextIn, uow: UowDep) -> dict[str, Any]:
    """A decision per document (keep or drop, conditions, attribution); unknown follows ``unknown``."""
    docs = [GuardDoc.from_dict(d.model_dump()) for d in body.documents]
    decisions = await run_in_threadpool(
        judge_context, docs, LocalRegistryClient(uow), purpose=body.purpose, unknown=body.unknown
    )
    return {
        "decisions": [d.to_dict() for d in decisions],
        "kept": [d.index for d in decisions if d.action == "keep"],
    }


@router.post("/output")
async def output(body: OutputIn, request: Request) -> dict[str, Any]:
    """Every registered span in the output with offsets, work, owner, terms and action."""
    index = await _table(request, "guard_index", VerbatimIndex.load)
    result = await run_in_threadpool(
        check_output, body.text, index, purpose=body.purpose, deny=body.deny, unknown=body.unknown
    )
    return result.to_dict()


@router.post("/prompt")
async def prompt(body: PromptIn, request: Request) -> dict[str, Any]:
    """allow, rewrite or refuse, with the named creators and their preferences as evidence."""
    table = await _table(request, "guard_names", NamesTable.load)
    return gate_prompt(body.prompt, table, unknown=body.unknown).to_dict()
