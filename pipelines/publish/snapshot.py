"""The analyst snapshot: a read-only DuckDB copy of the marts, staging models and seeds.

Built through the run's own warehouse connection (``ATTACH`` a temporary file, copy, detach),
then renamed over the previous snapshot. Analysts who have the old file open keep reading it;
new connections see the new one. A killed refresh leaves only a hidden ``.<name>.tmp-*`` file
(never the snapshot itself half-written), removed by the next refresh. The ``identity``, ``raw``
and ``linkage`` schemas are never copied.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

#: Warehouse schemas copied into the snapshot (same names there): the seeds carry the indicator
#: catalogue, sub-outcomes and code lists that analysts join to (docs/example-queries.md).
SNAPSHOT_SCHEMAS = ("main_marts", "main_staging", "main_seeds")


def _relations(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    found = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = ? ORDER BY table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in found]


def refresh_snapshot(
    con: duckdb.DuckDBPyConnection, target: Path, as_of_month: str = ""
) -> dict[str, int]:
    """Copy the snapshot schemas from ``con``'s database into ``target`` atomically.

    Returns rows copied per ``schema.table``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.tmp-*"):  # from a killed refresh
        leftover.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    copied: dict[str, int] = {}
    con.execute(f"ATTACH '{tmp.as_posix()}' AS snap")
    try:
        for schema in SNAPSHOT_SCHEMAS:
            names = _relations(con, schema)
            if not names:
                continue
            con.execute(f'CREATE SCHEMA snap."{schema}"')
            for name in names:
                con.execute(
                    f'CREATE TABLE snap."{schema}"."{name}" AS SELECT * FROM "{schema}"."{name}"'
                )
                count = con.execute(f'SELECT count(*) FROM snap."{schema}"."{name}"').fetchall()
                copied[f"{schema}.{name}"] = count[0][0]
        con.execute(
            "CREATE TABLE snap.main.snapshot_info AS SELECT ? AS as_of_month, "
            "CAST(? AS TIMESTAMP) AS refreshed_at",
            [as_of_month, datetime.now(UTC).replace(tzinfo=None)],
        )
        con.execute("DETACH snap")
    except BaseException:
        con.execute("DETACH DATABASE IF EXISTS snap")
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    log.info("analyst snapshot %s refreshed (%d tables)", target, len(copied))
    return copied
