"""Compare to England, Fingertips-style: one rule for the tidy table and the area profiles.

An area is *better* than England when its 95% interval lies wholly on the good side of the
England value (same indicator, period type, period and breakdown category), *worse* when wholly
on the bad side, *similar* otherwise (an interval touching the England value is similar). The
good side is the indicator's catalogue ``polarity``; indicators with no judgement (``none``) are
*higher* / *similar* / *lower*. *Not compared* when the area's value is withheld or has no
interval, or England's value is withheld or absent; empty for England's own rows.
"""

from __future__ import annotations

import polars as pl

from pipelines.catalogue import POLARITIES, check_polarity

#: Catalogue ``polarity`` values.
HIGHER_IS_BETTER, LOWER_IS_BETTER, NO_JUDGEMENT = POLARITIES
#: ``compared_to_england`` values.
BETTER, SIMILAR, WORSE = "Better", "Similar", "Worse"
HIGHER, LOWER, NOT_COMPARED = "Higher", "Lower", "Not compared"
COLUMN = "compared_to_england"
ENGLAND_KEYS = ["indicator_id", "period_type", "period", "breakdown", "breakdown_value"]


def comparison_flag(
    ci_low: pl.Expr, ci_high: pl.Expr, england: pl.Expr, polarity: pl.Expr
) -> pl.Expr:
    """The flag of an interval against the England value, given the indicator's polarity."""
    above, below = ci_low > england, ci_high < england
    return (
        pl.when(ci_low.is_null() | ci_high.is_null() | england.is_null())
        .then(pl.lit(NOT_COMPARED))
        .when(above & (polarity == HIGHER_IS_BETTER) | below & (polarity == LOWER_IS_BETTER))
        .then(pl.lit(BETTER))
        .when(above & (polarity == LOWER_IS_BETTER) | below & (polarity == HIGHER_IS_BETTER))
        .then(pl.lit(WORSE))
        .when(above)
        .then(pl.lit(HIGHER))
        .when(below)
        .then(pl.lit(LOWER))
        .otherwise(pl.lit(SIMILAR))
    )


def with_england_comparison(published: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Add ``compared_to_england`` (see the module docstring) to published indicator rows."""
    check_polarity(catalogue)
    england = published.filter(pl.col("geography_type") == "england").select(
        *ENGLAND_KEYS, pl.col("value").alias("_eng")
    )
    joined = published.join(
        england, on=ENGLAND_KEYS, how="left", maintain_order="left", nulls_equal=True
    ).join(
        catalogue.select("indicator_id", pl.col("polarity").alias("_pol")),
        on="indicator_id",
        how="left",
        maintain_order="left",
    )
    if joined.height != published.height:
        raise ValueError("more than one England row for an indicator, period and category")
    flag = comparison_flag(pl.col("ci_low"), pl.col("ci_high"), pl.col("_eng"), pl.col("_pol"))
    is_england = pl.col("geography_type") == "england"
    return joined.with_columns(
        pl.when(is_england).then(pl.lit("")).otherwise(flag).alias(COLUMN)
    ).drop("_eng", "_pol")
