"""Helpers for the publication tests: a real DuckDB warehouse holding a sample indicator table,
and Dagster runs of the fct stand-in, the quality gate and the publication assets.

(Until the dbt marts exist the stand-in asset writes ``main_marts.fct_indicators`` with the
documented columns; it has the dbt asset's key, so the gate and publication see a real graph.)
"""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.asset_keys import FCT_INDICATORS_KEY
from pipelines.partitions import MONTHLY, SINGLE_RUN
from pipelines.resources import PublicationResource, WarehouseResource
from tests.support.sample_indicators import (
    sample_catalogue,
    sample_geography,
    sample_indicators,
    sample_scope,
)

MONTHS = [f"2024-{m:02d}" for m in range(1, 7)]


def write_catalogue(folder: Path) -> Path:
    """The sample catalogue, with a scope publishing every slice beside it."""
    path = folder / "indicator_catalogue.csv"
    sample_catalogue().write_csv(path)
    sample_scope().write_csv(folder / "publication_scope.csv")
    return path


def fct_asset(indicators: pl.DataFrame, geography: pl.DataFrame | None = None):
    """A stand-in for the dbt model: writes the given rows as ``main_marts.fct_indicators``."""
    geography = sample_geography() if geography is None else geography

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.BetaWarning)

        @dg.asset(key=FCT_INDICATORS_KEY, partitions_def=MONTHLY, backfill_policy=SINGLE_RUN)
        def fct_indicators(warehouse: WarehouseResource) -> None:
            with warehouse.connect() as con:
                con.execute("CREATE SCHEMA IF NOT EXISTS main_marts")
                con.register("ind", indicators.to_arrow())
                con.register("geo", geography.to_arrow())
                con.execute("CREATE OR REPLACE TABLE main_marts.fct_indicators AS FROM ind")
                con.execute("CREATE OR REPLACE TABLE main_marts.dim_geography AS FROM geo")
                con.execute(
                    "CREATE OR REPLACE VIEW main_marts.v_headline AS FROM "
                    "main_marts.fct_indicators WHERE breakdown = 'none'"
                )

    return fct_indicators


def resources(tmp: Path) -> dict:
    return {
        "warehouse": WarehouseResource(warehouse=str(tmp / "warehouse.duckdb")),
        "publication": PublicationResource(
            publications_dir=str(tmp / "publications"),
            snapshot=str(tmp / "snapshot.duckdb"),
            catalogue_path=str(write_catalogue(tmp)),
            gx_docs_dir=str(tmp / "gx_docs"),
        ),
    }


def run_publication(
    tmp: Path,
    indicators: pl.DataFrame | None = None,
    months: list[str] | None = None,
    reason: str = "",
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialise the stand-in fct, the indicator checks, the release and the snapshot."""
    from pipelines.publish.assets import analyst_snapshot, release
    from pipelines.quality.gate import gate_checks

    months = months or MONTHS
    indicators = sample_indicators(1) if indicators is None else indicators
    defs_assets = [fct_asset(indicators), release, analyst_snapshot]
    checks = gate_checks(raw_tables=[], spine_key=None)
    return dg.materialize(
        [*defs_assets, *checks],
        resources=resources(tmp),
        instance=instance or dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": months[0],
            "dagster/asset_partition_range_end": months[-1],
        },
        run_config={"ops": {"publication__release": {"config": {"revision_reason": reason}}}},
        raise_on_error=False,
    )


def failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    return sorted(
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in result.get_asset_check_evaluations()
        if not e.passed
    )


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
