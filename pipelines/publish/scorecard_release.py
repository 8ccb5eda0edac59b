"""The scorecard in a release: CSV files, funnel plots, XLSX sheets, the area profile section
and its definition and method in metadata.json."""

from __future__ import annotations

import html
from pathlib import Path

import gptables as gpt
import polars as pl

from pipelines.publish.funnels import (
    PLURALS,
    funnel_file,
    funnel_points,
    funnel_title,
    highlight_svg,
    write_funnels,
)
from pipelines.publish.scorecard import (
    DRAWS,
    LIMITS,
    MIN_WEIGHT_COVERED,
    Scorecard,
    overdispersion_summary,
)

SCORECARD_CSV = "scorecard.csv"
SCORECARD_INDICATORS_CSV = "scorecard_indicators.csv"
FUNNELS = "charts/funnels"

METHOD = [
    "Observed: the area's published numerator in the latest mature rolling 12-month period.",
    "Expected (age_sex): the area's denominator in each sex and age band times England's rate "
    "in that stratum, summed (indirect standardisation).",
    "Expected (ogrs3): the sum of the area's OGRS3 one-year predicted probabilities times "
    "England's observed/predicted ratio, so England is 1.",
    "Control limits: exact Poisson limits of observed/expected at the area's expected count "
    f"(tail probabilities {', '.join(str(p) for p in LIMITS.values())} each side: 95% and "
    "99.8%), interpolated between integers.",
    "Weighted score: the weighted mean of each scored indicator's log(observed/expected), signed "
    "so positive is better, shown as percent better (+) or worse (-) than expected. A "
    "sub-outcome's weight is shared equally by its indicators for the area type.",
    f"Interval: {DRAWS} draws of each indicator's observed count from its Jeffreys posterior "
    "Gamma(observed + 1/2), combined with the same weights; 2.5th and 97.5th percentiles.",
    "Missing and suppressed: an indicator withheld in the release ([c], [u]) is suppressed, one "
    "with no row for the area is missing; both are left out and the remaining weights rescaled. "
    f"An area is scored only when the scored indicators carry at least {MIN_WEIGHT_COVERED:.0%} "
    "of its area type's weight.",
    "Overdispersion: where areas differ more than chance allows, the between-area variance "
    "tau^2 of log(observed/expected) is estimated per indicator and area type (DerSimonian-Laird "
    "on 10%-Winsorised z-scores) and the limits are also given widened for it, exp(z "
    "sqrt(1/expected + tau^2)) (Spiegelhalter 2005); with tau^2 = 0 they are the Poisson limits. "
    "funnel_position is against the Poisson limits (chance alone), "
    "funnel_position_overdispersed and the assessment (better/worse than expected) against the "
    "widened ones. metadata.json's overdispersion gives tau^2 and the share of areas outside "
    "each.",
    "Ranking: no league table. Each area has a 95% rank interval from the same draws, and the "
    "number of areas whose score interval lies wholly below (significantly better than) or "
    "above (significantly worse than) its own.",
]


def write_scorecard_files(folder: Path, card: Scorecard) -> list[Path]:
    """``scorecard.csv`` (areas), ``scorecard_indicators.csv`` and the funnel plots."""
    if card.empty:
        return []
    areas = folder / SCORECARD_CSV
    card.areas.write_csv(areas, quote_style="non_numeric")
    rows = folder / SCORECARD_INDICATORS_CSV
    card.indicators.write_csv(rows, quote_style="non_numeric")
    return [areas, rows, *write_funnels(folder / FUNNELS, card.indicators)]


