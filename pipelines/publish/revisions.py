"""The revision log: which published cells changed when a month was republished, and why."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

KEY = ["indicator_id", "period", "geography_code", "breakdown", "breakdown_value"]
COMPARED = ["numerator", "denominator", "value", "ci_low", "ci_high", "status"]
LOG_COLUMNS = ["release", "revision", "reason", *KEY, "column", "old", "new"]


def changed_cells(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Cells of the tidy table that differ between two publications (added/removed rows too)."""
    joined = old.select(KEY + COMPARED).join(
        new.select(KEY + COMPARED), on=KEY, how="full", coalesce=True, suffix="_new"
    )
    frames = []
    for column in COMPARED:
        before = pl.col(column).fill_null("(no row)")
        after = pl.col(f"{column}_new").fill_null("(no row)")
        frames.append(
            joined.filter(before != after).select(
                *KEY, pl.lit(column).alias("column"), before.alias("old"), after.alias("new")
            )
        )
    return pl.concat(frames).sort([*KEY, "column"])


def read_log(path: Path) -> pl.DataFrame:
    """The revision log (empty when none was written yet)."""
    if not path.exists():
        return pl.DataFrame(schema=dict.fromkeys(LOG_COLUMNS, pl.Utf8))
    return pl.read_csv(path, infer_schema=False)


def next_revision(log: pl.DataFrame, release: str) -> int:
    """1 for the first correction of a release, then 2, 3, ..."""
    done = log.filter(pl.col("release") == release)["revision"].unique()
    return len(done) + 1


def record_revision(
    log_path: Path, release: str, old: pl.DataFrame, new: pl.DataFrame, reason: str
) -> int:
    """Append the changed cells of a republished release to the log; return the cell count.

    The log is rewritten through a temporary file and renamed, so it is never half-written.
    """
    changes = changed_cells(old, new)
    if changes.is_empty():
        return 0
    log = read_log(log_path)
    entry = changes.select(
        pl.lit(release).alias("release"),
        pl.lit(str(next_revision(log, release))).alias("revision"),
        pl.lit(reason or "correction (no reason given)").alias("reason"),
        *KEY,
        "column",
        "old",
        "new",
    )
    tmp = log_path.with_name(log_path.name + ".tmp")
    pl.concat([log, entry]).write_csv(tmp)
    os.replace(tmp, log_path)
    return entry.height
