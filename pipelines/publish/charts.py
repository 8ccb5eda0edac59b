"""One static trend chart per indicator, written as plain SVG.

Each chart shows England and every region for the headline breakdown (``none``) over the
published periods of one period type (rolling 12 months where published, else release cohorts,
else months); prison and local-authority figures are in the tables and the area profiles. The
SVG is drawn here directly (a few polylines, axes and a legend: milliseconds per chart, no
browser engine), carries a title and description for screen readers, and has no timestamps, so
it is reproducible.
"""

from __future__ import annotations

import html
import math
import textwrap
from pathlib import Path

import polars as pl

from pipelines.publish.tables import PERCENT_UNITS

#: Period types in order of preference for the chart.
CHART_PERIOD_TYPES = ("rolling_12m", "release_cohort", "month")
#: Okabe-Ito colours (distinguishable with colour-vision deficiency), then greys.
PALETTE = [
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
    "#6B4C9A",
    "#8C8C00",
]
WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 56, 200, 48, 56


def chart_frame(published: pl.DataFrame, indicator_id: str, unit: str) -> pl.DataFrame:
    """England and regional values of one indicator (headline rows with a value) for its chart
    period type."""
    scale = 100.0 if unit in PERCENT_UNITS else 1.0
    rows = published.filter(
        (pl.col("indicator_id") == indicator_id)
        & pl.col("geography_type").is_in(["england", "region"])
        & (pl.col("breakdown") == "none")
        & pl.col("value").is_not_null()
    )
    present = set(rows["period_type"].unique().to_list())
    chosen = next((t for t in CHART_PERIOD_TYPES if t in present), None)
    return (
        rows.filter(pl.col("period_type") == chosen)
        .select(
            "period",
            "period_type",
            "geography_type",
            pl.col("geography_name").alias("area"),
            (pl.col("value") * scale).round(4).alias("value"),
        )
        .sort("geography_type", "area", "period")
    )


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``low``..``high`` (and zero)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0:
        return [0.0, 1.0]
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [i * step for i in range(first, last + 1)]


def _label(value: float) -> str:
    return f"{value:g}"


def render_chart(data: pl.DataFrame, title: str, y_title: str) -> str:
    """A line chart as SVG text: England thick and black, each region in its own colour."""
    periods = sorted(data["period"].unique().to_list())
    ticks = _ticks(data["value"].min(), data["value"].max())
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(period: str) -> float:
        i = periods.index(period)
        return LEFT + (plot_w * i / (len(periods) - 1) if len(periods) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return TOP + plot_h * (ticks[-1] - value) / (ticks[-1] - ticks[0])

    desc = (
        f"Line chart of {y_title} by period ({periods[0]} to {periods[-1]}) for England and "
        "each region; the published tables hold the figures."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="t d" '
        'font-family="Arial, Helvetica, sans-serif" font-size="11">',
        f'<title id="t">{html.escape(title)}</title><desc id="d">{html.escape(desc)}</desc>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for i, line in enumerate(textwrap.wrap(title, 88)[:2]):
        parts.append(
            f'<text x="8" y="{16 + 15 * i}" font-size="13" font-weight="bold">'
            f"{html.escape(line)}</text>"
        )
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#dddddd"/>'
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{_label(tick)}</text>'
        )
    every = max(1, math.ceil(len(periods) / 8))
    shown = list(range(0, len(periods), every))
    shown[-1] = len(periods) - 1  # always label the latest period
    for i in shown:
        period = periods[i]
        px = x(period)
        parts.append(
            f'<text x="{px:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{html.escape(period[-7:])}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
        f"Period (end month)</text>"
        f'<text transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{html.escape(y_title)}</text>'
    )
    series = data.partition_by("geography_type", "area", maintain_order=True, as_dict=False)
    series.sort(key=lambda s: (s["geography_type"][0] != "england", s["area"][0]))
    for n, rows in enumerate(series):
        england = rows["geography_type"][0] == "england"
        colour = "#0b0c0c" if england else PALETTE[(n - 1) % len(PALETTE)]
        width = 3.5 if england else 1.5
        points = " ".join(
            f"{x(p):.1f},{y(v):.1f}" for p, v in rows.select("period", "value").rows()
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{points}"/>'
        )
        if rows.height == 1:
            px, py = x(rows["period"][0]), y(rows["value"][0])
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
        ly = TOP + 14 * n
        parts.append(
            f'<line x1="{WIDTH - RIGHT + 12}" x2="{WIDTH - RIGHT + 32}" y1="{ly}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="{width}"/>'
            f'<text x="{WIDTH - RIGHT + 38}" y="{ly + 4}">{html.escape(rows["area"][0])}</text>'
        )
    parts.append("</svg>\n")
    return "\n".join(parts)


def write_charts(out_dir: Path, published: pl.DataFrame, catalogue: pl.DataFrame) -> list[Path]:
    """Write ``<out_dir>/<indicator_id>.svg`` for every indicator with published values."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in catalogue.sort("indicator_id").iter_rows(named=True):
        data = chart_frame(published, entry["indicator_id"], entry["unit"])
        if data.is_empty():
            continue
        unit = "percentage" if entry["unit"] in PERCENT_UNITS else entry["unit"].replace("_", " ")
        svg = render_chart(data, f"{entry['indicator_id']}: {entry['indicator_name']}", unit)
        path = out_dir / f"{entry['indicator_id']}.svg"
        path.write_text(svg, encoding="utf-8")
        written.append(path)
    return written
