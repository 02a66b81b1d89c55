"""LlamaIndex adapter: a node postprocessor that keeps only nodes the guard allows.

Node metadata read as in :mod:`mediamanager.guard.langchain` (``url``/``source``, ``headers``,
``html_head``); kept nodes gain ``metadata["guard"]``. Install with the ``guard`` extra.
"""

from __future__ import annotations

from typing import Any

from mediamanager.errors import require_extra
from mediamanager.guard.context import judge_context
from mediamanager.guard.langchain import doc_of
from mediamanager.guard.policy import Action

ConfigDict = require_extra("llama_index.core.bridge.pydantic", "guard").ConfigDict  # type: ignore[attr-defined]
BaseNodePostprocessor: Any = require_extra(  # type: ignore[attr-defined]
    "llama_index.core.postprocessor.types", "guard"
).BaseNodePostprocessor

__all__ = ["GuardNodePostprocessor"]


class GuardNodePostprocessor(BaseNodePostprocessor):
    """Drops retrieved nodes whose owners deny the purpose (and unknown ones, by default)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    client: Any
    purpose: str = "ai-input"
    unknown: str = "drop"

    @classmethod
    def class_name(cls) -> str:
        return "GuardNodePostprocessor"

    def _postprocess_nodes(self, nodes: list[Any], query_bundle: Any = None) -> list[Any]:
        decisions = judge_context(
            [doc_of(n.node.get_content(), dict(n.node.metadata)) for n in nodes],
            self.client,
            purpose=self.purpose,
            unknown=self.unknown,
        )
        kept = []
        for n, dec in zip(nodes, decisions, strict=True):
            if dec.action is Action.KEEP:
                n.node.metadata["guard"] = dec.to_dict()
                for keys in (n.node.excluded_llm_metadata_keys, n.node.excluded_embed_metadata_keys):
                    if "guard" not in keys:
                        keys.append("guard")  # evidence for the caller, not text for the model
                kept.append(n)
        return kept
