"""Funnel plots of the scorecard as plain SVG (one per scored indicator and area type).

Each plot shows every area's observed/expected ratio against its expected count, England's
line at 1 and the 95% and 99.8% control limits (Poisson; and, where the areas differ more than
chance allows, the same limits widened for that overdispersion, against which the scorecard's
assessment is made). The area profiles show the same chart with the
area's own point drawn over it (:func:`highlight_svg`). Drawn directly like
pipelines/publish/charts.py: reproducible, no browser engine.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.publish.charts import _label, _ticks
from pipelines.publish.scorecard import LIMITS, overdispersed_limit, poisson_limit

WIDTH, HEIGHT = 560, 340
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 48, 52
PLURALS = {"prison": "Prisons", "local_authority": "Local authorities"}
LIMIT_STYLE = {"95": ("#505a5f", "6 3"), "99_8": ("#0b0c0c", "2 2")}
#: The limits widened for overdispersion: solid, in orange (95%) and brown (99.8%).
OD_STYLE = {"od_95": ("#f47738", ""), "od_99_8": ("#912b88", "")}


@dataclass(frozen=True)
class Scale:
    """The plot geometry of one funnel (shared by the release chart and the profile overlays,
    so a highlighted point lands exactly on its place in the chart)."""

    x_max: float
    ticks: list[float]
    grid: np.ndarray
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    tau2: float = 0.0

    def x(self, v: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * v / self.x_max

    def y(self, v: float) -> float:
        v = min(max(v, self.ticks[0]), self.ticks[-1])
        span = self.ticks[-1] - self.ticks[0]
        return TOP + (HEIGHT - TOP - BOTTOM) * (self.ticks[-1] - v) / span


def scale(points: pl.DataFrame) -> Scale:
    """Axes covering every point, England's line and the 99.8% limits (beyond the smallest
    tenth of the expected range, where they run off the chart)."""
    x_max = float(points["expected"].max()) * 1.05
    grid = np.linspace(max(x_max / 200, 0.5), x_max, 120)
    curves = {
        name: (poisson_limit(grid, p), poisson_limit(grid, 1 - p)) for name, p in LIMITS.items()
    }
    tau2 = float(points["tau2"].max() or 0.0)
    if tau2 > 0:
        curves |= {
            f"od_{name}": (
                overdispersed_limit(grid, p, tau2),
                overdispersed_limit(grid, 1 - p, tau2),
            )
            for name, p in LIMITS.items()
        }
    low_lim = float(np.nanmin(curves["99_8"][0][grid >= x_max / 10]))
    high_lim = float(np.nanmax(curves["99_8"][1][grid >= x_max / 10]))
    y_low = min(float(points["ratio"].min()), low_lim, 1.0)
    y_high = max(float(points["ratio"].max()), high_lim, 1.0)
    ticks = [t for t in _ticks(y_low, y_high) if t >= 0] or [0.0, 1.0]
    if ticks[0] > y_low:
        ticks.insert(0, 0.0)
    return Scale(x_max, ticks, grid, curves, tau2)


def funnel_svg(points: pl.DataFrame, title: str) -> str:
    """The funnel chart of the release. ``points``: geography_code, geography_name, expected,
    ratio (scored areas only)."""
    sc = scale(points)
    x, y = sc.x, sc.y
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    desc = (
        f"Funnel plot of {points.height} areas: observed/expected ratio against expected count, "
        "England at 1, 95% (dashed) and 99.8% (dotted) control limits"
        + (
            f"; solid: the same limits widened for overdispersion (tau^2 {sc.tau2:.4f})."
            if sc.tau2 > 0
            else "."
        )
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="funnel" '
        'font-family="Arial, Helvetica, sans-serif" font-size="11">',
        f"<title>{html.escape(title)}</title><desc>{html.escape(desc)}</desc>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="8" y="16" font-size="12" font-weight="bold">{html.escape(title[:90])}</text>',
    ]
    for tick in sc.ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#eeeeee"/><text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{_label(tick)}</text>'
        )
    for tick in _ticks(0.0, sc.x_max, 4):
        if tick <= sc.x_max:
            parts.append(
                f'<text x="{x(tick):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                f"{_label(tick)}</text>"
            )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle">'
        "Expected count (case-mix adjusted)</text>"
        f'<text transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" '
        'text-anchor="middle">Observed / expected</text>'
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(1.0):.1f}" y2="{y(1.0):.1f}" '
        'stroke="#0b0c0c" stroke-width="2"/>'
    )
    for name, (low, high) in sc.curves.items():
        colour, dash = (LIMIT_STYLE | OD_STYLE)[name]
        for curve in (low, high):
            pts = " ".join(
                f"{x(g):.1f},{y(v):.1f}"
                for g, v in zip(sc.grid, curve, strict=True)
                if math.isfinite(v)
            )
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<polyline fill="none" stroke="{colour}"{dashes} '
                f'stroke-width="1.2" points="{pts}"/>'
            )
    for name, e, r in points.select("geography_name", "expected", "ratio").iter_rows():
        parts.append(
            f'<circle cx="{x(e):.1f}" cy="{y(r):.1f}" r="3" fill="#1d70b8" fill-opacity="0.55">'
            f"<title>{html.escape(name)}: {r:.2f}</title></circle>"
        )
    legend = "Line: England (1). Dashed: 95% limits. Dotted: 99.8% limits."
    if sc.tau2 > 0:
        legend = (
            "Line: England. Dashed/dotted: 95%/99.8% limits; solid: widened for overdispersion."
        )
    parts.append(f'<text x="{LEFT}" y="{TOP - 14}">{legend}</text>')
    parts.append("</svg>\n")
    return "\n".join(parts)


def highlight_svg(points: pl.DataFrame, code: str, title: str, href: str) -> str:
    """The release's funnel chart (``href``, relative to the page) with one area's point drawn
    over it, for the area profiles: the page carries one point, not every area's."""
    sc = scale(points)
    chosen = points.filter(pl.col("geography_code") == code).row(0, named=True)
    e, r, name = chosen["expected"], chosen["ratio"], chosen["geography_name"]
    desc = (
        f"Funnel plot of {points.height} areas (observed/expected against expected count, "
        f"England at 1, 95% and 99.8% control limits); {name} is highlighted: ratio {r:.2f} "
        f"at {e:.1f} expected."
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH * 3 // 4}" '
        f'height="{HEIGHT * 3 // 4}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="funnel">'
        f"<title>{html.escape(title)}</title><desc>{html.escape(desc)}</desc>"
        f'<image href="{html.escape(href)}" width="{WIDTH}" height="{HEIGHT}"/>'
        f'<circle class="selected" cx="{sc.x(e):.1f}" cy="{sc.y(r):.1f}" r="6" fill="#d4351c" '
        f'stroke="#0b0c0c" stroke-width="1.5"><title>{html.escape(name)}: {r:.2f}</title>'
        "</circle></svg>"
    )


def funnel_file(indicator_id: str, geography_type: str) -> str:
    """The chart's file name under ``charts/funnels/``."""
    return f"{indicator_id}_{geography_type}.svg"


def funnel_points(indicators: pl.DataFrame, indicator_id: str, geography_type: str):
    return indicators.filter(
        (pl.col("indicator_id") == indicator_id)
        & (pl.col("geography_type") == geography_type)
        & (pl.col("status") == "scored")
    ).select("geography_code", "geography_name", "expected", "ratio", "tau2")


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
        path = out_dir / funnel_file(indicator_id, gtype)
        path.write_text(funnel_svg(points, title), encoding="utf-8")
        written.append(path)
    return written
