"""Renders report.json as one self-contained HTML page: headline, tiles, inline SVG charts, item tables.

No external assets, fonts or scripts, and no inline script either: the page carries a
Content-Security-Policy (``default-src 'none'``, the one stylesheet allowed by its
hash, images only as ``data:`` URIs) and opens offline, so it can be attached to an
audit file as is. Every value from the data is HTML-escaped. The item lists are
``<details>`` sections, one per status (refused, licence needed, unknown, errors).

"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any

from mediamanager.scan.report.build import item_status

__all__ = ["render_html"]

COLOURS = {"keep": "#2e7d32", "drop": "#c62828", "license": "#ef8f00", "error": "#6a1b9a"}
OUTCOMES = ("keep", "drop", "license", "error")
STATUS_COLOURS = {
    "allowed": "#2e7d32", "licence": "#ef8f00", "refused": "#c62828", "unknown": "#78808c", "error": "#6a1b9a",
}  # fmt: skip
STATUS_LABELS = {
    "allowed": "allowed", "licence": "licence needed", "refused": "refused", "unknown": "nobody spoke (unknown)",
    "error": "error",
}  # fmt: skip
TOP = 15

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:22px 32px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.8}main{padding:24px 32px;max-width:1200px}
.tiles{display:flex;gap:14px;flex-wrap:wrap;margin-bottom:22px}
.tile{background:#fff;border-radius:10px;padding:14px 20px;min-width:140px;box-shadow:0 1px 3px #0002}
.tile b{display:block;font-size:28px}.tile span{font-size:13px;text-transform:uppercase;letter-spacing:.04em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:18px}
section{background:#fff;border-radius:10px;padding:16px 20px;box-shadow:0 1px 3px #0002;margin-bottom:18px}
h2{font-size:16px;margin:0 0 10px}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e6eb;vertical-align:top}
th{background:#fafbfc;position:sticky;top:0}.pill{color:#fff;border-radius:9px;padding:1px 8px;font-size:12px}
input,select{font:inherit;padding:6px 10px;border:1px solid #c8ccd4;border-radius:6px;margin:0 8px 10px 0}
.legend span{margin-right:14px;font-size:13px}.legend i{display:inline-block;width:11px;height:11px;
border-radius:2px;margin-right:5px;vertical-align:-1px}small{color:#5b6270}dl{margin:0}
dt{font-weight:600;float:left;clear:left;width:150px}dd{margin:0 0 4px 160px;word-break:break-all}
.headline{font-size:17px;margin:0 0 18px}details{margin-top:8px}summary{cursor:pointer;font-weight:600}
img.thumb{width:64px;height:64px;object-fit:cover;border-radius:4px;background:#eee}td.n{text-align:right}
.flex{display:flex;gap:24px;align-items:center}.gap{margin-top:12px}
"""
_CSS += "".join(
    f".o-{k}{{border-top:4px solid {c}}}.p-{k}{{background:{c}}}.l-{k}{{background:{c}}}"
    for k, c in {**COLOURS, **STATUS_COLOURS}.items()
)
CSP = (
    "default-src 'none'; img-src data:; style-src "
    f"'sha256-{base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()}'; base-uri 'none'; form-action 'none'"
)


def _legend() -> str:
    return (
        '<div class="legend">'
        + "".join(f'<span><i class="l-{o}"></i>{o}</span>' for o in OUTCOMES)
        + "</div>"
    )


def _pill(status: str, label: str | None = None) -> str:
    return f'<span class="pill p-{escape(status)}">{escape(label or status)}</span>'


def stacked_bars(table: dict[str, dict[str, int]], *, top: int = TOP) -> str:
    """A horizontal stacked bar per key (outcomes stacked), as inline SVG."""
    keys = list(table)[:top]
    if not keys:
        return "<p><small>nothing to show</small></p>"
    widest = max(sum(v.values()) for v in table.values()) or 1
    label_w, bar_w, row_h = 230, 420, 24
    parts = [
        f'<svg role="img" viewBox="0 0 {label_w + bar_w + 70} {row_h * len(keys) + 4}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg" font-size="12">'
    ]
    for i, k in enumerate(keys):
        y = i * row_h + 2
        label = k if len(k) <= 34 else k[:33] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        x = float(label_w)
        total = sum(table[k].values())
        for o in OUTCOMES:
            n = table[k].get(o, 0)
            if not n:
                continue
            w = bar_w * n / widest
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{row_h - 6}" fill="{COLOURS[o]}">'
                f"<title>{escape(k)}: {n} {o}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{total:,}</text>')
    parts.append("</svg>")
    more = f"<small>{len(table) - top} more in report.json</small>" if len(table) > top else ""
    return "".join(parts) + more


