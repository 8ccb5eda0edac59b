"""Published tables: the tidy CSV and the Fingertips-compatible CSV, as text-typed frames.

Numbers are formatted here, once, so every output file shows the same figures and the bytes
are deterministic. Withheld cells carry their symbol (``[c]``, ``[u]``, ``[x]``).
"""

from __future__ import annotations

import polars as pl

from pipelines.contracts.indicators import INDICATOR_COLUMNS
from pipelines.publish.disclosure import NOT_AVAILABLE

GEOGRAPHY_ORDER = {"england": 0, "region": 1, "local_authority": 2, "prison": 3}
PERIOD_TYPE_ORDER = {"month": 0, "rolling_12m": 1, "release_cohort": 2}
BREAKDOWN_ORDER = {"none": 0, "sex": 1, "age_band": 2, "ethnic_group": 3}
AREA_TYPE_NAMES = {
    "england": "England",
    "region": "Region",
    "local_authority": "Local authority",
    "prison": "Prison",
}
VALUE_DECIMALS = {
    "proportion": 1,
    "rate_per_1000": 1,
    "rate_per_100": 1,
    "mean": 2,
    "median_days": 0,
    "ratio": 2,
}
#: Units shown as percentages in every published file (the indicator table holds 0-1).
PERCENT_UNITS = {"proportion"}
TIDY_COLUMNS = ["indicator_id", "indicator_name", "unit", *INDICATOR_COLUMNS[1:]]
FINGERTIPS_COLUMNS = [
    "Indicator ID",
    "Indicator Name",
    "Parent Code",
    "Parent Name",
    "Area Code",
    "Area Name",
    "Area Type",
    "Sex",
    "Age",
    "Category Type",
    "Category",
    "Time period",
    "Value",
    "Lower CI 95.0 limit",
    "Upper CI 95.0 limit",
    "Count",
    "Denominator",
    "Value note",
    "Recent Trend",
    "Compared to England value or percentiles",
    "Time period Sortable",
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def sort_published(frame: pl.DataFrame) -> pl.DataFrame:
    """The canonical row order of every published file."""
    return (
        frame.with_columns(
            pl.col("period_type").replace_strict(PERIOD_TYPE_ORDER, default=9).alias("_pt"),
            pl.col("geography_type").replace_strict(GEOGRAPHY_ORDER, default=9).alias("_gt"),
            pl.col("breakdown").replace_strict(BREAKDOWN_ORDER, default=9).alias("_bd"),
        )
        .sort(["indicator_id", "_pt", "period", "_gt", "geography_code", "_bd", "breakdown_value"])
        .drop("_pt", "_gt", "_bd")
    )


def _number(column: str, decimals: pl.Expr | int, scale: pl.Expr | float = 1.0) -> pl.Expr:
    """Format a number column with per-row decimals, or the row's symbol when withheld."""
    scaled = pl.col(column) * scale
    if isinstance(decimals, int):
        decimals = pl.lit(decimals)
    text = (
        pl.when(decimals == 0)
        .then(scaled.round(0).cast(pl.Int64).cast(pl.Utf8))
        .when(decimals == 1)
        .then(scaled.round(1).map_elements(lambda v: f"{v:.1f}", return_dtype=pl.Utf8))
        .otherwise(scaled.round(2).map_elements(lambda v: f"{v:.2f}", return_dtype=pl.Utf8))
    )
    return pl.when(pl.col(column).is_null()).then(pl.col("symbol")).otherwise(text).alias(column)


def _with_catalogue(published: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    cat = catalogue.select("indicator_id", "indicator_name", "unit")
    return published.join(cat, on="indicator_id", how="left", maintain_order="left")


def _count_decimals(column: str) -> pl.Expr:
    """Counts are whole numbers; a mean's sum and a ratio's expected value keep 2 decimals."""
    non_count = (pl.col("unit") == "mean") if column == "numerator" else (pl.col("unit") == "ratio")
    return pl.when(non_count).then(2).otherwise(0)


def formatted(published: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Published rows with display columns: numbers as text, proportions as percentages."""
    frame = sort_published(_with_catalogue(published, catalogue))
    decimals = pl.col("unit").replace_strict(VALUE_DECIMALS, default=2)
    scale = pl.when(pl.col("unit").is_in(list(PERCENT_UNITS))).then(100.0).otherwise(1.0)
    return frame.with_columns(
        _number("numerator", _count_decimals("numerator")),
        _number("denominator", _count_decimals("denominator")),
        *[_number(c, decimals, scale) for c in ("value", "ci_low", "ci_high")],
        pl.col("unit")
        .replace_strict({"proportion": "percentage"}, default=pl.col("unit"))
        .alias("unit"),
    ).with_columns(
        # A median has no numerator: show it as not applicable rather than withheld.
        pl.when(pl.col("unit") == "median_days")
        .then(pl.lit("[z]"))
        .otherwise(pl.col("numerator"))
        .alias("numerator")
    )


def tidy_table(published: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """The tidy CSV: one row per indicator, period, area and breakdown value."""
    return formatted(published, catalogue).select(TIDY_COLUMNS)


def _period_label(period: str) -> tuple[str, int]:
    """Fingertips-style time period text and sortable number (YYYYMM00 of the last month)."""

    def month(text: str) -> tuple[str, int]:
        year, mon = text.split("-")
        return f"{MONTHS[int(mon) - 1]} {year}", int(year) * 10000 + int(mon) * 100

    if period.startswith("cohort "):
        label, sortable = month(period.removeprefix("cohort "))
        return f"{label} release cohort", sortable
    if "/" in period:
        first, last = period.split("/")
        label_last, sortable = month(last)
        return f"{month(first)[0]} - {label_last}", sortable
    return month(period)


def fingertips_table(
    published: pl.DataFrame, catalogue: pl.DataFrame, geography: pl.DataFrame | None
) -> pl.DataFrame:
    """The Fingertips-compatible CSV (mature periods only; values as in Fingertips)."""
    frame = formatted(published.filter(pl.col("symbol") != NOT_AVAILABLE), catalogue)
    raw = sort_published(published.filter(pl.col("symbol") != NOT_AVAILABLE))
    england = raw.filter(pl.col("geography_type") == "england").select(
        "indicator_id", "period", "breakdown", "breakdown_value", pl.col("value").alias("_eng")
    )
    compare = raw.join(
        england,
        on=["indicator_id", "period", "breakdown", "breakdown_value"],
        how="left",
        maintain_order="left",
    ).select(
        pl.when(pl.col("geography_type") == "england")
        .then(pl.lit(""))
        .when(pl.col("ci_low").is_null() | pl.col("_eng").is_null())
        .then(pl.lit("Not compared"))
        .when(pl.col("ci_low") > pl.col("_eng"))
        .then(pl.lit("Higher"))
        .when(pl.col("ci_high") < pl.col("_eng"))
        .then(pl.lit("Lower"))
        .otherwise(pl.lit("Similar"))
        .alias("compare")
    )["compare"]
    if geography is not None:
        parents = geography.select(
            "geography_code", pl.col("parent_code").alias("_pc"), pl.col("parent_name").alias("_pn")
        )
    else:
        parents = (
            frame.select("geography_code")
            .unique()
            .with_columns(pl.lit("E92000001").alias("_pc"), pl.lit("England").alias("_pn"))
        )
    frame = frame.join(parents, on="geography_code", how="left", maintain_order="left")
    labels = {p: _period_label(p) for p in frame["period"].unique().to_list()}
    bd, bv = pl.col("breakdown"), pl.col("breakdown_value")
    notes = {
        "[c]": "Value suppressed for disclosure control: small numbers",
        "[u]": "Value not shown: denominator below the minimum",
    }
    return frame.select(
        pl.col("indicator_id").alias("Indicator ID"),
        pl.col("indicator_name").alias("Indicator Name"),
        pl.when(pl.col("geography_type") == "england")
        .then(pl.lit(""))
        .otherwise(pl.col("_pc").fill_null("E92000001"))
        .alias("Parent Code"),
        pl.when(pl.col("geography_type") == "england")
        .then(pl.lit(""))
        .otherwise(pl.col("_pn").fill_null("England"))
        .alias("Parent Name"),
        pl.col("geography_code").alias("Area Code"),
        pl.col("geography_name").alias("Area Name"),
        pl.col("geography_type").replace_strict(AREA_TYPE_NAMES, default="").alias("Area Type"),
        pl.when(bd == "sex").then(bv).otherwise(pl.lit("Persons")).alias("Sex"),
        pl.when(bd == "age_band")
        .then(bv + pl.lit(" yrs"))
        .otherwise(pl.lit("All ages"))
        .alias("Age"),
        pl.when(bd == "ethnic_group")
        .then(pl.lit("Ethnic groups"))
        .otherwise(pl.lit(""))
        .alias("Category Type"),
        pl.when(bd == "ethnic_group").then(bv).otherwise(pl.lit("")).alias("Category"),
        pl.col("period").replace_strict({p: v[0] for p, v in labels.items()}).alias("Time period"),
        *[
            pl.when(pl.col(src) == pl.col("symbol"))
            .then(pl.lit(""))
            .otherwise(pl.col(src))
            .alias(dst)
            for src, dst in [
                ("value", "Value"),
                ("ci_low", "Lower CI 95.0 limit"),
                ("ci_high", "Upper CI 95.0 limit"),
                ("numerator", "Count"),
                ("denominator", "Denominator"),
            ]
        ],
        pl.col("symbol").replace_strict(notes, default="").alias("Value note"),
        pl.lit("Cannot be calculated").alias("Recent Trend"),
        pl.Series("compare", compare.to_list()).alias("Compared to England value or percentiles"),
        pl.col("period")
        .replace_strict({p: v[1] for p, v in labels.items()}, return_dtype=pl.Int64)
        .alias("Time period Sortable"),
    ).with_columns(
        pl.when(pl.col("Count") == "[z]").then(pl.lit("")).otherwise(pl.col("Count")).alias("Count")
    )
