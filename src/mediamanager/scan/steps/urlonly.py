"""URL-only rows (a URL and a caption, no content: LAION and img2dataset inputs), decided before download.

Such a row is decided from what its site says (robots.txt, ai.txt, TDMRep, the page's
Content-Usage / Content-Signal and X-Robots-Tag headers, all from the evidence cache) and from
the registry's match on its URL. Its content was never seen, so a work registered by its bytes
alone cannot be matched: every decision says so (:data:`URL_ONLY_REASON`), and the scan's
``--url-only`` policy states whether such decisions are accepted at all (``decide``, the
default) or every URL-only row is an ``error`` row (``error``). Nothing here turns unknown
into permission: a row nothing speaks for goes to the ``--unknown`` policy like any other.
"""

from __future__ import annotations

from dataclasses import replace

from mediamanager.model import Decision

__all__ = ["URL_ONLY_REASON", "url_only_decision"]

URL_ONLY_REASON = "content not checked: URL-only row"


def url_only_decision(decision: Decision) -> Decision:
    """The decision of a URL-only row: the same outcome, with the unchecked content stated."""
    why = (
        f"{URL_ONLY_REASON}; decided from site signals and the registry's URL match only "
        "(a work registered by its content alone is not found)"
    )
    return replace(decision, reasons=(*decision.reasons, why))
