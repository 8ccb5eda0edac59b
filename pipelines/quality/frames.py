"""DataFrames the GX suites validate, pulled from DuckDB (one builder per suite).

Comparisons that a static expectation cannot express (against the previous month, the previous
release or the catalogue) are computed here as columns, and the suites bound those columns.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from pipelines.contracts.indicators import DEFAULT_MIN_DENOMINATOR, INDICATOR_COLUMNS

MIN_VOLUME = 50
#: Indicator columns the checks read (all but the display name).
_CHECKED_COLUMNS = ", ".join(c for c in INDICATOR_COLUMNS if c != "geography_name")
COUNT_NUMERATOR_UNITS = ("proportion", "rate_per_1000", "rate_per_100", "ratio")
BASELINE_MONTHS = 6
MIN_TREND_NUMERATOR = 20


def indicator_rows(
    con: duckdb.DuckDBPyConnection, catalogue: pl.DataFrame, where: str = "TRUE"
) -> pl.DataFrame:
    """``fct_indicators`` with the catalogue's unit and bounds, plus derived check columns.

    ``checked_value`` is the value where the denominator reaches the indicator's minimum (the
    rows that can be published; values on tiny denominators are too noisy to bound);
    ``count_numerator`` is the numerator where it is a count; ``ci_low_excess`` and
    ``ci_high_shortfall`` are how far the estimate lies outside its own interval. ``where``
    (SQL) keeps only the rows a check reads.
    """
    frame = con.sql(f"SELECT {_CHECKED_COLUMNS} FROM main_marts.fct_indicators WHERE {where}").pl()
    bounds = catalogue.select(
        "indicator_id", "unit", "lower_bound", "upper_bound", "min_denominator"
    )
    frame = frame.join(bounds, on="indicator_id", how="left")
    minimum = pl.col("min_denominator").fill_null(DEFAULT_MIN_DENOMINATOR)
    return frame.with_columns(
        pl.when(pl.col("denominator") >= minimum).then(pl.col("value")).alias("checked_value"),
        pl.when(pl.col("unit").is_in(list(COUNT_NUMERATOR_UNITS)))
        .then(pl.col("numerator"))
        .alias("count_numerator"),
        (pl.col("ci_low") - pl.col("value")).alias("ci_low_excess"),
        (pl.col("value") - pl.col("ci_high")).alias("ci_high_shortfall"),
    ).sort("indicator_id", "period", "geography_code", "breakdown", "breakdown_value")


def indicator_counts(con: duckdb.DuckDBPyConnection, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Indicator, unit, numerator, denominator and value of every ``fct_indicators`` row (all
    that :func:`indicator_proportions` reads)."""
    frame = con.sql(
        "SELECT indicator_id, numerator, denominator, value FROM main_marts.fct_indicators"
    ).pl()
    return frame.join(catalogue.select("indicator_id", "unit"), on="indicator_id", how="left")


