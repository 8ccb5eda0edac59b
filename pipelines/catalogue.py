"""The indicator catalogue seed, read with normalised types."""

from __future__ import annotations

from pathlib import Path

import polars as pl

import pipelines

SEEDS_DIR = Path(pipelines.__file__).resolve().parent.parent / "seeds"
CATALOGUE_PATH = SEEDS_DIR / "indicator_catalogue.csv"
TEXT_COLUMNS = [
    "indicator_id",
    "sub_outcome_name",
    "primary_outcome",
    "indicator_name",
    "definition",
    "numerator_definition",
    "denominator_definition",
    "unit",
    "sources",
    "proxy_reason",
    "evidence_codes",
    "service_user_themes",
]


def normalise_catalogue(catalogue: pl.DataFrame) -> pl.DataFrame:
    """Types as documented in docs/indicator-table.md (missing text becomes empty)."""
    text = [c for c in TEXT_COLUMNS if c in catalogue.columns]
    is_proxy = pl.col("is_proxy").cast(pl.Utf8).str.to_lowercase().is_in(["true", "1", "yes", "y"])
    return catalogue.with_columns(
        *[pl.col(c).cast(pl.Utf8).fill_null("") for c in text],
        pl.col("sub_outcome_id").cast(pl.Int64),
        is_proxy.alias("is_proxy"),
        pl.col("min_denominator").cast(pl.Float64).cast(pl.Int64, strict=False),
        pl.col("lower_bound").cast(pl.Float64),
        pl.col("upper_bound").cast(pl.Float64),
    ).sort("indicator_id")


def load_catalogue(path: Path | None = None) -> pl.DataFrame:
    """Read ``seeds/indicator_catalogue.csv`` (or ``path``)."""
    frame = pl.read_csv(path or CATALOGUE_PATH, infer_schema=False)
    return normalise_catalogue(frame)
