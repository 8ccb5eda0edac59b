"""Funnel plots of the scorecard as plain SVG (one per scored indicator and area type).

Each plot shows every area's observed/expected ratio against its expected count, England's
line at 1 and the 95% and 99.8% control limits; one area can be highlighted (the area
profiles). Drawn directly like pipelines/publish/charts.py: reproducible, no browser engine.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.publish.charts import _label, _ticks
from pipelines.publish.scorecard import LIMITS, poisson_limit

WIDTH, HEIGHT = 560, 340
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 48, 52
PLURALS = {"prison": "Prisons", "local_authority": "Local authorities"}
LIMIT_STYLE = {"95": ("#505a5f", "6 3"), "99_8": ("#0b0c0c", "2 2")}


def funnel_svg(
    points: pl.DataFrame, title: str, highlight: str | None = None, small: bool = False
) -> str:
    """``points``: geography_code, geography_name, expected, ratio (scored areas only)."""
    width, height = (WIDTH * 3 // 4, HEIGHT * 3 // 4) if small else (WIDTH, HEIGHT)
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    x_max = float(points["expected"].max()) * 1.05
    grid = np.linspace(max(x_max / 200, 0.5), x_max, 120)
    curves = {
        name: (poisson_limit(grid, p), poisson_limit(grid, 1 - p)) for name, p in LIMITS.items()
    }
    low_lim = float(np.nanmin(curves["99_8"][0][grid >= x_max / 10]))
    high_lim = float(np.nanmax(curves["99_8"][1][grid >= x_max / 10]))
    y_low = min(float(points["ratio"].min()), low_lim, 1.0)
    y_high = max(float(points["ratio"].max()), high_lim, 1.0)
    ticks = [t for t in _ticks(y_low, y_high) if t >= 0] or [0.0, 1.0]
    if ticks[0] > y_low:
        ticks.insert(0, 0.0)

    def x(v: float) -> float:
        return LEFT + plot_w * v / x_max

    def y(v: float) -> float:
        v = min(max(v, ticks[0]), ticks[-1])
        return TOP + plot_h * (ticks[-1] - v) / (ticks[-1] - ticks[0])

    chosen = points.filter(pl.col("geography_code") == highlight) if highlight else points.clear()
    where = ""
    if not chosen.is_empty():
        where = (
            f" {chosen['geography_name'][0]} is highlighted: ratio {chosen['ratio'][0]:.2f} at "
            f"{chosen['expected'][0]:.1f} expected."
        )
    desc = (
        f"Funnel plot of {points.height} areas: observed/expected ratio against expected count, "
        f"England at 1, 95% (dashed) and 99.8% (dotted) control limits.{where}"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" class="funnel" '
        'font-family="Arial, Helvetica, sans-serif" font-size="11">',
        f"<title>{html.escape(title)}</title><desc>{html.escape(desc)}</desc>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="8" y="16" font-size="12" font-weight="bold">{html.escape(title[:90])}</text>',
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#eeeeee"/><text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{_label(tick)}</text>'
        )
    for tick in _ticks(0.0, x_max, 4):
        if tick <= x_max:
            parts.append(
                f'<text x="{x(tick):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                f"{_label(tick)}</text>"
            )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{height - 10}" text-anchor="middle">'
        "Expected count (case-mix adjusted)</text>"
        f'<text transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" '
        'text-anchor="middle">Observed / expected</text>'
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(1.0):.1f}" y2="{y(1.0):.1f}" '
        'stroke="#0b0c0c" stroke-width="2"/>'
    )
    for name, (low, high) in curves.items():
        colour, dash = LIMIT_STYLE[name]
        for curve in (low, high):
            pts = " ".join(
                f"{x(g):.1f},{y(v):.1f}"
                for g, v in zip(grid, curve, strict=True)
                if math.isfinite(v)
            )
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-dasharray="{dash}" '
                f'stroke-width="1.2" points="{pts}"/>'
            )
    for code, name, e, r in points.select(
        "geography_code", "geography_name", "expected", "ratio"
    ).iter_rows():
        if code == highlight:
            continue
        parts.append(
            f'<circle cx="{x(e):.1f}" cy="{y(r):.1f}" r="3" fill="#1d70b8" fill-opacity="0.55">'
            f"<title>{html.escape(name)}: {r:.2f}</title></circle>"
        )
    if not chosen.is_empty():
        e, r = chosen["expected"][0], chosen["ratio"][0]
        parts.append(
            f'<circle class="selected" cx="{x(e):.1f}" cy="{y(r):.1f}" r="6" fill="#d4351c" '
            f'stroke="#0b0c0c" stroke-width="1.5"><title>{html.escape(chosen["geography_name"][0])}'
            f": {r:.2f}</title></circle>"
        )
    legend_y = TOP - 14
    parts.append(
        f'<text x="{LEFT}" y="{legend_y}">Line: England (1). Dashed: 95% limits. '
        "Dotted: 99.8% limits.</text>"
    )
    parts.append("</svg>\n")
    return "\n".join(parts)


def funnel_points(indicators: pl.DataFrame, indicator_id: str, geography_type: str):
    return indicators.filter(
        (pl.col("indicator_id") == indicator_id)
        & (pl.col("geography_type") == geography_type)
        & (pl.col("status") == "scored")
    ).select("geography_code", "geography_name", "expected", "ratio")


def funnel_title(entry: dict, geography_type: str, period: str) -> str:
    return f"{entry['indicator_id']}: {PLURALS.get(geography_type, geography_type)}, {period}"


def write_funnels(out_dir: Path, indicators: pl.DataFrame) -> list[Path]:
    """Write ``<out_dir>/<indicator_id>_<area type>.svg`` for every scored indicator."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    keys = indicators.select("indicator_id", "geography_type", "period").unique().sort("*")
    for indicator_id, gtype, period in keys.iter_rows():
        points = funnel_points(indicators, indicator_id, gtype)
        if points.is_empty():
            continue
        title = funnel_title({"indicator_id": indicator_id}, gtype, period)
        path = out_dir / f"{indicator_id}_{gtype}.svg"
        path.write_text(funnel_svg(points, title), encoding="utf-8")
        written.append(path)
    return written
