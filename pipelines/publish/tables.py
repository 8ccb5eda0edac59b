"""Published tables: the tidy table (CSV and Parquet) and the display frame of the workbook.

Numbers are rounded here, once, so every output file shows the same figures and the bytes are
deterministic. In the tidy table withheld numbers are empty and the row's ``symbol`` column says
why (``[c]``, ``[u]``, ``[x]``); in the display frame withheld cells carry the symbol.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.contracts.indicators import INDICATOR_COLUMNS
from pipelines.publish.comparison import COLUMN as COMPARISON
from pipelines.publish.comparison import with_england_comparison

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
NUMBERS = ["numerator", "denominator", "value", "ci_low", "ci_high"]
#: The tidy table: the indicator table's columns (less ``maturity_period``, which is per
#: indicator in metadata.json) with the unit, the row's symbol and the comparison with England.
TIDY_COLUMNS = [
    "indicator_id",
    "unit",
    *[c for c in INDICATOR_COLUMNS[1:] if c != "maturity_period"],
    "symbol",
    COMPARISON,
]


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


def _with_catalogue(published: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    cat = catalogue.select("indicator_id", "indicator_name", "unit")
    return published.join(cat, on="indicator_id", how="left", maintain_order="left")


def _count_decimals(column: str) -> pl.Expr:
    """Counts are whole numbers; a mean's sum and a ratio's expected value keep 2 decimals."""
    non_count = (pl.col("unit") == "mean") if column == "numerator" else (pl.col("unit") == "ratio")
    return pl.when(non_count).then(2).otherwise(0)


def _rounded(column: str, decimals: pl.Expr, scale: pl.Expr | float = 1.0) -> pl.Expr:
    """A number column scaled and rounded to per-row decimals (0, 1 or 2)."""
    scaled = pl.col(column) * scale
    return (
        pl.when(decimals == 0)
        .then(scaled.round(0))
        .when(decimals == 1)
        .then(scaled.round(1))
        .otherwise(scaled.round(2))
        .alias(column)
    )


def rounded(published: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Published rows in canonical order with indicator name and display unit, numbers rounded
    as published (proportions as percentages)."""
    frame = sort_published(_with_catalogue(published, catalogue))
    decimals = pl.col("unit").replace_strict(VALUE_DECIMALS, default=2)
    scale = pl.when(pl.col("unit").is_in(list(PERCENT_UNITS))).then(100.0).otherwise(1.0)
    return frame.with_columns(
        _rounded("numerator", _count_decimals("numerator")),
        _rounded("denominator", _count_decimals("denominator")),
        *[_rounded(c, decimals, scale) for c in ("value", "ci_low", "ci_high")],
        pl.col("unit")
        .replace_strict({"proportion": "percentage"}, default=pl.col("unit"))
        .alias("unit"),
    )


def tidy_table(published: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """The tidy table: one row per indicator, period, area and breakdown value (typed)."""
    frame = published
    if COMPARISON not in frame.columns:
        frame = with_england_comparison(frame, catalogue)
    return rounded(frame, catalogue).select(TIDY_COLUMNS)


def write_tidy_csv(tidy: pl.DataFrame, path: Path) -> None:
    """Every text field quoted (so readers' sniffers see the quoting from the first line);
    numbers unquoted and always with a decimal point (so a reader inferring types from the
    first rows takes them as floats); withheld numbers empty."""
    tidy.write_csv(path, quote_style="non_numeric")


def _text(column: str, decimals: pl.Expr | int) -> pl.Expr:
    """A rounded number as text with fixed decimals, or the row's symbol when withheld."""
    value = pl.col(column)
    if isinstance(decimals, int):
        decimals = pl.lit(decimals)
    text = (
        pl.when(decimals == 0)
        .then(value.cast(pl.Int64).cast(pl.Utf8))
        .when(decimals == 1)
        .then(value.map_elements(lambda v: f"{v:.1f}", return_dtype=pl.Utf8))
        .otherwise(value.map_elements(lambda v: f"{v:.2f}", return_dtype=pl.Utf8))
    )
    return pl.when(value.is_null()).then(pl.col("symbol")).otherwise(text).alias(column)


def formatted(published: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Published rows for display: numbers as text with their decimals, symbols in cells."""
    frame = rounded(published, catalogue)
    decimals = pl.col("unit").replace_strict(
        {"percentage": 1, **VALUE_DECIMALS}, default=2, return_dtype=pl.Int64
    )
    return frame.with_columns(
        _text("numerator", _count_decimals("numerator")),
        _text("denominator", _count_decimals("denominator")),
        *[_text(c, decimals) for c in ("value", "ci_low", "ci_high")],
    ).with_columns(
        # A median has no numerator: show it as not applicable rather than withheld.
        pl.when(pl.col("unit") == "median_days")
        .then(pl.lit("[z]"))
        .otherwise(pl.col("numerator"))
        .alias("numerator")
    )