def donut(statuses: dict[str, int]) -> str:
    """The share of each status, as an inline SVG ring; the centre says how many items someone spoke for."""
    n = statuses.get("items", 0)
    if not n:
        return "<p><small>no items</small></p>"
    r, c = 60, 2 * 3.14159265 * 60
    offset = 0.0
    parts = ['<svg viewBox="0 0 160 160" width="180" xmlns="http://www.w3.org/2000/svg">']
    for k, colour in STATUS_COLOURS.items():
        share = statuses.get(k, 0) / n
        if share:
            parts.append(
                f'<circle r="{r}" cx="80" cy="80" fill="none" stroke="{colour}" stroke-width="26" '
                f'stroke-dasharray="{share * c:.2f} {c:.2f}" stroke-dashoffset="{-offset * c:.2f}" '
                f'transform="rotate(-90 80 80)"><title>{STATUS_LABELS[k]}: {statuses.get(k, 0)}</title></circle>'
            )
            offset += share
    spoke = n - statuses.get("unknown", 0) - statuses.get("error", 0)
    parts.append(
        f'<text x="80" y="78" text-anchor="middle" font-size="20" font-weight="700">{spoke:,}/{n:,}</text>'
    )
    parts.append('<text x="80" y="98" text-anchor="middle" font-size="11">stated a preference</text></svg>')
    return "".join(parts)


def _conditions(cond: dict[str, Any]) -> str:
    """Conditions as a short phrase: ``attribution; payment per-item 0.01 USD; licence URL``."""
    parts = ["attribution"] if cond.get("attribution") else []
    pay = cond.get("payment") or {}
    if pay:
        parts.append(
            " ".join(
                str(x) for x in ("payment", pay.get("model"), pay.get("amount"), pay.get("currency")) if x
            )
        )
    parts += [f"{k} {cond[k]}" for k in ("licence_url", "expires", "note") if cond.get(k)]
    return "; ".join(parts)


def _items_table(items: list[dict[str, Any]]) -> str:
    rows = []
    for it in items:
        o = it["outcome"]
        where = it.get("url") or it.get("filename") or ""
        cond_s = _conditions(it.get("conditions") or {})
        why = "<br>".join(escape(r) for r in it.get("reasons", [])[1:4])
        rows.append(
            f'<tr data-outcome="{escape(o)}"><td>{escape(str(it["item_id"]))}</td>'
            f"<td>{_pill(o)}{' <small>disputed</small>' if it.get('disputed') else ''}</td>"
            f"<td>{escape(it.get('media', ''))}</td>"
            f"<td>{escape(it['reason'])}<br><small>{why}</small></td>"
            f"<td>{escape(', '.join(it.get('owners') or []))}</td><td>{escape(cond_s)}</td>"
            f"<td><small>{escape(where)}</small></td></tr>"
        )
    return "".join(rows)


def _item_sections(items: list[dict[str, Any]]) -> str:
    """One collapsible table per status: refused, licence needed, unknown, errors."""
    out = []
    for status in ("refused", "licence", "unknown", "error"):
        mine = [
            it for it in items if (it.get("status") or item_status(it["outcome"], "", it["reason"])) == status
        ]
        if not mine:
            continue
        out.append(
            f'<details id="items-{status}" open><summary>{_pill(status, STATUS_LABELS[status])} '
            f'<span class="count">{len(mine):,}</span> items</summary>'
            f"<table><thead><tr><th>Item</th><th>Outcome</th><th>Media</th><th>Why</th><th>Owner</th>"
            f"<th>Conditions</th><th>Where</th></tr></thead><tbody>{_items_table(mine)}</tbody></table></details>"
        )
    return "".join(out) or "<p><small>every item was allowed</small></p>"


def _status_table(table: dict[str, dict[str, int]], first: str) -> str:
    """Rows of ``table`` (media or source) against the statuses, with totals."""
    head = "".join(f"<th>{escape(STATUS_LABELS[k])}</th>" for k in STATUS_COLOURS)
    rows = "".join(
        f'<tr data-key="{escape(key)}"><td>{escape(key)}</td><td class="n">{sum(v.values()):,}</td>'
        + "".join(f'<td class="n" data-status="{k}">{v.get(k, 0):,}</td>' for k in STATUS_COLOURS)
        + "</tr>"
        for key, v in table.items()
    )
    return f"<table><thead><tr><th>{first}</th><th>items</th>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _refused_table(refused: dict[str, int]) -> str:
    if not refused:
        return "<p><small>nothing was refused</small></p>"
    rows = "".join(
        f'<tr data-source="{escape(k)}"><td>{escape(k)}</td><td class="n">{n:,}</td></tr>'
        for k, n in refused.items()
    )
    return f"<table><thead><tr><th>Deciding source</th><th>refused items</th></tr></thead><tbody>{rows}</tbody></table>"


