"""Renders report.json as one self-contained HTML page: tiles, inline SVG charts, a searchable table.

No external assets, fonts or scripts: the page opens offline and can be
attached to an audit file as is. Every value from the data is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["render_html"]

COLOURS = {"keep": "#2e7d32", "drop": "#c62828", "license": "#ef8f00", "error": "#6a1b9a"}
OUTCOMES = ("keep", "drop", "license", "error")
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
"""

_JS = """
const q=document.getElementById('q'),f=document.getElementById('f'),rows=[...document.querySelectorAll('#items tbody tr')];
function apply(){const t=q.value.toLowerCase(),o=f.value;let n=0;for(const r of rows){
const ok=(!o||r.dataset.outcome===o)&&(!t||r.textContent.toLowerCase().includes(t));r.hidden=!ok;n+=ok}
document.getElementById('shown').textContent=n}
q.addEventListener('input',apply);f.addEventListener('change',apply);apply();
"""


def _legend() -> str:
    return (
        '<div class="legend">'
        + "".join(f'<span><i style="background:{COLOURS[o]}"></i>{o}</span>' for o in OUTCOMES)
        + "</div>"
    )


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


def donut(totals: dict[str, int]) -> str:
    """The share of each outcome, as an inline SVG ring."""
    n = sum(totals.get(o, 0) for o in OUTCOMES)
    if not n:
        return "<p><small>no items</small></p>"
    r, c = 60, 2 * 3.14159265 * 60
    offset = 0.0
    parts = ['<svg viewBox="0 0 160 160" width="180" xmlns="http://www.w3.org/2000/svg">']
    for o in OUTCOMES:
        share = totals.get(o, 0) / n
        if share:
            parts.append(
                f'<circle r="{r}" cx="80" cy="80" fill="none" stroke="{COLOURS[o]}" stroke-width="26" '
                f'stroke-dasharray="{share * c:.2f} {c:.2f}" stroke-dashoffset="{-offset * c:.2f}" '
                f'transform="rotate(-90 80 80)"><title>{o}: {totals.get(o, 0)}</title></circle>'
            )
            offset += share
    kept = totals.get("keep", 0) + totals.get("license", 0)
    parts.append(
        f'<text x="80" y="78" text-anchor="middle" font-size="20" font-weight="700">{kept / n:.0%}</text>'
    )
    parts.append('<text x="80" y="98" text-anchor="middle" font-size="11">usable</text></svg>')
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
            f'<td><span class="pill" style="background:{COLOURS.get(o, "#555")}">{escape(o)}</span>'
            f"{' <small>disputed</small>' if it.get('disputed') else ''}</td>"
            f"<td>{escape(it['reason'])}<br><small>{why}</small></td>"
            f"<td>{escape(', '.join(it.get('owners') or []))}</td><td>{escape(cond_s)}</td>"
            f"<td><small>{escape(where)}</small></td></tr>"
        )
    return "".join(rows)


def render_html(report: dict[str, Any]) -> str:
    """The whole page for a report.json dictionary."""
    t = report["totals"]
    pol, reg, inp = report["policy"], report["registry"], report["input"]
    tiles = "".join(
        f'<div class="tile" style="border-top:4px solid {COLOURS[o]}"><b>{t[o]:,}</b><span>{o}</span></div>'
        for o in OUTCOMES
    )
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
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Scan report: {escape(pol["purpose"])} – {t["items"]:,} items</title><style>{_CSS}</style></head><body>
<header><h1>Media Manager scan report</h1>
<p>{t["items"]:,} items scanned for <b>{escape(pol["purpose"])}</b> on {escape(report["generated_at"])}</p></header>
<main>
<div class="tiles"><div class="tile"><b>{t["items"]:,}</b><span>items</span></div>{tiles}
<div class="tile"><b>{report["disputed"]:,}</b><span>disputed matches</span></div></div>
<div class="grid"><section><h2>Outcomes</h2><div style="display:flex;gap:24px;align-items:center">
{donut(t)}<div>{_legend()}<dl style="margin-top:12px">
<dt>Purpose</dt><dd>{escape(pol["purpose"])}</dd><dt>Unknown items</dt><dd>{escape(pol["unknown"])}</dd>
<dt>Combine rule</dt><dd>{escape(pol["combine"])}</dd></dl></div></div></section>
<section><h2>What was scanned</h2><dl><dt>Input</dt><dd>{escape(inp["path"])}</dd>
<dt>Format</dt><dd>{escape(inp["format"])} ({inp["shards"]} shard(s))</dd>
<dt>Registry</dt><dd>{escape(reg["source"])}</dd><dt>Version</dt><dd>{escape(reg["version"])}</dd>
<dt>Snapshot sha256</dt><dd>{escape(reg["sha256"])}</dd>
<dt>User agent</dt><dd>{escape(str(pol.get("user_agent") or "any"))}</dd></dl></section></div>
{_legend()}<div class="grid">{charts}</div>
<section><h2>Dropped, licensed and error items (<span id="shown"></span> shown)</h2>
<input id="q" type="search" placeholder="Search id, reason, owner, URL…" size="40">
<select id="f"><option value="">all outcomes</option><option>drop</option><option>license</option>
<option>error</option></select>{truncated}
<table id="items"><thead><tr><th>Item</th><th>Outcome</th><th>Why</th><th>Owner</th><th>Conditions</th>
<th>Where</th></tr></thead><tbody>{_items_table(report["items"])}</tbody></table></section>
</main><script>{_JS}</script></body></html>
"""
