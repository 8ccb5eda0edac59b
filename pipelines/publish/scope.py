"""The publication scope: which slices of ``fct_indicators`` a release publishes.

Declared once in ``seeds/publication_scope.csv`` (documented in ``docs/publication.md``). Each
rule names an indicator (an id, a glob such as ``so02_*``, or ``*``), a period type and a
geography type, and lists the breakdowns published there (empty: none) and which periods
(``all``, or ``quarterly``: periods ending in March, June, September or December plus the latest
mature one). For each indicator, period type and geography type the most specific matching rule
applies (an exact id beats a glob, a longer glob beats a shorter one). The warehouse keeps every
row; only the scope is published. Periods not yet mature are listed (as ``[x]``) for England only.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

import polars as pl

from pipelines.catalogue import SEEDS_DIR

SCOPE_PATH = SEEDS_DIR / "publication_scope.csv"
SCOPE_COLUMNS = ["indicator_id", "period_type", "geography_type", "breakdowns", "periods"]
PERIOD_RULES = ("all", "quarterly")
QUARTER_END_MONTHS = ("03", "06", "09", "12")
#: Columns of a resolved scope: one row per published slice.
SLICE = ["indicator_id", "period_type", "geography_type", "breakdown"]


def load_scope(path: Path | None = None) -> pl.DataFrame:
    """Read the scope rules (``seeds/publication_scope.csv`` unless ``path``)."""
    frame = pl.read_csv(path or SCOPE_PATH, infer_schema=False)
    return validate_scope(frame)


def validate_scope(rules: pl.DataFrame) -> pl.DataFrame:
    """Check the rules' columns and values; return them with empty text for missing values."""
    missing = [c for c in SCOPE_COLUMNS if c not in rules.columns]
    if missing:
        raise ValueError(f"publication scope lacks columns {missing}")
    rules = rules.with_columns(pl.col(c).cast(pl.Utf8).fill_null("") for c in SCOPE_COLUMNS)
    bad = rules.filter(~pl.col("periods").is_in(PERIOD_RULES) & (pl.col("breakdowns") != ""))
    if bad.height:
        raise ValueError(f"unknown periods rule(s) in the publication scope: {bad.rows()}")
    dupes = rules.group_by("indicator_id", "period_type", "geography_type").len()
    dupes = dupes.filter(pl.col("len") > 1)
    if dupes.height:
        raise ValueError(f"publication scope rules repeat: {dupes.drop('len').rows()}")
    return rules


def _specificity(pattern: str) -> tuple[int, int]:
    """Exact ids first, then globs by the number of literal characters."""
    return (0 if any(ch in pattern for ch in "*?[") else 1, len(pattern.replace("*", "")))


def resolve_scope(rules: pl.DataFrame, indicator_ids: list[str]) -> pl.DataFrame:
    """The published slices of each indicator: ``SLICE`` columns plus ``periods``."""
    rows = []
    ordered = sorted(rules.iter_rows(named=True), key=lambda r: _specificity(r["indicator_id"]))
    for indicator_id in sorted(set(indicator_ids)):
        chosen: dict[tuple[str, str], dict] = {}
        for rule in ordered:  # least specific first: later (more specific) rules overwrite
            if fnmatchcase(indicator_id, rule["indicator_id"]):
                chosen[(rule["period_type"], rule["geography_type"])] = rule
        for (period_type, geography_type), rule in sorted(chosen.items()):
            for breakdown in filter(None, rule["breakdowns"].split(";")):
                rows.append((indicator_id, period_type, geography_type, breakdown, rule["periods"]))
    return pl.DataFrame(rows, schema=[*SLICE, "periods"], orient="row")


def latest_mature(indicators: pl.DataFrame) -> pl.DataFrame:
    """Latest mature period of each indicator and period type."""
    return (
        indicators.filter(pl.col("status") != "not_yet_mature")
        .group_by("indicator_id", "period_type")
        .agg(pl.col("period").max().alias("_latest"))
    )


def in_scope(indicators: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``indicators`` the scope publishes (row order kept)."""
    slices = resolve_scope(rules, indicators["indicator_id"].unique().to_list())
    frame = indicators.join(slices, on=SLICE, how="inner", maintain_order="left")
    frame = frame.join(
        latest_mature(indicators), on=["indicator_id", "period_type"], how="left"
    ).with_columns(pl.col("_latest").fill_null(""))
    mature = pl.col("status") != "not_yet_mature"
    last_month = pl.col("period").str.slice(-2)
    wanted = (
        (pl.col("periods") == "all")
        | last_month.is_in(QUARTER_END_MONTHS)
        | (pl.col("period") == pl.col("_latest"))
    )
    keep = wanted & (mature | (pl.col("geography_type") == "england"))
    return frame.filter(keep).drop("periods", "_latest")


def describe_scope(rules: pl.DataFrame, indicator_ids: list[str]) -> list[dict]:
    """The resolved scope as JSON-ready records (for ``metadata.json``)."""
    slices = resolve_scope(rules, indicator_ids)
    grouped = slices.group_by("indicator_id", "period_type", "geography_type", "periods").agg(
        pl.col("breakdown")
    )
    return grouped.sort("indicator_id", "period_type", "geography_type").to_dicts()
