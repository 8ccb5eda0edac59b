"""Patched person-keyed models: a build recomputes only the people it changed (new deliveries,
re-delivered rows that moved to another record, records the spine moved) and equals a full
rebuild; a build that cannot vouch for the patch rebuilds in full."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Collection
from pathlib import Path

import duckdb
import pytest

from pipelines.transform.project import DBT_EXECUTABLE, PROJECT_DIR
from tests.support.table_compare import assert_same_rows, beside_full_rebuild

PATCHED = sorted(
    path.stem
    for path in (PROJECT_DIR / "models" / "intermediate").glob("int_*.sql")
    if "person_config()" in path.read_text(encoding="utf-8")
)
COMPARED_SCHEMAS = ("main_intermediate", "main_marts")
# int_people_built is compared too: patched or rebuilt, it must equal the spine
BOOKKEEPING = {"int_changed_people", "int_moved_records"}


def dbt_run(warehouse: Path, as_of: str, *flags: str, **more_vars: object) -> None:
    """``dbt run`` of every model as of ``as_of`` on ``warehouse``."""
    variables = {"warehouse_path": str(warehouse), "as_of_month": as_of, **more_vars}
    done = subprocess.run(
        [str(DBT_EXECUTABLE), "run", *flags, "--vars", json.dumps(variables),
         "--profiles-dir", str(PROJECT_DIR), "--target-path", str(warehouse.parent / "dbt_target")],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]


def person_builds(warehouse: Path) -> list[tuple[str, str | None, bool]]:
    """(as_of_month, since_month, finished) of the logged person builds, oldest first."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT as_of_month, since_month, finished_at IS NOT NULL FROM ops.person_builds"
            " ORDER BY started_at"
        ).fetchall()


def changed_people(warehouse: Path) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT person_key FROM main_intermediate.int_changed_people")
        return {key for (key,) in rows.fetchall()}


def last_two_months(warehouse: Path) -> tuple[str, str]:
    """The last delivery month and the one before it."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.sql("SELECT DISTINCT _delivery_month FROM raw.ndtms_top ORDER BY 1")
        months = [month for (month,) in found.fetchall()]
    return months[-1], months[-2]


def assert_same_tables(
    con: duckdb.DuckDBPyConnection, one: str, other: str, skip: Collection[str] = ()
) -> None:
    """Every intermediate and mart table of the attached database ``one`` (the patched ones
    among them) holds the same rows as in ``other``, columns matched by name."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?"
        f" AND schema_name IN {COMPARED_SCHEMAS}",
        [one],
    ).fetchall()
    assert set(PATCHED) <= {table for _, table in tables}
    for schema, table in tables:
        if table in skip:
            continue
        columns = ", ".join(
            f'"{name}"'
            for (name,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = ?"
                " AND schema_name = ? AND table_name = ? ORDER BY column_name",
                [one, schema, table],
            ).fetchall()
        )
        assert_same_rows(
            con, table, f"{one}.{schema}.{table}", f"{other}.{schema}.{table}", columns
        )


def assert_same_as_full_rebuild(warehouse: Path, as_of: str) -> None:
    """Every intermediate and mart table equals a ``--full-refresh`` of a copy, row for row."""
    with beside_full_rebuild(
        warehouse, lambda reference: dbt_run(reference, as_of, "--full-refresh")
    ) as con:
        assert_same_tables(con, "built", "full_build", skip=BOOKKEEPING)


