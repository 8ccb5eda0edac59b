"""The linkage report for data engineers: Markdown + HTML with Splink's own charts (SVG).

Written to ``<warehouse folder>/linkage_report/`` (``index.html``, ``report.md``, ``*.svg``).
Contains no identifiers: counts, shares, model parameters and cluster-size distributions only.
"""

from __future__ import annotations

import html
import logging
import warnings
from pathlib import Path

import altair as alt
import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from pipelines.linkage import models
from pipelines.linkage.config import THRESHOLDS
from pipelines.linkage.link_checks import CheckOutcome

log = logging.getLogger(__name__)


def _model_charts(name: str, sample: pa.Table, out: Path) -> list[str]:
    """Splink's match-weights and m/u charts of a trained model, as SVG files.

    Drawn once per trained model (the file names carry the model digest): drawing takes
    seconds, and the charts only change when the model does.
    """
    digest = models.model_digest(name)
    names = {kind: f"{name}_{kind}_{digest}.svg" for kind in ("match_weights", "m_u_parameters")}
    if all((out / n).exists() for n in names.values()):
        return list(names.values())
    con = duckdb.connect()
    try:
        sdf = DuckDBAPI(connection=con).register(sample, table_name="lk_sample")
        linker = Linker(sdf, models.load_model(name), log_level=logging.WARNING)
        with warnings.catch_warnings():  # Splink's charts repeat a selection; altair says so
            warnings.filterwarnings("ignore", message="Automatically deduplicated selection")
            linker.visualisations.match_weights_chart().save(str(out / names["match_weights"]))
            linker.visualisations.m_u_parameters_chart().save(str(out / names["m_u_parameters"]))
    finally:
        con.close()
    return list(names.values())


def _table(headers: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)


def write_report(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    month: str,
    checks: list[CheckOutcome],
    samples: dict[str, pa.Table],
) -> Path:
    """Write the report for ``month``; ``samples`` are a few input rows per model (for charts)."""
    out.mkdir(parents=True, exist_ok=True)
    charts = []
    for name, sample in samples.items():
        try:
            charts += _model_charts(name, sample, out)
        except Exception as exc:  # charts are a convenience; never fail the run on them
            log.warning("linkage report: %s charts not drawn: %s", name, exc)

    sizes = con.sql(
        """
        select least(n, 20) as records_per_person, count(*) as persons
        from (select person_key, count(*) as n from linkage.spine group by person_key)
        group by all order by all
        """
    ).to_arrow_table()
    size_chart = (
        alt.Chart(sizes.to_pandas())
        .mark_bar()
        .encode(
            x=alt.X("records_per_person:O", title="records per person (20 = 20+)"),
            y=alt.Y("persons:Q", scale=alt.Scale(type="symlog")),
        )
        .properties(title="Cluster sizes", width=500, height=220)
    )
    size_chart.save(str(out / "cluster_sizes.svg"))
    weights = con.sql(
        """
        select model, round(log2(match_probability / (1 - least(match_probability, 0.999999)))
                           ) as match_weight, count(*) as pairs
        from linkage.edges group by all order by all
        """
    ).to_arrow_table()
    if weights.num_rows:
        (
            alt.Chart(weights.to_pandas())
            .mark_bar()
            .encode(x="match_weight:O", y="pairs:Q", color="model:N")
            .properties(title="Scored pairs kept, by match weight", width=500, height=220)
            .save(str(out / "edge_weights.svg"))
        )
        charts.append("edge_weights.svg")
    charts.append("cluster_sizes.svg")

    rules = con.execute(
        "select source, match_rule, count(*), round(avg(match_probability), 4)"
        " from linkage.spine group by all order by all"
    ).fetchall()
    stats = con.execute(
        "select source, records, new_records, round(cross_source_share, 4),"
        " round(singleton_share, 4) from linkage.source_stats where month = ? order by source",
        [month],
    ).fetchall()
    runs = con.execute(
        "select month, records, new_records, clusters, keys_changed, merges, splits,"
        " max_cluster_records, max_cluster_pncs, seconds from linkage.runs order by month"
    ).fetchall()
    events = con.execute(
        "select month, event, count(*) from linkage.spine_events group by all order by all"
    ).fetchall()
    md = [
        f"# Linkage report - {month}",
        "",
        f"Thresholds: named {THRESHOLDS.named}, NDTMS link {THRESHOLDS.ndtms_link}, "
        f"NDTMS dedupe {THRESHOLDS.ndtms_dedupe}. See docs/linkage.md for how to read this.",
        "",
        "## Checks",
        _table(
            ["check", "result", "details"],
            [(c.name, "pass" if c.passed else c.severity.lower(), c.metadata) for c in checks],
        ),
        "",
        "## Sources",
        _table(["source", "records", "new", "linked to another source", "singletons"], stats),
        "",
        "## How records were linked",
        _table(["source", "rule", "records", "mean probability"], rules),
        "",
        "## Runs",
        _table(
            [
                "month",
                "records",
                "new",
                "persons",
                "keys changed",
                "merges",
                "splits",
                "largest person (records)",
                "largest person (PNC IDs)",
                "seconds",
            ],
            runs,
        ),
        "",
        "## Merges and splits",
        _table(["month", "event", "count"], events),
        "",
        "## Charts",
        *[f"![{c}]({c})" for c in charts],
        "",
    ]
    (out / "report.md").write_text("\n".join(md))
    body = "\n".join(f"<h3>{html.escape(c)}</h3>\n" + (out / c).read_text() for c in charts)
    md_html = html.escape("\n".join(md[: md.index("## Charts")]))
    (out / "index.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>Linkage report {month}"
        f"</title></head><body><pre>{md_html}</pre>{body}</body></html>\n"
    )
    return out / "index.html"
