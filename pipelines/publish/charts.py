"""One static trend chart per indicator (altair, rendered to SVG by vl-convert).

Each chart shows England and every region for the headline breakdown (``none``) over the
published periods; prison and local-authority figures are in the tables (a line per prison
would be unreadable). Output is plain SVG text with no timestamps, so it is reproducible.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

from pipelines.publish.tables import PERCENT_UNITS


def chart_frame(published: pl.DataFrame, indicator_id: str, unit: str) -> pl.DataFrame:
    """England and regional values of one indicator (headline rows with a value)."""
    scale = 100.0 if unit in PERCENT_UNITS else 1.0
    return (
        published.filter(
            (pl.col("indicator_id") == indicator_id)
            & pl.col("geography_type").is_in(["england", "region"])
            & (pl.col("breakdown") == "none")
            & pl.col("value").is_not_null()
        )
        .select(
            "period",
            "period_type",
            pl.col("geography_name").alias("area"),
            (pl.col("value") * scale).round(4).alias("value"),
        )
        .sort("period_type", "area", "period")
    )


def render_chart(data: pl.DataFrame, title: str, y_title: str) -> str:
    """A line chart as SVG text (England drawn thicker and black)."""
    base = alt.Chart(alt.Data(values=data.to_dicts())).encode(
        x=alt.X("period:O", title="Period", sort="ascending"),
        y=alt.Y("value:Q", title=y_title),
        color=alt.Color("area:N", title="Area"),
        strokeWidth=alt.condition(alt.datum.area == "England", alt.value(3.5), alt.value(1.5)),
    )
    chart = base.mark_line(point=True).properties(
        title=title, width=520, height=280, description=f"Trend chart: {title}"
    )
    return vlc.vegalite_to_svg(chart.to_dict(), vl_version="6.4")


def write_charts(out_dir: Path, published: pl.DataFrame, catalogue: pl.DataFrame) -> list[Path]:
    """Write ``<out_dir>/<indicator_id>.svg`` for every indicator with published values."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in catalogue.sort("indicator_id").iter_rows(named=True):
        data = chart_frame(published, entry["indicator_id"], entry["unit"])
        if data.is_empty():
            continue
        period_type = data["period_type"][0]
        data = data.filter(pl.col("period_type") == period_type)
        unit = "percentage" if entry["unit"] in PERCENT_UNITS else entry["unit"].replace("_", " ")
        svg = render_chart(data, f"{entry['indicator_id']}: {entry['indicator_name']}", unit)
        path = out_dir / f"{entry['indicator_id']}.svg"
        path.write_text(svg, encoding="utf-8")
        written.append(path)
    return written
