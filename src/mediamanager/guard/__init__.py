"""Inference guards: honour ``ai-input`` in RAG contexts, catch regurgitated registered text, gate
style-by-name prompts. See docs/guard.md.

* :func:`filter_context` - drop retrieved documents whose owners deny the purpose;
* :func:`check_output` / :class:`StreamChecker` - registered text reproduced in an output;
* :func:`gate_prompt` - registered creators named in a prompt, with their style preference.
"""

from mediamanager.guard.context import ContextDecision, GuardDoc, filter_context, judge_context
from mediamanager.guard.index import VerbatimIndex
from mediamanager.guard.names import Creator, GateResult, NamesTable, gate_prompt
from mediamanager.guard.output import OutputCheck, Span, check_output
from mediamanager.guard.policy import Action
from mediamanager.guard.stream import StreamChecker

__all__ = [
    "Action",
    "ContextDecision",
    "Creator",
    "GateResult",
    "GuardDoc",
    "NamesTable",
    "OutputCheck",
    "Span",
    "StreamChecker",
    "VerbatimIndex",
    "check_output",
    "filter_context",
    "gate_prompt",
    "judge_context",
]
