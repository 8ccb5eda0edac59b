"""Load one table's delivery for one month into DuckDB, with the manifest deciding what to do.

* every file of the month is unchanged (same path and SHA-256 as loaded) -> skipped;
* a file byte-identical to one already loaded for the table -> recorded as ``duplicate``;
* otherwise the month is (re)loaded in ONE transaction: that month's rows of the table in
  ``raw``, ``identity``, ``ops.quarantine`` and ``ops.manifest`` are replaced;
* a whole-file fault records a ``rejected`` manifest row, leaves the month as it was and raises;
* a file of the source's month folder that matches no contract gets an ``unrecognised`` row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contracts.deliveries import IDENTITY_COLUMNS, Contract
from pipelines.ingest.landing import delivered_files, unrecognised_files
from pipelines.ingest.messages import FileFault, shown_values
from pipelines.ingest.protect import KeyedHasher, to_identity, to_raw, with_record_key
from pipelines.ingest.readers import ROW, read_file
from pipelines.ingest.validate import validate

log = logging.getLogger(__name__)

MANIFEST_COLUMNS = {
    "path": "VARCHAR",
    "source": "VARCHAR",
    "table_name": "VARCHAR",
    "delivery_month": "VARCHAR",
    "sha256": "VARCHAR",
    "size_bytes": "BIGINT",
    "rows_read": "BIGINT",
    "rows_loaded": "BIGINT",
    "rows_quarantined": "BIGINT",
    "status": "VARCHAR",
    "duplicate_of": "VARCHAR",
    "unexpected_columns": "VARCHAR",
    "error": "VARCHAR",
    "loaded_at": "TIMESTAMP",
}
QUARANTINE_COLUMNS = {
    "source": "VARCHAR",
    "table_name": "VARCHAR",
    "file": "VARCHAR",
    "row_number": "INTEGER",
    "field": "VARCHAR",
    "value": "VARCHAR",
    "reason": "VARCHAR",
    "delivery_month": "VARCHAR",
}


@dataclass
class FileOutcome:
    """What happened to one file (one manifest row)."""

    path: str
    sha256: str
    size_bytes: int
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    duplicate_of: str | None = None
    unexpected_columns: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class MonthOutcome:
    """One table, one month: ``loaded``, ``skipped`` (unchanged) or ``missing`` (no file)."""

    table: str
    month: str
    status: str
    files: list[FileOutcome] = field(default_factory=list)


def _ddl(name: str, columns: dict[str, str]) -> str:
    body = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    return f"CREATE TABLE IF NOT EXISTS {name} ({body})"


def ensure_tables(con: duckdb.DuckDBPyConnection, contracts: list[Contract]) -> None:
    """Create the ingest schemas and tables when missing."""
    for schema in ("raw", "identity", "ops"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(_ddl("ops.manifest", MANIFEST_COLUMNS))
    con.execute(_ddl("ops.quarantine", QUARANTINE_COLUMNS))
    con.execute(_ddl("identity.person_records", IDENTITY_COLUMNS))
    for c in contracts:
        con.execute(_ddl(f"raw.{c.table}", c.raw_columns))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest_insert(
    con: duckdb.DuckDBPyConnection,
    c: Contract | None,
    month: str,
    f: FileOutcome,
    source: str | None = None,
) -> None:
    con.execute(
        f"INSERT INTO ops.manifest VALUES ({', '.join('?' * len(MANIFEST_COLUMNS))})",
        [
            f.path,
            c.source if c else source,
            c.table if c else None,
            month,
            f.sha256,
            f.size_bytes,
            f.rows_read,
            f.rows_loaded,
            f.rows_quarantined,
            f.status,
            f.duplicate_of,
            ",".join(f.unexpected_columns) or None,
            f.error,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ],
    )


def _unchanged(con, c: Contract, month: str, current: dict[str, str]) -> bool:
    rows = con.execute(
        "SELECT path, sha256 FROM ops.manifest WHERE table_name = ? AND delivery_month = ? "
        "AND status IN ('loaded', 'duplicate')",
        [c.table, month],
    ).fetchall()
    return bool(rows) and dict(rows) == current


def record_unrecognised(con, c: Contract, landing: Path, month: str) -> None:
    """Keep the source's ``unrecognised`` manifest rows of ``month`` in step with its folder.

    A file matching no contract (``table_name`` NULL) is never read; it is written only when
    the set of such files changed, so an unchanged month stays unwritten.
    """
    found = {
        p.relative_to(landing).as_posix(): p for p in unrecognised_files(landing, c.source, month)
    }
    current = {rel: sha256_of(p) if p.is_file() else "" for rel, p in found.items()}
    known = dict(
        con.execute(
            "SELECT path, sha256 FROM ops.manifest WHERE source = ? AND delivery_month = ? "
            "AND status = 'unrecognised'",
            [c.source, month],
        ).fetchall()
    )
    if known == current:
        return
    con.execute("BEGIN")
    con.execute(
        "DELETE FROM ops.manifest WHERE source = ? AND delivery_month = ? "
        "AND status = 'unrecognised'",
        [c.source, month],
    )
    for rel, path in found.items():
        kind = "file" if path.is_file() else "folder"
        outcome = FileOutcome(
            rel,
            current[rel],
            path.stat().st_size if path.is_file() else 0,
            "unrecognised",
            error=f"{kind} matches no {c.source} contract: not read",
        )
        _manifest_insert(con, None, month, outcome, source=c.source)
        log.warning("%s: %s", rel, outcome.error)
    con.execute("COMMIT")


def _reject(con, c: Contract, month: str, outcome: FileOutcome) -> None:
    con.execute("BEGIN")
    con.execute("DELETE FROM ops.manifest WHERE path = ? AND status = 'rejected'", [outcome.path])
    _manifest_insert(con, c, month, outcome)
    con.execute("COMMIT")


def _read_and_validate(path: Path, c: Contract, month: str, hasher: KeyedHasher):
    """Read and validate one file; an unexpected error becomes a :class:`FileFault` naming
    only its type (a library's message can quote delivered values)."""
    try:
        read = read_file(path, c)
        checked = validate(read.frame, c, month, read.rejected, read.control_free)
        return read, with_record_key(checked, c, hasher)
    except FileFault:
        raise
    except Exception as exc:
        fault = f"internal error {type(exc).__name__} while reading (message withheld)"
        raise FileFault(path, fault) from None


def load_month(
    con: duckdb.DuckDBPyConnection, c: Contract, landing: Path, month: str, hasher: KeyedHasher
) -> MonthOutcome:
    """Load (or skip) one table's delivery for ``month``; raise :class:`FileFault` on a bad file."""
    record_unrecognised(con, c, landing, month)
    files = delivered_files(landing, c, month)
    if not files:
        return MonthOutcome(c.table, month, "missing")
    current = {p.relative_to(landing).as_posix(): sha256_of(p) for p in files}
    if _unchanged(con, c, month, current):
        return MonthOutcome(c.table, month, "skipped")
    loaded_elsewhere = dict(
        con.execute(
            "SELECT sha256, min(path) FROM ops.manifest WHERE table_name = ? "
            "AND status = 'loaded' AND delivery_month <> ? GROUP BY sha256",
            [c.table, month],
        ).fetchall()
    )
    outcomes: list[FileOutcome] = []
    raws: list[pl.DataFrame] = []
    identities: list[pl.DataFrame] = []
    quarantines: list[pl.DataFrame] = []
    for path in files:
        rel, sha = (
            path.relative_to(landing).as_posix(),
            current[path.relative_to(landing).as_posix()],
        )
        outcome = FileOutcome(rel, sha, path.stat().st_size, "loaded")
        outcomes.append(outcome)
        if sha in loaded_elsewhere:
            outcome.status, outcome.duplicate_of = "duplicate", loaded_elsewhere[sha]
            log.warning("%s is byte-identical to %s: skipped", rel, outcome.duplicate_of)
            continue
        try:
            read, checked = _read_and_validate(path, c, month, hasher)
        except FileFault as fault:
            outcome.status, outcome.error = "rejected", fault.fault
            _reject(con, c, month, outcome)
            raise FileFault(rel, fault.fault) from None
        loaded_elsewhere[sha] = rel
        outcome.rows_read = checked.rows_read
        outcome.rows_loaded = checked.rows.height
        outcome.rows_quarantined = checked.rows_quarantined
        outcome.unexpected_columns = read.unexpected_columns
        raws.append(to_raw(checked, c, hasher, month, rel))
        if c.identity:
            identities.append(to_identity(checked, c, month, rel))
        quarantines.append(
            shown_values(checked.quarantine, c, hasher).select(
                source=pl.lit(c.source),
                table_name=pl.lit(c.table),
                file=pl.lit(rel),
                row_number=pl.col(ROW),
                field=pl.col("field"),
                value=pl.col("value"),
                reason=pl.col("reason"),
                delivery_month=pl.lit(month),
            )
        )
    _replace_month(con, c, month, outcomes, raws, identities, quarantines)
    return MonthOutcome(c.table, month, "loaded", outcomes)


def _replace_month(con, c, month, outcomes, raws, identities, quarantines) -> None:
    # rows of a month exist only with a 'loaded' manifest row (same transaction): a first
    # load skips scanning the big tables for rows to delete
    loaded_before = con.execute(
        "SELECT count(*) FROM ops.manifest WHERE table_name = ? AND delivery_month = ? "
        "AND status = 'loaded'",
        [c.table, month],
    ).fetchall()[0][0]
    con.execute("BEGIN")
    try:
        if loaded_before:
            con.execute(f"DELETE FROM raw.{c.table} WHERE _delivery_month = ?", [month])
            if c.identity:
                con.execute(
                    "DELETE FROM identity.person_records WHERE source = ? AND _delivery_month = ?",
                    [c.record_source, month],
                )
            con.execute(
                "DELETE FROM ops.quarantine WHERE table_name = ? AND delivery_month = ?",
                [c.table, month],
            )
        con.execute(
            "DELETE FROM ops.manifest WHERE table_name = ? AND delivery_month = ?",
            [c.table, month],
        )
        for target, frames in (
            (f"raw.{c.table}", raws),
            ("identity.person_records", identities),
            ("ops.quarantine", quarantines),
        ):
            for frame in frames:
                if frame.height:
                    # string views as polars holds them: no copy into large strings
                    rows = frame.to_arrow(compat_level=pl.CompatLevel.newest())
                    con.register("_ingest_rows", rows)
                    con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _ingest_rows")
                    con.unregister("_ingest_rows")
        for outcome in outcomes:
            _manifest_insert(con, c, month, outcome)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
