"""The static download site: an index of releases and one filterable page per release.

Plain HTML with a little inline JavaScript; each indicator's latest headline rows (breakdown
``none``, every area in scope) are embedded in its page as JSON, so pages work from any static
file server (or ``outcomes serve``) with no server state; the downloads hold everything else.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
from pathlib import Path

import polars as pl

from pipelines.asset_keys import DBT_DOCS_FILE
from pipelines.publish.profile_pages import search_box
from pipelines.publish.tables import formatted
from pipelines.publish.workbook import latest_periods
from pipelines.resources import releases

PAGE_COLUMNS = [
    "indicator_id",
    "period",
    "geography_type",
    "geography_code",
    "geography_name",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "compared_to_england",
    "status",
]
HEADINGS = [
    "Indicator",
    "Period",
    "Area type",
    "Area code",
    "Area",
    "Numerator",
    "Denominator",
    "Value",
    "Lower CI",
    "Upper CI",
    "Compared with England",
    "Status",
]
STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:1.5rem;color:#0b0c0c;max-width:75rem}
table{border-collapse:collapse;font-size:.9rem}th,td{border:1px solid #b1b4b6;padding:.25rem .5rem}
th{background:#f3f2f1;text-align:left}td.n{text-align:right}
label{font-weight:bold;margin-right:.5rem}select{margin-right:1.5rem;font-size:1rem}
a{color:#1d70b8}img{max-width:100%}
"""
SCRIPT = """
const data = JSON.parse(document.getElementById('release-data').textContent);
const cols = data.columns, rows = data.rows, limit = 1000;
const idx = Object.fromEntries(cols.map((c, i) => [c, i]));
const sel = id => document.getElementById(id);
function fill(select, values) {
  for (const [value, label] of values) {
    const o = document.createElement('option'); o.value = value; o.textContent = label;
    select.appendChild(o);
  }
}
fill(sel('indicator'), data.indicators);
fill(sel('area'), data.areas);
function render() {
  const ind = sel('indicator').value, area = sel('area').value;
  const body = sel('rows').querySelector('tbody');
  body.replaceChildren();
  let shown = 0, matched = 0;
  for (const r of rows) {
    if (ind && r[idx.indicator_id] !== ind) continue;
    if (area && r[idx.geography_code] !== area) continue;
    matched++;
    if (shown >= limit) continue;
    const tr = document.createElement('tr');
    r.forEach((v, i) => {
      const td = document.createElement('td'); td.textContent = v;
      if (i >= idx.numerator && i <= idx.ci_high) td.className = 'n';
      tr.appendChild(td);
    });
    body.appendChild(tr); shown++;
  }
  sel('count').textContent = matched + ' rows match' +
    (matched > shown ? ' (first ' + shown + ' shown; download the CSV for all)' : '');
  const chart = sel('chart');
  if (ind && data.charts.includes(ind)) {
    chart.src = 'charts/' + ind + '.svg'; chart.alt = 'Trend chart for ' + ind;
    chart.hidden = false;
  } else { chart.hidden = true; chart.removeAttribute('src'); }
}
sel('indicator').addEventListener('change', render);
sel('area').addEventListener('change', render);
render();
"""


def _page(title: str, body: str, script: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n{script}</body>\n</html>\n"
    )