@pytest.fixture
def warehouse(ci_warehouse: Path, tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(ci_warehouse / "warehouse.duckdb", path)
    return path


def test_patched_people_equal_a_full_rebuild(warehouse: Path) -> None:
    assert PATCHED, "no model uses person_config()"
    last, before = last_two_months(warehouse)

    # an earlier as-of month than the last build's: a full rebuild
    dbt_run(warehouse, before)
    assert person_builds(warehouse)[-1] == (before, None, True)

    # between the builds: linkage merges one person into another and splits a record off a
    # third
    with duckdb.connect(str(warehouse)) as con:
        people = [
            key
            for (key,) in con.execute(
                "SELECT person_key FROM linkage.spine GROUP BY person_key"
                " HAVING count(*) >= 3 ORDER BY person_key LIMIT 3"
            ).fetchall()
        ]
        merged, kept, split = people
        con.execute("UPDATE linkage.spine SET person_key = ? WHERE person_key = ?", [kept, merged])
        con.execute(
            "UPDATE linkage.spine SET person_key = 'split-off' WHERE person_key = ?"
            " AND record_key = (SELECT min(record_key) FROM linkage.spine WHERE person_key = ?)",
            [split, split],
        )
        moved_episode, old_owner, new_record = con.execute(
            "SELECT e.episode_id, e.person_key, (SELECT min(o.record_key)"
            " FROM main_staging.stg_ndtms_episode o WHERE o.record_key <> s.record_key)"
            " FROM main_intermediate.int_treatment_episodes e"
            " JOIN main_staging.stg_ndtms_episode s USING (episode_id)"
            " ORDER BY e.episode_id LIMIT 1"
        ).fetchone()
        moved_top, top_owner = con.execute(
            "SELECT start_top_id, person_key FROM main_intermediate.int_top_change"
            " WHERE person_key NOT IN (?, ?, ?, ?) ORDER BY episode_id LIMIT 1",
            [old_owner, merged, kept, split],
        ).fetchone()
        target_episode = con.execute(
            "SELECT min(episode_id) FROM main_intermediate.int_treatment_episodes"
            " WHERE person_key NOT IN (?, ?, ?, ?, ?)",
            [top_owner, old_owner, merged, kept, split],
        ).fetchone()[0]
        # re-deliveries in the last month: the episode under another client, the TOP (its
        # episode's start) under another person's episode
        for table, id_column, moved, column, value in (
            ("ndtms_episode", "episodid_hash", moved_episode, "record_key", new_record),
            ("ndtms_top", "topid_hash", moved_top, "episodid_hash", target_episode),
        ):
            con.execute(
                f"INSERT INTO raw.{table} SELECT * REPLACE (? AS {column}, ? AS _delivery_month)"
                f" FROM raw.{table} WHERE {id_column} = ?"
                " QUALIFY row_number() OVER (ORDER BY _delivery_month DESC) = 1",
                [value, last, moved],
            )

    dbt_run(warehouse, last)
    assert person_builds(warehouse)[-1] == (last, before, True)
    changed = changed_people(warehouse)
    assert {merged, kept, split, "split-off", old_owner, top_owner} <= changed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        everyone = con.execute("SELECT count(*) FROM main_intermediate.int_person").fetchone()[0]
    assert 0 < len(changed) < everyone / 2
    assert_same_as_full_rebuild(warehouse, last)

    # a build of only some patched models cannot vouch for the spine: the log is cleared and
    # the next build rebuilds in full
    dbt_run(warehouse, last, "--select", "int_person", "int_people_built")
    assert person_builds(warehouse) == []
    dbt_run(warehouse, last)
    assert person_builds(warehouse)[-1] == (last, None, True)
    assert changed_people(warehouse) == set()


def deleted_rows(warehouse: Path, schemas: tuple[str, ...]) -> dict[str, int]:
    """Rows deleted but still stored, per table of ``schemas`` (DuckDB's estimated_size counts
    them until the table is rewritten)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables()"
            f" WHERE schema_name IN {schemas}"
        ).fetchall()
        return {
            table: stored - con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
            for schema, table, stored in tables
        }


def test_patches_compact_tables_holding_many_deleted_rows(warehouse: Path) -> None:
    """Checkpoints do not vacuum (profiles.yml), so a patch leaves deleted rows stored; once they
    reach the compaction share a patch rewrites its table without them, to the same rows."""
    last, before = last_two_months(warehouse)
    dbt_run(warehouse, before)
    compacted = warehouse.parent / "compacted" / warehouse.name
    compacted.parent.mkdir()
    shutil.copy(warehouse, compacted)

    dbt_run(warehouse, last)
    assert person_builds(warehouse)[-1] == (last, before, True)
    deleted = deleted_rows(warehouse, ("main_intermediate",))
    assert any(deleted[table] > 0 for table in PATCHED), deleted

    dbt_run(compacted, last, compaction_deleted_share=0)
    assert person_builds(compacted)[-1] == (last, before, True)
    deleted = deleted_rows(compacted, ("main_staging", "main_intermediate"))
    assert set(PATCHED) <= set(deleted)
    assert not any(deleted.values()), deleted

    with duckdb.connect() as con:
        con.execute(f"ATTACH '{warehouse}' AS deleted_from (READ_ONLY)")
        con.execute(f"ATTACH '{compacted}' AS compacted (READ_ONLY)")
        assert_same_tables(con, "compacted", "deleted_from")
