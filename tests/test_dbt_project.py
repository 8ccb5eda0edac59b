"""The dbt outcome model: builds from the dbt CLI and from Dagster, lineage, contracts, checks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.contracts.deliveries import CONTRACTS
from pipelines.contracts.indicators import INDICATOR_COLUMNS
from pipelines.resources import WarehouseResource
from pipelines.transform.project import (
    DBT_EXECUTABLE,
    PROJECT_DIR,
    dbt_project,
    is_current,
    parse_inputs,
)


def empty_warehouse(path: Path) -> Path:
    """A DuckDB file with every raw table (shaped by the ingest contracts) and the spine, empty."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema linkage")
        for table, contract in CONTRACTS.items():
            cols = ", ".join(f'"{c}" {t}' for c, t in contract.raw_columns.items())
            con.execute(f"create table raw.{table} ({cols})")
        con.execute(
            "create table linkage.spine (source varchar, record_key varchar, person_key varchar, "
            "cluster_id varchar, match_probability double, match_rule varchar)"
        )
    return path


def dbt(args: list[str], warehouse: Path) -> subprocess.CompletedProcess:
    """Run the venv's dbt in the project against ``warehouse`` (profile var ``warehouse_path``)."""
    target = ["--vars", json.dumps({"warehouse_path": str(warehouse)})]
    return subprocess.run(
        [str(DBT_EXECUTABLE), *args, *target, "--profiles-dir", str(PROJECT_DIR)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def manifest() -> Path:
    """The manifest the test session prepared (tests/conftest.py)."""
    path = dbt_project().manifest_path
    assert path.exists()
    return path


def test_dbt_assets_lineage(manifest: Path) -> None:
    """dbt sources are the ingest and linkage assets; every model is a monthly asset with checks."""
    from pipelines.partitions import MONTHLY
    from pipelines.transform.assets import outcome_model

    specs = {spec.key: spec for spec in outcome_model.specs}
    stg = specs[dg.AssetKey(["stg_pnc_disposal"])]
    assert {d.asset_key for d in stg.deps} == {dg.AssetKey(["raw", "pnc_disposal"])}
    spine = specs[dg.AssetKey(["stg_linkage_spine"])]
    assert {d.asset_key for d in spine.deps} == {dg.AssetKey(["linkage", "spine"])}
    indicators = specs[dg.AssetKey(["fct_indicators"])]
    assert indicators.group_name == "dbt_marts"
    assert outcome_model.partitions_def == MONTHLY
    assert outcome_model.backfill_policy == dg.BackfillPolicy.single_run()
    checks = {c.name for c in outcome_model.check_specs if c.asset_key == indicators.key}
    assert any(name.startswith("breakdowns_sum_to_total") for name in checks)
    assert any(name.startswith("unique_combination_of_columns") for name in checks)


def test_dagster_build_on_empty_warehouse(
    manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From Dagster, seeds, models, contracts and data and unit tests pass on empty raw tables; a
    range run passes its last month to dbt as ``as_of_month``; dbt tests run as asset checks.
    dbt builds the warehouse resource's file, whatever ``OUTCOMES_WAREHOUSE`` says."""
    from pipelines.transform.assets import dbt_resource, outcome_model

    warehouse = empty_warehouse(tmp_path / "wh.duckdb")
    decoy = tmp_path / "decoy.duckdb"
    monkeypatch.setenv("OUTCOMES_WAREHOUSE", str(decoy))
    result = dg.materialize(
        [outcome_model],
        instance=dg.DagsterInstance.ephemeral(),
        resources={"dbt": dbt_resource(), "warehouse": WarehouseResource(warehouse=str(warehouse))},
        tags={
            "dagster/asset_partition_range_start": "2024-01",
            "dagster/asset_partition_range_end": "2024-06",
        },
    )
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) > 100
    failed = [
        e.check_name
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ctx = con.execute("select as_of_month from main_intermediate.int_run_context").fetchall()
        columns = con.execute(
            "select column_name from information_schema.columns where table_schema = 'main_marts' "
            "and table_name = 'fct_indicators' order by ordinal_position"
        ).fetchall()
        catalogue = con.execute("select count(*) from main_seeds.indicator_catalogue").fetchall()
    assert not decoy.exists()
    assert ctx == [("2024-06",)]
    assert [c[0] for c in columns] == INDICATOR_COLUMNS
    assert catalogue == [(37,)]


@pytest.fixture(scope="module")
def ci_cli_build(
    ci_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess]:
    """A private copy of the ci pipeline's warehouse, rebuilt with the dbt CLI."""
    warehouse = tmp_path_factory.mktemp("dbt_ci") / "warehouse.duckdb"
    shutil.copy(ci_warehouse / "warehouse.duckdb", warehouse)
    return warehouse, dbt(["build"], warehouse)


@pytest.fixture(scope="module")
def ci_built(ci_cli_build: tuple[Path, subprocess.CompletedProcess]) -> Path:
    return ci_cli_build[0]


def test_dbt_cli_build_on_ci(ci_cli_build: tuple[Path, subprocess.CompletedProcess]) -> None:
    """``dbt build`` from the CLI passes every data test and the unit tests of the fiddly logic."""
    _, result = ci_cli_build
    assert result.returncode == 0, result.stdout[-4000:]
    assert "ERROR=0" in result.stdout and "WARN=0" in result.stdout
    for unit_test in (
        "continuity_21_day_window_edges",
        "deaths_28_day_and_12_month_edges",
        "reoffending_12_plus_6_month_windows",
        "ogrs3_worked_example",
        "ni40_effective_treatment_rule",
        "journeys_and_representation_window",
        "wilson_interval",
    ):
        assert re.search(rf"PASS \S+::{unit_test}\b", result.stdout), unit_test


def test_ci_indicators_cover_the_model(ci_built: Path) -> None:
    """On the ci preset every catalogue indicator and all 13 sub-outcomes have rows, immature
    periods are flagged, and release cohorts younger than 18 months are not published."""
    with duckdb.connect(str(ci_built), read_only=True) as con:
        missing = con.execute(
            """
            select c.indicator_id from main_seeds.indicator_catalogue as c
            where c.indicator_id not in (select indicator_id from main_marts.fct_indicators)
            """
        ).fetchall()
        subs = con.execute(
            """
            select count(distinct c.sub_outcome_id) from main_marts.fct_indicators as f
            join main_seeds.indicator_catalogue as c using (indicator_id)
            """
        ).fetchall()
        statuses = dict(
            con.execute(
                """
                select status, max(period) from main_marts.fct_indicators
                where indicator_id = 'so04_proven_reoffending_rate'
                    and period_type = 'release_cohort'
                group by status
                """
            ).fetchall()
        )
        maturity = con.execute(
            """
            select distinct maturity_period from main_marts.fct_indicators
            where indicator_id = 'so04_proven_reoffending_rate' and period_type = 'release_cohort'
            """
        ).fetchall()
    assert missing == []
    assert subs == [(13,)]
    assert maturity == [("cohort 2023-06",)]
    assert statuses["published"] == "cohort 2023-06"
    assert statuses["not_yet_mature"] == "cohort 2024-12"


def test_ci_indicators_match_truth(
    ci_built: Path, ci_synth: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Fast accuracy smoke check on the ci preset, on a release published from the CLI build:
    its only mature re-offending period is one monthly cohort of about 30 people, so tolerances
    are 3 pp / 10% here; the acceptance test (1 pp) runs on the demo preset."""
    from tests.support.indicator_truth import compare, publish_from_warehouse

    release = publish_from_warehouse(ci_built, tmp_path_factory.mktemp("ci_release"))
    comparisons = compare(release, ci_synth / "truth")
    missing = [
        c.indicator_id
        for c in comparisons
        if c.truth is None or (c.published is None and not c.withheld_for_own_counts)
    ]
    assert missing == []
    limits = {"proportion": 0.03}
    outside = [
        (c.indicator_id, c.published, c.truth)
        for c in comparisons
        if c.published is not None and c.error > limits.get(c.unit, 0.10)
    ]
    assert outside == []


def test_manifest_is_reparsed_only_when_an_input_changed(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    model = models / "m.sql"
    model.write_text("select 1")
    manifest = tmp_path / "manifest.json"
    assert not is_current(manifest, [models, model])
    manifest.write_text("{}")
    os.utime(models, (1_000, 1_000))
    os.utime(model, (1_000, 1_000))
    assert is_current(manifest, [models, model])
    os.utime(model, None)  # an edited model
    assert not is_current(manifest, [models, model])
    os.utime(model, (1_000, 1_000))
    (models / "n.sql").write_text("select 2")  # a new (or deleted) file changes its folder
    assert not is_current(manifest, [models, model])


def test_parse_inputs_cover_models_macros_seeds_and_dbt() -> None:
    found = set(parse_inputs())
    assert DBT_EXECUTABLE in found and PROJECT_DIR / "dbt_project.yml" in found
    assert any(p.suffix == ".sql" and "models" in p.parts for p in found)
    assert any(p.suffix == ".sql" and "macros" in p.parts for p in found)
    assert any(p.suffix == ".csv" and "seeds" in p.parts for p in found)
    target = PROJECT_DIR / "target"
    assert not any(p == target or target in p.parents for p in found)
