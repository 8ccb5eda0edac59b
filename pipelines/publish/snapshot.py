"""The analyst snapshot: a read-only DuckDB copy of the marts, staging models and seeds.

Built through the run's own warehouse connection (``ATTACH`` a temporary file, copy, detach),
then renamed over the previous snapshot. Analysts who have the old file open keep reading it;
new connections see the new one. A killed refresh leaves only a hidden ``.<name>.tmp-*`` file
(never the snapshot itself half-written), removed by the next refresh. The ``identity``, ``raw``
and ``linkage`` schemas are never copied.

A refresh starts from an earlier snapshot when there is one: incremental staging tables whose
dbt builds since then only appended months (``ops.staging_builds``) are patched with those
months' rows, unchanged ones are kept, and everything else is copied afresh. A table patched
``MAX_PATCHES`` times is copied afresh (deleted rows of patches still take space). The file
replaced by a refresh is kept as ``.<name>.spare`` and becomes the next refresh's starting point
(renamed, not copied: 3.5 GB at national scale) unless an analyst still has it open, when the
current snapshot is copied instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb

log = logging.getLogger(__name__)

#: Warehouse schemas copied into the snapshot (same names there): the seeds carry the indicator
#: catalogue, sub-outcomes and code lists that analysts join to (docs/example-queries.md).
SNAPSHOT_SCHEMAS = ("main_marts", "main_staging", "main_seeds")
STAGING = "main_staging"
#: Patches of a staging table's copy before it is copied afresh: a year of monthly runs.
MAX_PATCHES = 12


@dataclass(frozen=True)
class StagingBuild:
    """One finished dbt build of an incremental staging model (a row of ops.staging_builds)."""

    since_month: str | None
    as_of_month: str
    started_at: datetime
    id_columns: tuple[str, ...]


@dataclass(frozen=True)
class Copied:
    """The staging build a table of the previous snapshot reflects, and its patches so far."""

    started_at: datetime
    as_of_month: str
    patches: int


@dataclass(frozen=True)
class SnapshotRefresh:
    """Rows per ``schema.table`` of a refreshed snapshot, and the staging tables patched or
    kept from the previous one (all others were copied afresh)."""

    rows: dict[str, int]
    patched: tuple[str, ...]
    kept: tuple[str, ...]


def _relations(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    found = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_schema = ? ORDER BY table_name",
        [database, schema],
    ).fetchall()
    return [r[0] for r in found]


def _staging_builds(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[StagingBuild]]:
    """Finished staging builds of each model, oldest first (none without ``ops.staging_builds``)."""
    if "staging_builds" not in _relations(con, database, "ops"):
        return {}
    columns = {r[0] for r in con.execute("DESCRIBE ops.staging_builds").fetchall()}
    ids = "id_columns" if "id_columns" in columns else "NULL"
    rows = con.execute(
        f"SELECT model, since_month, as_of_month, started_at, {ids} FROM ops.staging_builds "
        "WHERE finished ORDER BY model, started_at"
    ).fetchall()
    builds: dict[str, list[StagingBuild]] = {}
    for model, since, as_of, started, id_columns in rows:
        parsed = tuple(id_columns.split(",")) if id_columns else ()
        builds.setdefault(model, []).append(StagingBuild(since, as_of, started, parsed))
    return builds


def _since_copy(
    builds: list[StagingBuild], copied: Copied | None
) -> Literal["same", "months"] | None:
    """How the warehouse's table differs from the copy of build ``copied``.

    ``"same"``: no build since; ``"months"``: only appended months since (each build after the
    copied one incremental from its predecessor's as-of month); ``None``: copy it afresh.
    """
    if copied is None or not builds:
        return None
    found = [i for i, b in enumerate(builds) if b.started_at == copied.started_at]
    if not found or builds[found[0]].as_of_month != copied.as_of_month:
        return None
    later = builds[found[0] + 1 :]
    if not later:
        return "same"
    if copied.patches >= MAX_PATCHES:
        return None
    previous = copied.as_of_month
    for build in later:
        if build.since_month is None or build.since_month != previous or not build.id_columns:
            return None
        previous = build.as_of_month
    return "months"


def _patch(con: duckdb.DuckDBPyConnection, name: str, since: str, ids: tuple[str, ...]) -> None:
    """Replace the copy's rows of the ids delivered after ``since`` by the warehouse's rows."""
    matches = " AND ".join(f'new."{c}" IS NOT DISTINCT FROM old."{c}"' for c in ids)
    con.execute(
        f'DELETE FROM snap."{STAGING}"."{name}" AS old WHERE EXISTS ('
        f'SELECT 1 FROM "{STAGING}"."{name}" AS new WHERE new.delivery_month > ? AND {matches})',
        [since],
    )
    con.execute(
        f'INSERT INTO snap."{STAGING}"."{name}" '
        f'SELECT * FROM "{STAGING}"."{name}" WHERE delivery_month > ?',
        [since],
    )


def _copied_builds(con: duckdb.DuckDBPyConnection) -> dict[str, Copied]:
    """The staging build each table of the attached previous snapshot reflects."""
    if "snapshot_staging" not in _relations(con, "snap", "main"):
        return {}
    rows = con.execute(
        "SELECT table_name, build_started_at, as_of_month, patches FROM snap.main.snapshot_staging"
    ).fetchall()
    return {name: Copied(started, as_of, patches) for name, started, as_of, patches in rows}


def spare_path(target: Path) -> Path:
    """The snapshot file the last refresh replaced, kept for the next refresh to patch."""
    return target.with_name(f".{target.name}.spare")


def _attach_start(con: duckdb.DuckDBPyConnection, target: Path, tmp: Path) -> bool:
    """Attach ``tmp`` as ``snap``, starting from the spare, else a copy of ``target``, else an
    empty file; True when it holds an earlier snapshot."""
    spare = spare_path(target)
    if spare.exists():
        os.replace(spare, tmp)
        try:
            con.execute(f"ATTACH '{tmp.as_posix()}' AS snap")
            return True
        except duckdb.Error as exc:  # an analyst still has that snapshot open (its lock)
            log.info("spare analyst snapshot in use (%s): copying the current one", exc)
            tmp.unlink(missing_ok=True)
    reuse = False
    if target.exists():
        try:
            shutil.copyfile(target, tmp)
            reuse = True
        except OSError as exc:
            log.warning("previous analyst snapshot not copied (%s): copying every table", exc)
            tmp.unlink(missing_ok=True)
    con.execute(f"ATTACH '{tmp.as_posix()}' AS snap")
    return reuse


def _install(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` over ``target``, keeping the replaced file as the spare."""
    spare = spare_path(target)
    spare.unlink(missing_ok=True)
    if target.exists():
        os.link(target, spare)
    os.replace(tmp, target)


def refresh_snapshot(
    con: duckdb.DuckDBPyConnection, target: Path, as_of_month: str = ""
) -> SnapshotRefresh:
    """Copy the snapshot schemas from ``con``'s database into ``target`` atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.tmp-*"):  # from a killed refresh
        leftover.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    database = con.execute("SELECT current_database()").fetchall()[0][0]
    builds = _staging_builds(con, database)
    copied: dict[str, int] = {}
    kept: list[str] = []
    patched: list[str] = []
    reuse = _attach_start(con, target, tmp)
    try:
        previous = _copied_builds(con) if reuse else {}
        patches: dict[str, int] = {}
        for schema in SNAPSHOT_SCHEMAS:
            names = _relations(con, database, schema)
            con.execute(f'CREATE SCHEMA IF NOT EXISTS snap."{schema}"')
            for gone in set(_relations(con, "snap", schema)) - set(names):
                con.execute(f'DROP TABLE snap."{schema}"."{gone}"')
            for name in names:
                change = None
                if schema == STAGING and name in previous:
                    change = _since_copy(builds.get(name, []), previous[name])
                if change == "same":
                    patches[name] = previous[name].patches
                    kept.append(name)
                elif change == "months":
                    _patch(con, name, previous[name].as_of_month, builds[name][-1].id_columns)
                    patches[name] = previous[name].patches + 1
                    patched.append(name)
                else:
                    con.execute(
                        f'CREATE OR REPLACE TABLE snap."{schema}"."{name}" AS '
                        f'SELECT * FROM "{schema}"."{name}"'
                    )
                count = con.execute(f'SELECT count(*) FROM snap."{schema}"."{name}"').fetchall()
                copied[f"{schema}.{name}"] = count[0][0]
        con.execute(
            "CREATE OR REPLACE TABLE snap.main.snapshot_staging (table_name VARCHAR, "
            "build_started_at TIMESTAMP, as_of_month VARCHAR, patches INTEGER)"
        )
        latest = [
            (m, b[-1].started_at, b[-1].as_of_month, patches.get(m, 0))
            for m, b in builds.items()
            if b and f"{STAGING}.{m}" in copied
        ]
        if latest:
            con.executemany("INSERT INTO snap.main.snapshot_staging VALUES (?, ?, ?, ?)", latest)
        con.execute(
            "CREATE OR REPLACE TABLE snap.main.snapshot_info AS SELECT ? AS as_of_month, "
            "CAST(? AS TIMESTAMP) AS refreshed_at",
            [as_of_month, datetime.now(UTC).replace(tzinfo=None)],
        )
        con.execute("DETACH snap")
    except BaseException:
        con.execute("DETACH DATABASE IF EXISTS snap")
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    _install(tmp, target)
    log.info(
        "analyst snapshot %s refreshed: %d tables (%d staging tables patched, %d unchanged)",
        target,
        len(copied),
        len(patched),
        len(kept),
    )
    return SnapshotRefresh(copied, tuple(patched), tuple(kept))
