"""Ingest asset checks, evaluated against the warehouse for the months of a run.

``reconciles`` and ``conforms`` are blocking; ``quarantine_rate`` warns above
:data:`QUARANTINE_WARN` and fails (blocking) above :data:`QUARANTINE_ERROR`; ``delivered`` warns
when a month has no file, or an empty one, or its source folder holds a file that matches no
contract (``unrecognised`` in ``ops.manifest``).
"""

from __future__ import annotations

import dagster as dg
import duckdb

from pipelines.contracts.deliveries import QUARANTINE_ERROR, QUARANTINE_WARN, Contract
from pipelines.ingest.load import MonthOutcome

RECONCILES = "reconciles"
CONFORMS = "conforms_to_contract"
QUARANTINE_RATE = "quarantine_rate"
DELIVERED = "delivered"


def check_specs(contract: Contract, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    """The checks every ingest asset declares."""
    return [
        dg.AssetCheckSpec(
            RECONCILES,
            asset=key,
            blocking=True,
            description="Per file: rows read = loaded + quarantined, and the warehouse holds them.",
        ),
        dg.AssetCheckSpec(
            CONFORMS,
            asset=key,
            blocking=True,
            description="Loaded rows meet the contract (required fields, code lists, unique ids).",
        ),
        dg.AssetCheckSpec(
            QUARANTINE_RATE,
            asset=key,
            blocking=True,
            description=f"Worst file's quarantine rate: warn above {QUARANTINE_WARN:.0%}, "
            f"fail above {QUARANTINE_ERROR:.0%}.",
        ),
        dg.AssetCheckSpec(
            DELIVERED,
            asset=key,
            description="Every month of the run has a non-empty delivery of this table, and the "
            "source's month folders hold no file matching no contract (warn).",
        ),
    ]


def _manifest(con: duckdb.DuckDBPyConnection, c: Contract, months: list[str]) -> list[tuple]:
    return con.execute(
        "SELECT path, delivery_month, rows_read, rows_loaded, rows_quarantined, unexpected_columns "
        "FROM ops.manifest WHERE table_name = ? AND status = 'loaded' "
        "AND list_contains(?, delivery_month) ORDER BY path",
        [c.table, months],
    ).fetchall()


def reconciles(con, c: Contract, months: list[str]) -> dg.AssetCheckResult:
    """Manifest counts add up and match the rows actually held in raw, identity and quarantine."""
    held = dict(
        con.execute(
            f"SELECT _source_file, count(*) FROM raw.{c.table} "
            "WHERE list_contains(?, _delivery_month) GROUP BY ALL",
            [months],
        ).fetchall()
    )
    held_q = dict(
        con.execute(
            "SELECT file, count(DISTINCT row_number) FROM ops.quarantine "
            "WHERE table_name = ? AND list_contains(?, delivery_month) GROUP BY ALL",
            [c.table, months],
        ).fetchall()
    )
    held_id: dict[str, int] = {}
    if c.identity:
        held_id = dict(
            con.execute(
                "SELECT _source_file, count(*) FROM identity.person_records WHERE source = ? "
                "AND list_contains(?, _delivery_month) GROUP BY ALL",
                [c.record_source, months],
            ).fetchall()
        )
    bad = []
    files = _manifest(con, c, months)
    for path, _, read, loaded, quarantined, _ in files:
        problems = []
        if read != loaded + quarantined:
            problems.append(f"read {read} != loaded {loaded} + quarantined {quarantined}")
        if held.get(path, 0) != loaded:
            problems.append(f"raw holds {held.get(path, 0)}, manifest says {loaded}")
        if held_q.get(path, 0) != quarantined:
            problems.append(f"quarantine holds {held_q.get(path, 0)} rows, manifest {quarantined}")
        if c.identity and held_id.get(path, 0) != loaded:
            problems.append(f"identity holds {held_id.get(path, 0)}, manifest says {loaded}")
        if problems:
            bad.append(f"{path}: {'; '.join(problems)}")
    return dg.AssetCheckResult(
        check_name=RECONCILES,
        passed=not bad,
        metadata={
            "files": len(files),
            "rows_read": sum(f[2] for f in files),
            "rows_loaded": sum(f[3] for f in files),
            "rows_quarantined": sum(f[4] for f in files),
            "problems": "\n".join(bad) or "none",
        },
    )


def _violations_sql(c: Contract) -> list[tuple[str, str]]:
    """(description, SQL counting offending rows) for the loaded rows of the run's months."""
    where = "list_contains($months, _delivery_month)"
    out: list[tuple[str, str]] = []
    if c.record_source:
        out.append(("record_key missing", f"record_key IS NULL AND {where}"))
    for f in c.fields:
        col = c.raw_column(f.name)
        if col is None or f.privacy == "key":  # record_key is checked above
            continue
        if f.required:
            out.append((f"{f.name} missing", f'"{col}" IS NULL AND {where}'))
        if f.codes is not None and f.privacy is None and f.kind == "text":
            codes = ", ".join(f"'{code}'" for code in f.codes)
            out.append((f"{f.name} outside its code list", f'"{col}" NOT IN ({codes}) AND {where}'))
        if f.min_value is not None and f.kind in ("int", "float"):
            out.append((f"{f.name} below {f.min_value}", f'"{col}" < {f.min_value} AND {where}'))
        if f.max_value is not None and f.kind in ("int", "float"):
            out.append((f"{f.name} above {f.max_value}", f'"{col}" > {f.max_value} AND {where}'))
    return [(d, f"SELECT count(*) FROM raw.{c.table} WHERE {sql}") for d, sql in out]


def conforms(con, c: Contract, months: list[str]) -> dg.AssetCheckResult:
    """Re-check the contract on what the warehouse holds (not on what the loader thought)."""
    failures = {}
    for description, sql in _violations_sql(c):
        n = con.execute(sql, {"months": months}).fetchall()[0][0]
        if n:
            failures[description] = n
    keys = ", ".join(f'"{c.raw_column(k)}"' for k in c.unique)
    dupes = con.execute(
        f"SELECT count(*) FROM (SELECT _source_file, {keys} FROM raw.{c.table} "
        "WHERE list_contains(?, _delivery_month) GROUP BY ALL HAVING count(*) > 1)",
        [months],
    ).fetchall()[0][0]
    if dupes:
        failures[f"duplicate {'+'.join(c.unique)} within a file"] = dupes
    drift = sorted({u for f in _manifest(con, c, months) if f[5] for u in f[5].split(",")})
    severity = dg.AssetCheckSeverity.ERROR if failures else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        check_name=CONFORMS,
        passed=not failures and not drift,
        severity=severity,
        metadata={
            "violations": "\n".join(f"{d}: {n}" for d, n in failures.items()) or "none",
            "unexpected_columns_ignored": ", ".join(drift) or "none",
        },
    )


