"""LangChain adapter: a ``BaseDocumentTransformer`` that keeps only documents the guard allows.

Metadata read per document: ``source`` or ``url`` (its URL), ``headers`` (captured HTTP
headers, a dict or pairs) and ``html_head``. Kept documents gain ``metadata["guard"]``: the
decision (use, conditions, attribution to cite). Install with the ``guard`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mediamanager.errors import require_extra
from mediamanager.guard.context import GuardDoc, judge_context
from mediamanager.guard.policy import Action
from mediamanager.lookup import RegistryClient

_documents: Any = require_extra("langchain_core.documents", "guard")
BaseDocumentTransformer: Any = _documents.BaseDocumentTransformer
Document = _documents.Document

__all__ = ["GuardDocumentTransformer", "doc_of"]


def doc_of(text: str | None, metadata: dict[str, Any]) -> GuardDoc:
    raw = metadata.get("headers") or {}
    items = raw.items() if isinstance(raw, dict) else raw
    url = metadata.get("url") or metadata.get("source")
    return GuardDoc(
        text=text or None,
        url=url if isinstance(url, str) and "://" in url else None,
        headers=tuple((str(k).lower(), str(v)) for k, v in items),
        html_head=metadata.get("html_head"),
    )


class GuardDocumentTransformer(BaseDocumentTransformer):
    """Drops documents whose owners deny the purpose (and unknown ones, by default)."""

    def __init__(self, client: RegistryClient, *, purpose: str = "ai-input", unknown: str = "drop") -> None:
        self.client = client
        self.purpose = purpose
        self.unknown = unknown

    def transform_documents(self, documents: Sequence[Any], **kwargs: Any) -> Sequence[Any]:
        docs = list(documents)
        decisions = judge_context(
            [doc_of(d.page_content, dict(d.metadata)) for d in docs],
            self.client,
            purpose=self.purpose,
            unknown=self.unknown,
        )
        out = []
        for d, dec in zip(docs, decisions, strict=True):
            if dec.action is Action.KEEP:
                out.append(
                    Document(
                        page_content=d.page_content, metadata={**d.metadata, "guard": dec.to_dict()}, id=d.id
                    )
                )
        return out
