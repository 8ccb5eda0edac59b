"""Day-number helpers (dates are int days since 1970-01-01 inside the simulator)."""

from __future__ import annotations

import numpy as np
import polars as pl


def to_date(col: str | pl.Expr) -> pl.Expr:
    """An int day-number column as a polars Date (negative or huge values stay valid)."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.cast(pl.Int32).cast(pl.Date)


def month_of(col: str | pl.Expr) -> pl.Expr:
    """``YYYY-MM`` of a day-number column."""
    return to_date(col).dt.strftime("%Y-%m")


def delivery_month(col: str | pl.Expr, first_month: str) -> pl.Expr:
    """Month a record dated ``col`` is delivered in: its own month, or the first (backlog)."""
    m = month_of(col)
    return pl.when(m < first_month).then(pl.lit(first_month)).otherwise(m)


def years(days: np.ndarray) -> np.ndarray:
    """Calendar years of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