def quarantine_rate(con, c: Contract, months: list[str]) -> dg.AssetCheckResult:
    """The worst file's share of quarantined rows."""
    files = _manifest(con, c, months)
    rates = {f[0]: (f[4] / f[2] if f[2] else 0.0) for f in files}
    worst = max(rates, key=rates.get) if rates else None
    rate = rates.get(worst, 0.0) if worst else 0.0
    total_read = sum(f[2] for f in files)
    overall = sum(f[4] for f in files) / total_read if total_read else 0.0
    return dg.AssetCheckResult(
        check_name=QUARANTINE_RATE,
        passed=rate <= QUARANTINE_WARN,
        severity=dg.AssetCheckSeverity.ERROR
        if rate > QUARANTINE_ERROR
        else dg.AssetCheckSeverity.WARN,
        metadata={
            "worst_file": worst or "none",
            "worst_rate": dg.MetadataValue.float(round(rate, 6)),
            "overall_rate": dg.MetadataValue.float(round(overall, 6)),
            "warn_above": QUARANTINE_WARN,
            "error_above": QUARANTINE_ERROR,
        },
    )


def delivered(
    outcomes: list[MonthOutcome], con, c: Contract, months: list[str]
) -> dg.AssetCheckResult:
    """Months with no delivery of this table, or only an empty (header-only) one, and files
    of the source's month folders that match no contract."""
    missing = [o.month for o in outcomes if o.status == "missing"]
    empty = sorted(
        {f[1] for f in _manifest(con, c, months)}
        - {f[1] for f in _manifest(con, c, months) if f[2] > 0}
    )
    unrecognised = [
        path
        for (path,) in con.execute(
            "SELECT path FROM ops.manifest WHERE source = ? AND status = 'unrecognised' "
            "AND list_contains(?, delivery_month) ORDER BY path",
            [c.source, months],
        ).fetchall()
    ]
    return dg.AssetCheckResult(
        check_name=DELIVERED,
        passed=not missing and not empty and not unrecognised,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "months": len(months),
            "missing_months": ", ".join(missing) or "none",
            "empty_months": ", ".join(empty) or "none",
            "unrecognised_files": "\n".join(unrecognised) or "none",
        },
    )


def evaluate(con, c: Contract, months: list[str], outcomes: list[MonthOutcome]):
    """Every check result for one asset materialisation."""
    return [
        reconciles(con, c, months),
        conforms(con, c, months),
        quarantine_rate(con, c, months),
        delivered(outcomes, con, c, months),
    ]
