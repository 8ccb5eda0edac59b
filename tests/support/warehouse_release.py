"""Build a release straight from a built warehouse (as the publication asset does, without
Dagster): the scorecard, publication-fault and browser tests use it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.catalogue import load_catalogue
from pipelines.publish.assets import scorecard_strata, warehouse_frames
from pipelines.publish.release import ReleaseInputs, publish_release
from pipelines.publish.scope import load_scope, resolve_scope
from pipelines.publish.scorecard import latest_periods
from pipelines.publish.scorecard_definition import load_definition


def warehouse_inputs(
    database: Path, generated_at: str = "2026-01-01T00:00:00", weights: str = ""
) -> ReleaseInputs:
    """What the release asset reads from ``database`` (a built ``warehouse.duckdb``), with
    ``weights`` (a weights file; empty for the defaults)."""
    catalogue = load_catalogue()
    scope = load_scope()
    with duckdb.connect(str(database), read_only=True) as con:
        indicators, geography, manifest = warehouse_frames(
            con, resolve_scope(scope, catalogue["indicator_id"].to_list())
        )
        strata = scorecard_strata(con, latest_periods(indicators, load_definition()))
        query = "SELECT as_of_month FROM main_intermediate.int_run_context"
        (month,) = con.execute(query).fetchone()
    return ReleaseInputs(
        month,
        indicators,
        catalogue,
        geography,
        manifest,
        scope=scope,
        generated_at=generated_at,
        strata=strata,
        scorecard_weights=weights,
    )


def release_from_warehouse(warehouse: Path, out: Path, weights: str = "") -> Path:
    """Publish ``<warehouse>/warehouse.duckdb`` into ``out``; returns the release folder."""
    return publish_release(out, warehouse_inputs(warehouse / "warehouse.duckdb", weights=weights))