def _number(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def area_section(card: Scorecard, code: str, names: dict[str, str]) -> str:
    """The scorecard section of one area profile (score, interval, funnels with the area
    highlighted, and what was left out)."""
    if card.empty:
        return ""
    area = card.areas.filter(pl.col("geography_code") == code)
    rows = card.indicators.filter(pl.col("geography_code") == code)
    if area.is_empty():
        return ""
    a = area.row(0, named=True)
    gtype = a["geography_type"]
    if a["score"] is None:
        headline = f"<p id='scorecard-score'>Not scored: {html.escape(a['not_scored'])}.</p>"
    else:
        headline = (
            f"<p id='scorecard-score'><strong>Weighted score {a['score']:+.1f}%</strong> "
            f"(95% interval {a['score_low']:+.1f}% to {a['score_high']:+.1f}%): "
            f"{html.escape(a['compared_to_expected'])}. Rank interval {a['rank_low']} to "
            f"{a['rank_high']} of the {a['areas_ranked']} scored "
            f"{PLURALS.get(gtype, gtype).lower()}; significantly better than "
            f"{a['significantly_better_than']} and worse than {a['significantly_worse_than']} "
            "of them.</p>"
        )
    left_out = []
    for label, column in (
        ("Suppressed", "indicators_suppressed"),
        ("Missing", "indicators_missing"),
    ):
        if a[column]:
            left_out.append(f"{label} (left out, weights rescaled): {a[column].replace(';', ', ')}")
    left = "".join(f"<li>{html.escape(t)}</li>" for t in left_out) or "<li>None left out</li>"
    body = []
    for r in rows.iter_rows(named=True):
        name = names.get(r["indicator_id"], r["indicator_id"])
        status = r["status"]
        funnel = ""
        if status == "scored":
            points = funnel_points(card.indicators, r["indicator_id"], gtype)
            href = f"../{FUNNELS}/{funnel_file(r['indicator_id'], gtype)}"
            funnel = highlight_svg(points, code, funnel_title(r, gtype, r["period"]), href)
        body.append(
            f"<tr><th scope='row'>{html.escape(name)}<br><small>{html.escape(r['indicator_id'])}"
            f" · {'higher' if r['direction'] == 'higher' else 'lower'} is better · weight "
            f"{_number(r['weight'], 2)}</small></th><td class='period'>{html.escape(r['period'])}"
            f"</td><td class='n'>{_number(r['observed'], 0)}</td>"
            f"<td class='n'>{_number(r['expected'])}</td><td class='n'>{_number(r['ratio'], 2)}"
            f"</td><td>{html.escape(status)}; {html.escape(r['assessment'])}</td>"
            f"<td>{funnel}</td></tr>"
        )
    head = "".join(
        f"<th scope='col'>{h}</th>"
        for h in ("Indicator", "Period", "Observed", "Expected", "Ratio", "Assessment", "Funnel")
    )
    return (
        "<h2 id='scorecard'>Weighted outcome scorecard</h2>"
        "<p>Observed against expected for this area's case mix (sex and age band; re-offending "
        "against OGRS3 predictions), with 95% and 99.8% control limits, and a weighted score "
        "across sub-outcomes. Method and weights: scorecard.csv and metadata.json in the "
        "release; areas are not ranked beyond what the intervals separate.</p>"
        f"{headline}<ul>{left}</ul>"
        f"<table id='scorecard-table'><caption>Scorecard indicators</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def area_sections(card: Scorecard, catalogue: pl.DataFrame) -> dict[str, str]:
    """Scorecard section HTML per area code."""
    if card.empty:
        return {}
    names = dict(catalogue.select("indicator_id", "indicator_name").iter_rows())
    return {
        code: area_section(card, code, names)
        for code in card.areas["geography_code"].unique().sort().to_list()
    }


def _table(frame: pl.DataFrame):
    table = frame.to_pandas()
    table.columns = [c.replace("_", " ").capitalize() for c in table.columns]
    return table.astype(object).where(table.notna(), "[x]")


def scorecard_sheets(card: Scorecard) -> dict[str, gpt.GPTable]:
    """Two worksheets: the area scores and the indicators behind them."""
    if card.empty:
        return {}
    areas_note = (
        "Score: percent better (+) or worse (-) than expected for the case mix, weighted across "
        f"sub-outcomes (weights: {card.weights.source}); 95% interval by simulation. Areas are "
        "listed by code, not ranked: rank intervals show how far the data separate them. "
        "[x]: not scored."
    )
    rows_note = (
        "Status scored, suppressed (withheld in the release) or missing (no row); [x]: not "
        "available for a suppressed or missing indicator."
    )
    sheets = {}
    for sheet, frame, name, title, note in (
        ("Scorecard", card.areas, "scorecard_areas",
         "Weighted outcome scorecard per prison and local authority", areas_note),
        ("Scorecard_indicators", card.indicators, "scorecard_indicators",
         "Scorecard indicators: observed against expected with control limits", rows_note),
    ):  # fmt: skip
        sheets[sheet] = gpt.GPTable(
            table=_table(frame),
            table_name=name,
            title=title,
            subtitles=[note],
            instructions="This worksheet contains one table. Some cells contain symbols.",
            source="Source: the release's published indicators and case-mix strata",
            scope="Prisons and local authorities",
        )
    return sheets


def scorecard_metadata(card: Scorecard, definition: pl.DataFrame) -> dict:
    """The scorecard's definition, weights used and method for metadata.json."""
    return {
        "definition": definition.to_dicts(),
        "weights": {
            "source": card.weights.source,
            "sha256": card.weights.sha256,
            "by_sub_outcome": {str(k): v for k, v in sorted(card.weights.by_sub_outcome.items())},
        },
        "method": METHOD,
        "draws": DRAWS,
        "min_weight_covered": MIN_WEIGHT_COVERED,
        "files": [SCORECARD_CSV, SCORECARD_INDICATORS_CSV, FUNNELS + "/"] if not card.empty else [],
        "areas_scored": 0 if card.empty else int(card.areas["score"].is_not_null().sum()),
        "overdispersion": [] if card.empty else overdispersion_summary(card.indicators),
        "docs": "docs/scorecard.md",
    }