def write_release_page(
    folder: Path, month: str, published: pl.DataFrame, catalogue: pl.DataFrame, charts: list[Path]
) -> Path:
    """Write ``<folder>/index.html``: downloads, and each indicator's latest headline row per
    area (filter by indicator and area) with its chart.

    ``published`` is the disclosure-controlled frame with ``compared_to_england``.
    """
    names = dict(catalogue.select("indicator_id", "indicator_name").iter_rows())
    headline = latest_periods(published.filter(pl.col("breakdown") == "none"), 1)
    latest = formatted(headline, catalogue)
    indicators = [[i, f"{i}: {names.get(i, i)}"] for i in sorted(latest["indicator_id"].unique())]
    areas = (
        latest.select("geography_type", "geography_code", "geography_name")
        .unique()
        .sort("geography_type", "geography_name", "geography_code")
    )
    area_options = [[c, f"{n} ({t.replace('_', ' ')})"] for t, c, n in areas.iter_rows()]
    payload = {
        "columns": PAGE_COLUMNS,
        "rows": latest.select(PAGE_COLUMNS).rows(),
        "indicators": indicators,
        "areas": area_options,
        "charts": sorted(p.stem for p in charts),
    }
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    downloads = [
        ("indicators.csv", "Every published row (CSV)"),
        ("indicators.parquet", "Every published row (Parquet, for analysts)"),
        ("indicators.xlsx", "Accessible spreadsheet (XLSX)"),
        ("metadata.json", "Definitions, scope, sources and run metadata (JSON)"),
    ]
    links = "".join(
        f'<li><a href="{href}" download>{html.escape(text)}</a></li>' for href, text in downloads
    )
    chart_links = "".join(
        f'<li><a href="charts/{p.name}" download>{html.escape(p.stem)} chart (SVG)</a></li>'
        for p in sorted(charts)
    )
    head = "".join(f'<th scope="col">{h}</th>' for h in HEADINGS)
    body = f"""<p><a href="../index.html">All releases</a></p>
<h1>Drug treatment outcomes: release {month}</h1>
<p><a id="profiles-link" href="areas/index.html">Area profiles</a>: each local authority and prison
compared with England.</p>
<h2>Downloads</h2>
<ul id="downloads">{links}</ul>
<details><summary>Charts</summary><ul id="chart-links">{chart_links}</ul></details>
<h2>Explore the latest period</h2>
<p>The table shows each indicator's latest published period (of each period type) for every
area, all people (no breakdown); the downloads hold every period and the breakdowns by sex, age
and ethnic group.</p>
<form onsubmit="return false">
<label for="indicator">Indicator</label>
<select id="indicator"><option value="">All indicators</option></select>
<label for="area">Area</label><select id="area"><option value="">All areas</option></select>
</form>
<p id="count" aria-live="polite"></p>
<img id="chart" hidden alt="">
<p>Symbols: [c] confidential (small numbers), [u] denominator below minimum,
[x] not yet available (follow-up incomplete), [z] not applicable.</p>
<table id="rows"><caption>Published rows</caption>
<thead><tr>{head}</tr></thead><tbody></tbody></table>
<script type="application/json" id="release-data">{data}</script>"""
    path = folder / "index.html"
    path.write_text(_page(f"Release {month}", body, f"<script>{SCRIPT}</script>\n"))
    return path


def model_docs_section(publications_dir: Path) -> str:
    """The index's link to the dbt docs page of the latest build, when the run wrote one."""
    if not (Path(publications_dir) / DBT_DOCS_FILE).is_file():
        return ""
    return (
        f'<h2>How the figures are built</h2><p><a id="dbt-docs-link" href="{DBT_DOCS_FILE}">'
        "Data model documentation</a> (dbt docs of the latest build: every model and column, "
        "its tests and lineage from the deliveries to the indicator table; no data).</p>"
    )


def write_site_index(publications_dir: Path, revision_log: pl.DataFrame) -> Path:
    """Write ``<publications_dir>/index.html``: the area search (latest release with profiles),
    every release, its revisions and the link to the dbt docs."""
    publications_dir = Path(publications_dir)
    items = "".join(
        f'<li><a href="{m}/index.html">Release {m}</a></li>' for m in releases(publications_dir)
    )
    summary = ""
    if not revision_log.is_empty():
        rows = (
            revision_log.group_by("release", "revision", "reason")
            .len()
            .sort("release", "revision", descending=[True, False])
        )
        cells = "".join(
            f"<tr><td>{html.escape(r)}</td><td>{html.escape(v)}</td>"
            f"<td>{html.escape(why)}</td><td>{n}</td></tr>"
            for r, v, why, n in rows.iter_rows()
        )
        summary = (
            '<h2>Revisions</h2><p><a href="revisions.csv" download>Full revision log (CSV)</a>'
            "</p><table><thead><tr><th>Release</th><th>Revision</th><th>Reason</th>"
            f"<th>Cells changed</th></tr></thead><tbody>{cells}</tbody></table>"
        )
    profiles = ""
    with_profiles = [
        m for m in releases(publications_dir) if (publications_dir / m / "areas").is_dir()
    ]
    if with_profiles:
        base = f"{with_profiles[0]}/areas/"
        profiles = (
            f'<h2>Area profiles</h2><p><a id="profiles-link" href="{base}index.html">'
            f"All area profiles (release {with_profiles[0]})</a></p>{search_box(base)}"
        )
    body = (
        "<h1>Drug treatment outcomes in prison and on release</h1>"
        f'{profiles}<h2>Releases</h2><ul id="releases">{items}</ul>{summary}'
        f"{model_docs_section(publications_dir)}"
    )
    path = publications_dir / "index.html"
    tmp = path.with_name(".index.html.tmp")
    tmp.write_text(_page("Drug treatment outcomes: releases", body))
    os.replace(tmp, path)
    return path


def make_server(directory: Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A static file server for the site on 127.0.0.1 (``port=0`` picks a free port)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
