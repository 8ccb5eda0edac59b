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
from collections.abc import Callable
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


@dataclass
class PreparedFile:
    """One file read, validated and shaped for the warehouse (no warehouse needed to make it,
    so it can be made in a worker process); ``fault`` set instead when the file is rejected."""

    rows_read: int = 0
    rows_quarantined: int = 0
    unexpected_columns: list[str] = field(default_factory=list)
    raw: pl.DataFrame | None = None
    identity: pl.DataFrame | None = None
    quarantine: pl.DataFrame | None = None
    fault: str | None = None


def prepare_file(path: Path, rel: str, c: Contract, month: str, hasher: KeyedHasher):
    """Read, validate and shape one file; an unexpected error becomes a fault naming only its
    type (a library's message can quote delivered values)."""
    try:
        read = read_file(path, c)
        unexpected = read.unexpected_columns
        checked = validate(read.frame, c, month, read.rejected, read.control_free)
        del read  # the delivered text columns: not needed once validated
        checked = with_record_key(checked, c, hasher)
    except FileFault as fault:
        return PreparedFile(fault=fault.fault)
    except Exception as exc:
        return PreparedFile(
            fault=f"internal error {type(exc).__name__} while reading (message withheld)"
        )
    quarantine = shown_values(checked.quarantine, c, hasher).select(
        source=pl.lit(c.source),
        table_name=pl.lit(c.table),
        file=pl.lit(rel),
        row_number=pl.col(ROW),
        field=pl.col("field"),
        value=pl.col("value"),
        reason=pl.col("reason"),
        delivery_month=pl.lit(month),
    )
    return PreparedFile(
        rows_read=checked.rows_read,
        rows_quarantined=checked.rows_quarantined,
        unexpected_columns=unexpected,
        raw=to_raw(checked, c, hasher, month, rel),
        identity=to_identity(checked, c, month, rel) if c.identity else None,
        quarantine=quarantine,
    )


@dataclass
class MonthPlan:
    """Files of one table and month to load: (path, path relative to landing, SHA-256)."""

    table: str
    month: str
    files: list[tuple[Path, str, str]]


def plan_month(
    con: duckdb.DuckDBPyConnection,
    c: Contract,
    landing: Path,
    month: str,
    digest: Callable[[Path], str] = sha256_of,
) -> MonthPlan | MonthOutcome:
    """What loading ``month`` needs: a :class:`MonthPlan`, or the outcome when there is nothing
    to read (``missing``, or ``skipped``: every file unchanged since loaded). ``digest`` gives a
    file's SHA-256 (the run's loader computes them ahead, see ``workers.Digests``)."""
    record_unrecognised(con, c, landing, month)
    files = delivered_files(landing, c, month)
    if not files:
        return MonthOutcome(c.table, month, "missing")
    planned = [(p, p.relative_to(landing).as_posix(), digest(p)) for p in files]
    if _unchanged(con, c, month, {rel: sha for _, rel, sha in planned}):
        return MonthOutcome(c.table, month, "skipped")
    return MonthPlan(c.table, month, planned)


def write_month(
    con: duckdb.DuckDBPyConnection,
    c: Contract,
    plan: MonthPlan,
    prepare: Callable[[Path, str], PreparedFile],
) -> MonthOutcome:
    """Load a planned month in one transaction; ``prepare(path, rel)`` gives each file's
    :class:`PreparedFile` (asked only for files not byte-identical to one already loaded).
    Raises :class:`FileFault` (after recording it) on a rejected file."""
    month = plan.month
    loaded_elsewhere = dict(
        con.execute(
            "SELECT sha256, min(path) FROM ops.manifest WHERE table_name = ? "
            "AND status = 'loaded' AND delivery_month <> ? GROUP BY sha256",
            [c.table, month],
        ).fetchall()
    )
    outcomes: list[FileOutcome] = []
    prepared: list[PreparedFile] = []
    for path, rel, sha in plan.files:
        outcome = FileOutcome(rel, sha, path.stat().st_size, "loaded")
        outcomes.append(outcome)
        if sha in loaded_elsewhere:
            outcome.status, outcome.duplicate_of = "duplicate", loaded_elsewhere[sha]
            log.warning("%s is byte-identical to %s: skipped", rel, outcome.duplicate_of)
            continue
        done = prepare(path, rel)
        if done.fault is not None:
            outcome.status, outcome.error = "rejected", done.fault
            _reject(con, c, month, outcome)
            fault = FileFault(rel, done.fault)
            fault.month = month
            raise fault
        loaded_elsewhere[sha] = rel
        outcome.rows_read = done.rows_read
        outcome.rows_loaded = done.raw.height
        outcome.rows_quarantined = done.rows_quarantined
        outcome.unexpected_columns = done.unexpected_columns
        prepared.append(done)
    _replace_month(con, c, month, outcomes, prepared)
    return MonthOutcome(c.table, month, "loaded", outcomes)


def load_month(
    con: duckdb.DuckDBPyConnection, c: Contract, landing: Path, month: str, hasher: KeyedHasher
) -> MonthOutcome:
    """Load (or skip) one table's delivery for ``month``; raise :class:`FileFault` on a bad file."""
    plan = plan_month(con, c, landing, month)
    if isinstance(plan, MonthOutcome):
        return plan
    return write_month(con, c, plan, lambda path, rel: prepare_file(path, rel, c, month, hasher))


def _replace_month(con, c, month, outcomes, prepared: list[PreparedFile]) -> None:
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
        for target, part in (
            (f"raw.{c.table}", "raw"),
            ("identity.person_records", "identity"),
            ("ops.quarantine", "quarantine"),
        ):
            for frame in (getattr(done, part) for done in prepared):
                if frame is not None and frame.height:
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
