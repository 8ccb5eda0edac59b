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
#: Direction of good per indicator (``polarity``): higher or lower is better, or no judgement.
POLARITIES = ("higher", "lower", "none")


def check_polarity(catalogue: pl.DataFrame) -> None:
    """Refuse a catalogue in which an indicator has no valid ``polarity``."""
    if "polarity" not in catalogue.columns:
        raise ValueError("the indicator catalogue has no polarity column")
    valid = pl.col("polarity").cast(pl.Utf8).is_in(POLARITIES).fill_null(False)
    bad = catalogue.filter(~valid)["indicator_id"].to_list()
    if bad:
        raise ValueError(f"indicators without a valid polarity ({'/'.join(POLARITIES)}): {bad}")


def normalise_catalogue(catalogue: pl.DataFrame) -> pl.DataFrame:
    """Types as documented in docs/indicator-table.md (missing text becomes empty); refuses an
    indicator without a valid polarity."""
    text = [c for c in TEXT_COLUMNS if c in catalogue.columns]
    is_proxy = pl.col("is_proxy").cast(pl.Utf8).str.to_lowercase().is_in(["true", "1", "yes", "y"])
    if "polarity" in catalogue.columns:
        polarity = pl.col("polarity").cast(pl.Utf8).str.strip_chars().str.to_lowercase()
        catalogue = catalogue.with_columns(polarity)
    check_polarity(catalogue)
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