def indicator_proportions(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows of proportion indicators (where numerator must not exceed denominator)."""
    return rows.filter(pl.col("unit") == "proportion")


def indicator_presence(rows: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Every catalogue indicator with its number of rows (0 when missing)."""
    counts = rows.group_by("indicator_id").agg(pl.len().alias("rows"))
    return (
        catalogue.select("indicator_id")
        .join(counts, on="indicator_id", how="left")
        .with_columns(pl.col("rows").fill_null(0))
        .sort("indicator_id")
    )


def indicator_coverage(
    rows: pl.DataFrame, publications_dir: Path, published: list[str], month: str | None = None
) -> pl.DataFrame:
    """Areas per indicator now vs in the latest earlier (or same-month) release."""
    now = rows.group_by("indicator_id").agg(pl.col("geography_code").n_unique().alias("areas"))
    previous = None
    earlier = [m for m in published if month is None or m <= month]
    if earlier:
        previous = pl.read_csv(
            Path(publications_dir) / earlier[0] / "indicators.csv", infer_schema=False
        )
    if previous is None:
        return now.with_columns(
            pl.lit(None, pl.Int64).alias("areas_previous"),
            pl.lit(None, pl.Float64).alias("coverage_ratio"),
        ).sort("indicator_id")
    before = previous.group_by("indicator_id").agg(
        pl.col("geography_code").n_unique().alias("areas_previous")
    )
    return (
        before.join(now, on="indicator_id", how="left")
        .with_columns(pl.col("areas").fill_null(0))
        .with_columns((pl.col("areas") / pl.col("areas_previous")).alias("coverage_ratio"))
        .sort("indicator_id")
    )


#: The rows :func:`indicator_trend` reads (SQL, for :func:`indicator_rows`).
TREND_ROWS = (
    "geography_type = 'england' AND breakdown = 'none' AND period_type = 'month' "
    "AND status = 'published'"
)


def indicator_areas(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Indicator and area of every ``fct_indicators`` row (all that presence and coverage read)."""
    return con.sql("SELECT indicator_id, geography_code FROM main_marts.fct_indicators").pl()


def indicator_trend(rows: pl.DataFrame) -> pl.DataFrame:
    """England headline monthly values with the previous month's (large numerators only)."""
    england = rows.filter(
        (pl.col("geography_type") == "england")
        & (pl.col("breakdown") == "none")
        & (pl.col("period_type") == "month")
        & (pl.col("status") == "published")
    ).sort("indicator_id", "period")
    trend = england.with_columns(
        pl.col("value").shift(1).over("indicator_id").alias("previous_value"),
        pl.col("numerator").shift(1).over("indicator_id").alias("previous_numerator"),
    ).filter(
        (pl.col("numerator") >= MIN_TREND_NUMERATOR)
        & (pl.col("previous_numerator") >= MIN_TREND_NUMERATOR)
        & (pl.col("previous_value") != 0)
    )
    return trend.select(
        "indicator_id",
        "period",
        "value",
        "previous_value",
        (pl.col("value") / pl.col("previous_value") - 1).alias("relative_change"),
    )


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    found = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' "
        "ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in found]


def raw_volumes(con: duckdb.DuckDBPyConnection, table: str, months: list[str]) -> pl.DataFrame:
    """Rows per delivery month of ``raw.<table>`` for ``months`` against a baseline.

    The baseline is the median of up to :data:`BASELINE_MONTHS` earlier deliveries, leaving out
    the first delivery (an initial historical load, larger than any monthly one). The ratio is
    null without a baseline or when both the month and the baseline are small.
    """
    counts = con.sql(
        f'SELECT _delivery_month AS delivery_month, count(*) AS rows FROM raw."{table}" '
        "GROUP BY 1 ORDER BY 1"
    ).pl()
    history = counts["rows"].to_list()
    baselines: list[float | None] = []
    for i in range(len(history)):
        earlier = history[max(1, i - BASELINE_MONTHS) : i]
        baselines.append(float(np.median(earlier)) if earlier else None)
    counts = counts.with_columns(pl.Series("previous_rows", baselines, dtype=pl.Float64))
    ratio = (
        pl.when((pl.col("rows") >= MIN_VOLUME) | (pl.col("previous_rows") >= MIN_VOLUME))
        .then(pl.col("rows") / pl.col("previous_rows"))
        .otherwise(None)
    )
    frame = counts.with_columns(pl.lit(table).alias("table_name"), ratio.alias("volume_ratio"))
    wanted = set(months)
    return frame.filter(pl.col("delivery_month").is_in(wanted)) if wanted else frame


def raw_month_rows(con: duckdb.DuckDBPyConnection, table: str, month: str) -> pl.DataFrame:
    """The rows of ``raw.<table>`` delivered in ``month`` (for distribution suites)."""
    return con.sql(f'SELECT * FROM raw."{table}" WHERE _delivery_month = ?', params=[month]).pl()


def spine(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The spine for its suites, each record and person key replaced by an integer code.

    Codes keep every equality and null of the keys, so uniqueness and cluster sizes are judged
    exactly; they take a fraction of the memory of 64-character strings in pandas (a national
    spine as strings took over 6 GB to validate) and keep pseudonymous keys out of Data Docs.
    A code is a number of the distinct key in no particular order (a hash aggregate: numbering
    keys in sorted order took three times as long at national scale, 7.9 s against 2.6 s).
    """
    return con.sql(
        """
        WITH record_codes AS (
            SELECT record_key, row_number() OVER () AS code
            FROM (SELECT DISTINCT record_key FROM linkage.spine WHERE record_key IS NOT NULL)
        ),
        person_codes AS (
            SELECT person_key, row_number() OVER () AS code
            FROM (SELECT DISTINCT person_key FROM linkage.spine WHERE person_key IS NOT NULL)
        )
        SELECT
            s.source,
            r.code AS record_key,
            p.code AS person_key,
            s.match_probability,
            s.match_rule
        FROM linkage.spine AS s
        LEFT JOIN record_codes AS r ON s.record_key = r.record_key
        LEFT JOIN person_codes AS p ON s.person_key = p.person_key
        """
    ).pl()


def clusters(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Records and sources per person key (a code in key order), grouped in DuckDB: the spine
    is not coded a second time."""
    return con.sql(
        """
        SELECT
            CASE WHEN person_key IS NOT NULL THEN dense_rank() OVER (ORDER BY person_key) END
                AS person_key,
            count(*) AS records,
            count(DISTINCT source) AS sources
        FROM linkage.spine
        GROUP BY person_key
        ORDER BY person_key
        """
    ).pl()
