"""Area profiles: one page and one CSV per local authority and prison, plus a searchable index.

Each profile row is an indicator's latest mature period for the area (preferring rolling
12-month periods, then release cohorts, then single months), with the England value of the same
period and its ``compared_to_england`` flag (pipelines/publish/comparison.py: better, similar or
worse from the 95% interval and the catalogue polarity).

Works on whatever subset of the published rows it is given (any scope, any period types).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from pipelines.publish.comparison import COLUMN as COMPARISON
from pipelines.publish.comparison import with_england_comparison
from pipelines.publish.profile_pages import write_area_page, write_areas_index
from pipelines.publish.tables import AREA_TYPE_NAMES, formatted

AREA_TYPES = ("local_authority", "prison")
#: Which period type an area's profile shows when several are published (first present wins).
PERIOD_PREFERENCE = {"rolling_12m": 0, "release_cohort": 1, "month": 2}
#: Periods drawn in each trend chart (the latest ones).
TREND_PERIODS = 36

CSV_COLUMNS = [
    "geography_type",
    "geography_code",
    "geography_name",
    "indicator_id",
    "indicator_name",
    "unit",
    "period",
    "value",
    "ci_low",
    "ci_high",
    "numerator",
    "denominator",
    "england_value",
    "england_ci_low",
    "england_ci_high",
    COMPARISON,
    "polarity",
]


def _headline(published: pl.DataFrame) -> pl.DataFrame:
    """Mature ``none`` rows, ranked by period-type preference."""
    return published.filter(
        (pl.col("breakdown") == "none") & (pl.col("status") != "not_yet_mature")
    ).with_columns(
        pl.col("period_type").replace_strict(PERIOD_PREFERENCE, default=9).alias("_pref")
    )


def latest_rows(published: pl.DataFrame) -> pl.DataFrame:
    """Each area's latest mature row per indicator (of its preferred period type);
    ``is_latest`` is false where the indicator has later mature periods with no row for the
    area (nobody in scope there)."""
    headline = _headline(published).with_columns(
        (pl.col("period").max().over("indicator_id", "period_type")).alias("_latest")
    )
    areas = headline.filter(pl.col("geography_type").is_in(AREA_TYPES))
    keys = ["geography_code", "indicator_id"]
    preferred = areas.filter(pl.col("_pref") == pl.col("_pref").min().over(keys))
    return (
        preferred.filter(pl.col("period") == pl.col("period").max().over(keys))
        .with_columns((pl.col("period") == pl.col("_latest")).alias("is_latest"))
        .drop("_pref", "_latest")
    )


def profile_rows(
    published: pl.DataFrame, catalogue: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows, trends): one row per area and indicator with the England comparison; the mature
    ``none`` series (area and England values) behind each row's trend chart."""
    if COMPARISON not in published.columns:
        published = with_england_comparison(published, catalogue)
    latest = latest_rows(published)
    period_keys = ["indicator_id", "period_type", "period"]
    headline = _headline(published).drop("_pref")
    england = headline.filter(pl.col("geography_type") == "england")
    eng_raw = england.select(*period_keys, pl.col("value").alias("_eng"))
    compared = latest.join(
        catalogue.select("indicator_id", "polarity"),
        on="indicator_id",
        how="left",
        maintain_order="left",
    )
    eng_text = formatted(england.join(latest, on=period_keys, how="semi"), catalogue).select(
        *period_keys,
        *[pl.col(c).alias(f"england_{c}") for c in ("value", "ci_low", "ci_high")],
    )
    rows = (
        formatted(compared, catalogue)
        .join(eng_text, on=period_keys, how="left", maintain_order="left")
        .join(
            catalogue.select("indicator_id", "sub_outcome_id", "sub_outcome_name"),
            on="indicator_id",
            how="left",
            maintain_order="left",
        )
        .sort("geography_code", "sub_outcome_id", "indicator_id", nulls_last=True)
    )
    # Missing England rows (outside the subset given) read as not available.
    rows = rows.with_columns(
        pl.col(f"england_{c}").fill_null("[x]") for c in ("value", "ci_low", "ci_high")
    )
    series = headline.filter(pl.col("geography_type").is_in(AREA_TYPES)).join(
        latest.select("geography_code", "indicator_id", "period_type"),
        on=["geography_code", "indicator_id", "period_type"],
        how="semi",
    )
    series = series.filter(
        pl.col("period").rank("dense", descending=True).over("geography_code", "indicator_id")
        <= TREND_PERIODS
    )
    trends = (
        series.select("geography_code", *period_keys, "value")
        .join(eng_raw, on=period_keys, how="left")
        .rename({"_eng": "england"})
        .sort("geography_code", "indicator_id", "period")
    )
    return rows, trends


def file_stem(code: str) -> str:
    """A file-name-safe form of an area code."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", code)


def write_profiles(
    folder: Path,
    published: pl.DataFrame,
    catalogue: pl.DataFrame,
    geography: pl.DataFrame | None,
    month: str,
    sections: dict[str, str] | None = None,
) -> list[Path]:
    """Write ``<folder>/areas/``: ``<code>.html`` and ``<code>.csv`` per local authority and
    prison, ``index.html`` and ``search.js`` (the area list with the search box's script)."""
    out = Path(folder) / "areas"
    out.mkdir(parents=True, exist_ok=True)
    rows, trends = profile_rows(published, catalogue)
    parents: dict[str, str] = {}
    if geography is not None:
        parents = dict(
            geography.filter(pl.col("geography_type").is_in(AREA_TYPES))
            .select("geography_code", pl.col("parent_name").fill_null(""))
            .iter_rows()
        )
    areas = (
        rows.select("geography_type", "geography_code", "geography_name")
        .unique()
        .sort("geography_name", "geography_code")
    )
    written: list[Path] = []
    trend_groups = trends.partition_by("geography_code", as_dict=True)
    row_groups = rows.partition_by("geography_code", as_dict=True)
    listing = []
    no_trend = trends.clear()
    for gtype, code, name in areas.iter_rows():
        stem = file_stem(code)
        area_rows = row_groups[(code,)]
        csv_path = out / f"{stem}.csv"
        area_rows.select(CSV_COLUMNS).write_csv(csv_path, quote_style="non_numeric")
        area = {
            "type": gtype,
            "type_label": AREA_TYPE_NAMES.get(gtype, gtype),
            "code": code,
            "name": name,
            "parent": parents.get(code, ""),
            "stem": stem,
        }
        page = write_area_page(
            out,
            area,
            area_rows,
            trend_groups.get((code,), no_trend),
            month,
            extra=(sections or {}).get(code, ""),
        )
        written += [page, csv_path]
        listing.append(area)
    written += write_areas_index(out, listing, month)
    return written
