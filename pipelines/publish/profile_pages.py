"""HTML for the area profiles: a page per area with inline SVG trend lines, the areas index
and the area search box (also placed on the site index).

Pages are static and self-contained (no network resources). The search box is a form with a
short script, ``areas/search.js``, that carries the area list; a ``<script src>`` works from
``file://`` as well as from a static server, and without JavaScript the index lists every area.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import polars as pl

from pipelines.publish.disclosure import SYMBOL_KEY
from pipelines.publish.tables import PERCENT_UNITS, VALUE_DECIMALS

SEARCH_SCRIPT = "search.js"
#: Flag text -> (CSS class, legend text). The text label is in every cell, so the flags do not
#: rely on colour; colours follow Fingertips (green/amber/red; blues where no direction is good).
FLAGS = {
    "Better": (
        "better",
        "Significantly better than England (95% interval wholly on the better "
        "side of the England value)",
    ),
    "Similar": ("similar", "Similar to England (95% interval includes the England value)"),
    "Worse": ("worse", "Significantly worse than England (95% interval wholly on the worse side)"),
    "Higher": ("higher", "Significantly higher than England (no judgement of better or worse)"),
    "Lower": ("lower", "Significantly lower than England (no judgement of better or worse)"),
    "Not compared": ("none", "Not compared: value withheld, no England value or no interval"),
}
UNIT_LABELS = {
    "percentage": "%",
    "proportion": "%",
    "rate_per_1000": "per 1,000",
    "rate_per_100": "per 100",
    "mean": "mean",
    "median_days": "median, days",
    "ratio": "ratio",
}
SYMBOLS = SYMBOL_KEY | {"[z]": "Not applicable (a median has no count)"}
#: Short tooltips for symbols in cells (the full text is in the page's symbol key).
SYMBOL_TITLES = {
    "[c]": "Confidential",
    "[u]": "Denominator below minimum",
    "[x]": "Not yet available",
    "[z]": "Not applicable",
}
POLARITY_TEXT = {"higher": "higher is better", "lower": "lower is better", "none": "no judgement"}
STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:1.5rem;color:#0b0c0c;max-width:75rem}
a{color:#1d70b8}table{border-collapse:collapse;font-size:.9rem}
th,td{border:1px solid #b1b4b6;padding:.25rem .5rem;vertical-align:top}
thead th{background:#f3f2f1;text-align:left}td.n{text-align:right;white-space:nowrap}
td.period{white-space:nowrap}
th.group{background:#e8f0f8;text-align:left}tbody th{text-align:left;font-weight:normal}
small{color:#505a5f}
.flag{display:inline-block;padding:.1rem .4rem;border:1px solid #0b0c0c;white-space:nowrap}
.better{background:#92d050}.similar{background:#ffc000}.worse{background:#c00000;color:#fff}
.higher{background:#3e3ec2;color:#fff}.lower{background:#bed2ff}.none{background:#fff}
svg.spark{width:124px;height:36px}.spark path{fill:none;stroke-width:1.5}
.spark .area{stroke:#0b0c0c}.spark .eng{stroke:#6f777b;stroke-dasharray:3 2}
.spark circle{fill:#0b0c0c}ul.legend{list-style:none;padding:0}ul.legend li{margin:.2rem 0}
label{font-weight:bold;display:block;margin-bottom:.25rem}
input[type=search]{font-size:1rem;padding:.3rem;width:20rem;max-width:100%}
ul.areas{columns:3 16rem}
"""
SEARCH_JS = """(function () {
  const areas = __AREAS__;
  const form = document.getElementById('area-search');
  if (!form) return;
  const base = form.dataset.base || '';
  const input = document.getElementById('area-query');
  const list = document.getElementById('area-results');
  const status = document.getElementById('area-status');
  function find(text) {
    const q = text.trim().toLowerCase();
    if (!q) return [];
    const has = a => a[0].toLowerCase().includes(q) || a[1].toLowerCase().includes(q);
    const rank = a => (a[0].toLowerCase() === q || a[1].toLowerCase().startsWith(q)) ? 0 : 1;
    const hits = areas.filter(has);
    return hits.sort((a, b) => rank(a) - rank(b));
  }
  function render() {
    const hits = find(input.value);
    list.replaceChildren();
    for (const a of hits.slice(0, 20)) {
      const li = document.createElement('li'), link = document.createElement('a');
      link.href = base + a[3];
      link.textContent = a[1] + ' (' + a[2] + ', ' + a[0] + ')';
      li.appendChild(link); list.appendChild(li);
    }
    status.textContent = input.value.trim() ?
      (hits.length ? hits.length + ' matching areas' : 'No area matches') : '';
  }
  input.addEventListener('input', render);
  form.addEventListener('submit', e => {
    e.preventDefault();
    const hits = find(input.value);
    if (hits.length) window.location.href = base + hits[0][3];
  });
  render();
})();
"""


