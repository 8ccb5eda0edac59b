"""Row-for-row comparison of two tables (``EXCEPT ALL`` both ways)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


def assert_same_rows(
    con: duckdb.DuckDBPyConnection, label: str, one: str, other: str, columns: str = "*"
) -> None:
    """``one`` and ``other`` hold the same rows of ``columns`` (``EXCEPT ALL`` empty both ways)."""
    for a, b in ((one, other), (other, one)):
        extra = con.execute(
            f"SELECT count(*) FROM (SELECT {columns} FROM {a} EXCEPT ALL SELECT {columns} FROM {b})"
        ).fetchone()[0]
        assert extra == 0, f"{label}: {extra} rows of {a} not in {b}"


@contextmanager
def beside_full_rebuild(
    warehouse: Path, rebuild: Callable[[Path], None]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection with ``warehouse`` attached as ``built`` and a copy of it rebuilt by
    ``rebuild`` (a ``--full-refresh``) as ``full_build``, both read-only."""
    reference = warehouse.parent / "reference" / warehouse.name
    reference.parent.mkdir(exist_ok=True)
    shutil.copy(warehouse, reference)
    rebuild(reference)
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{warehouse}' AS built (READ_ONLY)")
        con.execute(f"ATTACH '{reference}' AS full_build (READ_ONLY)")
        yield con
