"""Read-only SQL against the analyst snapshot: what ``outcomes query`` runs.

The snapshot is opened read-only, so a query can never change it and runs while the monthly run
writes the warehouse. Each statement's result comes back as column names and rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
from rich.table import Table


class QueryError(Exception):
    """The snapshot is missing or a statement failed (the message says which)."""


@dataclass(frozen=True)
class Result:
    """One statement's output (no columns for statements that return nothing)."""

    columns: list[str]
    rows: list[tuple]


def query_snapshot(snapshot: Path, sql: str) -> list[Result]:
    """Run every statement of ``sql`` against ``snapshot`` (read-only), in order."""
    snapshot = Path(snapshot)
    if not snapshot.exists():
        raise QueryError(f"no analyst snapshot at {snapshot}: run `outcomes run` first")
    results = []
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            for statement in con.extract_statements(sql):
                cursor = con.execute(statement)
                columns = [d[0] for d in cursor.description or []]
                results.append(Result(columns, cursor.fetchall() if columns else []))
    except duckdb.Error as exc:
        raise QueryError(str(exc)) from exc
    return results


def render_csv(result: Result) -> str:
    """The result as CSV text with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows(result.rows)
    return out.getvalue()


def render_table(result: Result) -> Table:
    """The result as a rich table (NULL for missing values, the row count as caption)."""
    table = Table(
        *result.columns, caption=f"{len(result.rows)} row{'' if len(result.rows) == 1 else 's'}"
    )
    for row in result.rows:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    return table