def page(title: str, body: str) -> str:
    """A complete HTML document (English, UTF-8, responsive)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def search_box(base: str) -> str:
    """The area search form; ``base`` is the path from the page to the ``areas/`` folder."""
    base = html.escape(base)
    return (
        f'<form id="area-search" role="search" data-base="{base}">'
        '<label for="area-query">Find an area by name or code</label>'
        '<input type="search" id="area-query" autocomplete="off" '
        'placeholder="e.g. Liverpool or E08000012"> <button type="submit">Go</button></form>'
        '<p id="area-status" aria-live="polite"></p><ul id="area-results"></ul>'
        f'<script src="{base}{SEARCH_SCRIPT}"></script>'
    )


def display(value: float | None, unit: str) -> str:
    """A value as shown on the pages (percentages for proportions)."""
    if value is None:
        return "withheld"
    scale = 100.0 if unit in PERCENT_UNITS or unit == "percentage" else 1.0
    return f"{value * scale:.{VALUE_DECIMALS.get(unit, 1)}f}"


def _path(values: list[float | None], xs: list[int], y) -> str:
    parts, pen = [], False
    for x, v in zip(xs, values, strict=True):
        if v is None:
            pen = False
            continue
        parts.append(f"{'L' if pen else 'M'}{x} {y(v)}")
        pen = True
    return "".join(parts)


def sparkline(area: list[float | None], england: list[float | None], label: str) -> str:
    """An inline SVG trend: the area (solid, last point marked) and England (dashed)."""
    known = [v for v in area + england if v is not None]
    if not any(v is not None for v in area):
        return "<small>No published values</small>"
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    n = len(area)
    xs = [2 + round(i * 120 / (n - 1)) if n > 1 else 62 for i in range(n)]

    def y(v: float) -> int:
        return 3 + round((high - v) / span * 30)

    last = max(i for i, v in enumerate(area) if v is not None)
    return (
        f'<svg class="spark" viewBox="0 0 124 36" role="img" aria-label="{html.escape(label)}">'
        f'<path class="eng" d="{_path(england, xs, y)}"/>'
        f'<path class="area" d="{_path(area, xs, y)}"/>'
        f'<circle cx="{xs[last]}" cy="{y(area[last])}" r="2.5"/></svg>'
    )


def _trend(trend: pl.DataFrame, unit: str) -> str:
    if trend.is_empty():
        return "<small>No trend</small>"
    periods = trend["period"].to_list()
    area, england = trend["value"].to_list(), trend["england"].to_list()
    label = (
        f"Trend {periods[0]} to {periods[-1]}: this area {display(area[0], unit)} to "
        f"{display(area[-1], unit)}; England {display(england[0], unit)} to "
        f"{display(england[-1], unit)}"
    )
    return sparkline(area, england, label)


def _cell(text: str, css: str = "n") -> str:
    if text in SYMBOL_TITLES:
        text = f'<abbr title="{SYMBOL_TITLES[text]}">{text}</abbr>'
    else:
        text = html.escape(text)
    return f'<td class="{css}">{text}</td>'


def _period(period: str, is_latest: bool) -> str:
    if is_latest:
        return f'<td class="period">{html.escape(period)}</td>'
    return (
        f'<td class="period">{html.escape(period)}<br><small>no data for this area in later '
        "periods</small></td>"
    )


def _interval(low: str, high: str) -> str:
    if low in SYMBOLS:
        return low
    return f"{low} to {high}" if low and high else "-"


def _legend() -> str:
    items = "".join(
        f'<li><span class="flag {css}">{html.escape(flag)}</span> {html.escape(text)}</li>'
        for flag, (css, text) in FLAGS.items()
    )
    return (
        f'<h2>Key</h2><ul class="legend" id="legend">{items}</ul>'
        "<p>Trend: solid line this area (dot: latest period), dashed line England, over the "
        "latest mature periods of the same type.</p>"
    )


def _symbols() -> str:
    items = "".join(
        f"<li><strong>{s}</strong> {html.escape(text)}</li>" for s, text in SYMBOLS.items()
    )
    return f'<h2>Symbols</h2><ul class="legend" id="symbols">{items}</ul>'


def _row(r: dict, trend: pl.DataFrame) -> str:
    css = FLAGS.get(r["compared_to_england"], ("none", ""))[0]
    unit = UNIT_LABELS.get(r["unit"], r["unit"].replace("_", " "))
    polarity = POLARITY_TEXT.get(r["polarity"], "")
    return (
        f'<tr id="row-{html.escape(r["indicator_id"])}">'
        f'<th scope="row">{html.escape(r["indicator_name"])}<br>'
        f"<small>{html.escape(r['indicator_id'])} · {html.escape(unit)} · {polarity}</small></th>"
        f"{_period(r['period'], r['is_latest'])}"
        f"{_cell(r['value'], 'n value')}"
        f"{_cell(_interval(r['ci_low'], r['ci_high']), 'n ci')}"
        f"{_cell(r['numerator'])}{_cell(r['denominator'])}"
        f"{_cell(r['england_value'], 'n england')}"
        f'<td class="compare"><span class="flag {css}">'
        f"{html.escape(r['compared_to_england'])}</span></td>"
        f"<td>{_trend(trend, r['unit'])}</td></tr>"
    )


def write_area_page(
    out: Path,
    area: dict,
    rows: pl.DataFrame,
    trends: pl.DataFrame,
    month: str,
    extra: str = "",
) -> Path:
    """Write ``<out>/<stem>.html`` for one area (``extra``: HTML after the indicators)."""
    by_indicator = trends.partition_by("indicator_id", as_dict=True)
    groups = []
    for (sub_id, sub_name), group in rows.group_by(
        "sub_outcome_id", "sub_outcome_name", maintain_order=True
    ):
        header = f"Sub-outcome {sub_id}: {sub_name}" if sub_id is not None else "Other indicators"
        body = "".join(
            _row(r, by_indicator.get((r["indicator_id"],), trends.clear()))
            for r in group.iter_rows(named=True)
        )
        groups.append(
            f'<tbody><tr><th colspan="9" scope="colgroup" class="group">'
            f"{html.escape(header)}</th></tr>{body}</tbody>"
        )
    head = "".join(
        f'<th scope="col">{h}</th>'
        for h in (
            "Indicator",
            "Period",
            "Value",
            "95% interval",
            "Count",
            "Denominator",
            "England",
            "Compared with England",
            "Trend",
        )
    )
    name = html.escape(area["name"])
    parent = f", {html.escape(area['parent'])}" if area["parent"] else ""
    body = (
        '<nav><a href="../../index.html">All releases</a> · '
        f'<a href="../index.html">Release {month}</a> · '
        '<a href="index.html">All area profiles</a></nav>'
        f"<h1>{name}</h1><p>{html.escape(area['type_label'])} {html.escape(area['code'])}"
        f"{parent}. Release {month}: each indicator's latest mature period, compared with "
        "England for the same period.</p>"
        f'<p><a href="{area["stem"]}.csv" download>Download this profile (CSV)</a></p>'
        f"{_legend()}<h2>Indicators</h2>"
        f'<table id="profile"><caption>Indicators for {name}, compared with England</caption>'
        f"<thead><tr>{head}</tr></thead>{''.join(groups)}</table>{extra}{_symbols()}"
    )
    path = out / f"{area['stem']}.html"
    path.write_text(page(f"{area['name']}: area profile {month}", body), encoding="utf-8")
    return path


def write_areas_index(out: Path, areas: list[dict], month: str) -> list[Path]:
    """Write ``<out>/index.html`` (search box and every area) and ``<out>/search.js``."""
    entries = [[a["code"], a["name"], a["type_label"], f"{a['stem']}.html"] for a in areas]
    data = json.dumps(entries, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    script = out / SEARCH_SCRIPT
    script.write_text(SEARCH_JS.replace("__AREAS__", data), encoding="utf-8")
    sections = []
    for label in sorted({a["type_label"] for a in areas}):
        items = "".join(
            f'<li><a href="{a["stem"]}.html">{html.escape(a["name"])}</a> '
            f"<small>{html.escape(a['code'])}</small></li>"
            for a in areas
            if a["type_label"] == label
        )
        sections.append(f'<h2>{html.escape(label)}s</h2><ul class="areas">{items}</ul>')
    body = (
        '<nav><a href="../../index.html">All releases</a> · '
        f'<a href="../index.html">Release {month}</a></nav>'
        f"<h1>Area profiles: release {month}</h1>"
        "<p>Each local authority and prison: every indicator's latest mature value with its 95% "
        "interval, the England value and a comparison with England.</p>"
        f"{search_box('')}{''.join(sections) or '<p>No area profiles in this release.</p>'}"
    )
    index = out / "index.html"
    index.write_text(page(f"Area profiles: release {month}", body), encoding="utf-8")
    return [index, script]
