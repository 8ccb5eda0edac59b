"""Source identifiers: PNC IDs with their mod-23 check character, CRO numbers."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.contracts.codes import PNC_ALPHABET

_ALPHA = np.array(list(PNC_ALPHABET), dtype=object)


def pnc_check(year: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """Check characters for 4-digit years and 7-digit serials (``YY`` + ``NNNNNNN`` mod 23)."""
    value = (np.asarray(year, dtype=np.int64) % 100) * 10_000_000 + np.asarray(
        serial, dtype=np.int64
    )
    return _ALPHA[value % 23]


def pnc_ids(year: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """``YYYY/NNNNNNNC`` strings."""
    year = np.asarray(year, dtype=np.int64)
    serial = np.asarray(serial, dtype=np.int64)
    check = pnc_check(year, serial)
    return np.array(
        [
            f"{y:04d}/{s:07d}{c}"
            for y, s, c in zip(year.tolist(), serial.tolist(), check, strict=True)
        ],
        dtype=object,
    )


def cro_numbers(serial: np.ndarray, year: np.ndarray) -> np.ndarray:
    """CRO numbers ``NNNNNN/YYC`` (check letter from the same mod-23 alphabet)."""
    yy = np.asarray(year, dtype=np.int64) % 100
    serial = np.asarray(serial, dtype=np.int64)
    check = _ALPHA[(yy * 1_000_000 + serial) % 23]
    return np.array(
        [
            f"{s:06d}/{y:02d}{c}"
            for s, y, c in zip(serial.tolist(), yy.tolist(), check, strict=True)
        ],
        dtype=object,
    )


def sequential_ids(prefix: str, n: int, width: int, chunk: int = 0) -> pl.Series:
    """``prefix`` + zero-padded numbers; chunk ``k`` numbers from ``k * 10**(width - 1)``."""
    start = chunk * 10 ** (width - 1) + 1
    numbers = pl.int_range(start, start + n, dtype=pl.Int64).cast(pl.String).str.zfill(width)
    return pl.select((pl.lit(prefix) + numbers).alias("id")).to_series()