def _matched_table(matched: list[dict[str, Any]], truncated: bool) -> str:
    if not matched:
        return "<p><small>no item matched a registered work</small></p>"
    rows = []
    for m in matched:
        uri = m.get("thumbnail") or ""
        thumb = (  # only our own data: URIs; the CSP would block anything else anyway
            f'<img class="thumb" alt="thumbnail of {escape(str(m["item_id"]))}" src="{escape(uri)}">'
            if uri.startswith("data:image/jpeg;base64,")
            else ""
        )
        works = "<br>".join(
            f'<span class="work">{escape(w["title"])}</span> <small>by</small> '
            f'<span class="owner">{escape(w["owner_name"])}</span>'
            for w in m["works"]
        )
        how = "<br>".join(
            f'<span class="kind">{escape(w["kind"])}</span> {w["score"]:.3f}' for w in m["works"]
        )
        where = m.get("url") or m.get("filename") or ""
        rows.append(
            f"<tr><td>{thumb}</td><td>{escape(str(m['item_id']))}<br><small>{escape(where)}</small></td>"
            f"<td>{escape(m['media'])}</td><td>{_pill(m['status'], STATUS_LABELS[m['status']])}</td>"
            f"<td>{works}</td><td>{how}</td></tr>"
        )
    more = (
        "<p><small>More items matched; report.json and decisions.parquet list them.</small></p>"
        if truncated
        else ""
    )
    return (
        '<table id="matched"><thead><tr><th></th><th>Item</th><th>Media</th><th>Status</th>'
        "<th>Registered work and owner</th><th>Match kind and score</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{more}"
    )


def render_html(report: dict[str, Any]) -> str:
    """The whole page for a report.json dictionary."""
    t, st = report["totals"], report["statuses"]
    pol, reg, inp = report["policy"], report["registry"], report["input"]
    tiles = "".join(
        f'<div class="tile o-{k}" id="tile-{k}"><b>{st[k]:,}</b><span>{escape(STATUS_LABELS[k])}</span></div>'
        for k in STATUS_COLOURS
    )
    outcome_tiles = " · ".join(f"{t[o]:,} {o}" for o in OUTCOMES)
    charts = "".join(
        f"<section><h2>{title}</h2>{stacked_bars(report[key])}</section>"
        for title, key in (
            ("Outcomes by reason", "by_reason"),
            ("Outcomes by deciding source", "by_source"),
            ("Outcomes by registered owner", "by_owner"),
            ("Outcomes by source category", "by_category"),
        )
    )
    truncated = (
        f"<p><small>Showing the first {len(report['items']):,}; decisions.parquet lists every item.</small></p>"
        if report.get("items_truncated")
        else ""
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Scan report: {escape(pol["purpose"])} – {t["items"]:,} items</title><style>{_CSS}</style></head><body>
<header><h1>Media Manager scan report</h1>
<p>{t["items"]:,} items scanned for <b>{escape(pol["purpose"])}</b> on {escape(report["generated_at"])}</p></header>
<main>
<p class="headline" id="headline">{escape(report["headline"])}</p>
<div class="tiles"><div class="tile" id="tile-items"><b>{t["items"]:,}</b><span>items</span></div>{tiles}
<div class="tile" id="tile-disputed"><b>{report["disputed"]:,}</b><span>disputed matches</span></div></div>
<div class="grid"><section><h2>Statuses</h2><div class="flex">
{donut(st)}<div><p id="outcomes">Dataset outcomes: {outcome_tiles}</p><dl class="gap">
<dt>Purpose</dt><dd>{escape(pol["purpose"])}</dd><dt>Unknown items</dt><dd>{escape(pol["unknown"])}</dd>
<dt>Combine rule</dt><dd>{escape(pol["combine"])}</dd></dl></div></div></section>
<section><h2>What was scanned</h2><dl><dt>Input</dt><dd>{escape(inp["path"])}</dd>
<dt>Format</dt><dd>{escape(inp["format"])} ({inp["shards"]} shard(s))</dd>
<dt>Registry</dt><dd>{escape(reg["source"])}</dd><dt>Version</dt><dd>{escape(reg["version"])}</dd>
<dt>Snapshot sha256</dt><dd>{escape(reg["sha256"])}</dd>
<dt>User agent</dt><dd>{escape(str(pol.get("user_agent") or "any"))}</dd></dl></section>
<section id="refused"><h2>Refused, by deciding source</h2>{_refused_table(report["refused_by_source"])}</section>
<section id="media"><h2>Per media type</h2>{_status_table(report["by_media"], "Media")}</section></div>
<section id="matches"><h2>Items matching registered works</h2>
{_matched_table(report["matched"], report.get("matched_truncated", False))}</section>
{_legend()}<div class="grid">{charts}</div>
<section id="items"><h2>Items not kept as allowed</h2>{truncated}{_item_sections(report["items"])}</section>
</main></body></html>
"""
