"""Incremental staging: a build appends only the months after the last one, and equals a full
rebuild whatever happened in between (a new month, an earlier as-of month, a re-delivery); the
analyst snapshot patched from its previous copy equals the warehouse's staging tables."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.contracts.deliveries import CONTRACTS
from pipelines.ingest.workers import load_months
from pipelines.publish.snapshot import SnapshotRefresh, refresh_snapshot, spare_path
from pipelines.settings import DEV_PSEUDO_KEY
from pipelines.transform.project import DBT_EXECUTABLE, PROJECT_DIR
from tests.support.table_compare import assert_same_rows, beside_full_rebuild

STAGED = sorted(f"stg_{t}" for t in CONTRACTS)


def staging_run(warehouse: Path, as_of: str, *flags: str) -> None:
    """``dbt run`` of the staging models as of ``as_of`` on ``warehouse``."""
    variables = {"warehouse_path": str(warehouse), "as_of_month": as_of}
    done = subprocess.run(
        [str(DBT_EXECUTABLE), "run", "--select", "staging", *flags, "--vars",
         json.dumps(variables), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(warehouse.parent / "dbt_target")],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]


def last_builds(warehouse: Path) -> dict[str, str | None]:
    """Each staging model's months read by its latest build: None for a full build."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT model, arg_max_null(since_month, started_at), bool_and(finished) "
            "FROM ops.staging_builds GROUP BY model"
        ).fetchall()
    assert all(finished for _, _, finished in rows)
    return {model: since for model, since, _ in rows}


def assert_same_as_full_rebuild(warehouse: Path, as_of: str) -> None:
    """Every staging table equals a ``--full-refresh`` of a copy, row for row."""
    with beside_full_rebuild(
        warehouse, lambda reference: staging_run(reference, as_of, "--full-refresh")
    ) as con:
        for model in STAGED:
            built, full = f"built.main_staging.{model}", f"full_build.main_staging.{model}"
            assert con.execute(f"SELECT count(*) FROM {built}").fetchone()[0] > 0, model
            assert_same_rows(con, model, built, full)


def refreshed_snapshot(warehouse: Path, snapshot: Path) -> SnapshotRefresh:
    """Refresh ``snapshot`` from ``warehouse``; assert its staging tables equal the warehouse's."""
    with duckdb.connect(str(warehouse)) as con:
        refreshed = refresh_snapshot(con, snapshot, "test")
        con.execute(f"ATTACH '{snapshot}' AS snap (READ_ONLY)")
        for model in STAGED:
            assert_same_rows(con, model, f"main_staging.{model}", f"snap.main_staging.{model}")
    return refreshed


@pytest.fixture
def warehouse(ci_warehouse: Path, tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(ci_warehouse / "warehouse.duckdb", path)
    return path


def test_staging_appends_months_and_rebuilds_when_history_changed(
    warehouse: Path, ci_synth: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.sql("SELECT DISTINCT _delivery_month FROM raw.pnc_disposal ORDER BY 1")
        months = [month for (month,) in found.fetchall()]
    last, before, earlier = months[-1], months[-2], months[-3]

    snapshot = tmp_path / "snapshot" / "snapshot.duckdb"

    # as of an earlier month than the table holds: rebuilt in full
    staging_run(warehouse, before)
    assert last_builds(warehouse) == dict.fromkeys(STAGED)
    assert_same_as_full_rebuild(warehouse, before)
    first = refreshed_snapshot(warehouse, snapshot)
    assert first.patched == () and first.kept == ()

    # the next month: only its rows are read, and only they are patched into the snapshot
    staging_run(warehouse, last)
    assert last_builds(warehouse) == dict.fromkeys(STAGED, before)
    assert_same_as_full_rebuild(warehouse, last)
    assert sorted(refreshed_snapshot(warehouse, snapshot).patched) == STAGED
    # no build since: the spare (the first snapshot) is patched with the same months...
    assert sorted(refreshed_snapshot(warehouse, snapshot).patched) == STAGED
    # ... and a copy of the current snapshot is kept as it is
    spare_path(snapshot).unlink()
    assert sorted(refreshed_snapshot(warehouse, snapshot).kept) == STAGED

    # a corrected earlier delivery of one table: that table is rebuilt, the others append
    landing = tmp_path / "landing"
    shutil.copytree(ci_synth / "landing", landing)
    delivery = next((landing / "pnc" / earlier).glob("pnc_disposal_*"))
    lines = delivery.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = [lines[0], *lines[2:]]  # one disposal withdrawn
    changed[1] = changed[1].replace("|ACQ|", "|CONV|").replace("|CAUT|", "|CONV|")
    delivery.write_text("".join(changed), encoding="utf-8")
    with duckdb.connect(str(warehouse)) as con:
        outcomes = list(
            load_months(con, CONTRACTS["pnc_disposal"], landing, [earlier], DEV_PSEUDO_KEY)
        )
    assert [o.status for o in outcomes] == ["loaded"]
    staging_run(warehouse, last)
    assert last_builds(warehouse) == {**dict.fromkeys(STAGED, last), "stg_pnc_disposal": None}
    assert_same_as_full_rebuild(warehouse, last)
    patched = refreshed_snapshot(warehouse, snapshot).patched
    assert sorted(patched) == sorted(set(STAGED) - {"stg_pnc_disposal"})  # it was copied afresh
