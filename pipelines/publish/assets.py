"""Publication assets: the monthly release (after the quality gate) and the analyst snapshot."""

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.asset_keys import (
    DBT_DOCS_KEY,
    FCT_INDICATORS_KEY,
    INDICATOR_CHECK_NAMES,
    PUBLICATION_KEY,
    SCORECARD_STRATA_KEY,
    SNAPSHOT_KEY,
    group_owners,
)
from pipelines.contracts.indicators import INDICATOR_COLUMNS
from pipelines.partitions import MONTHLY, RUN_MONTHS_TAG, SINGLE_RUN
from pipelines.publish.release import METADATA, ReleaseInputs, publish_release
from pipelines.publish.scope import SCOPE_PATH, SLICE, load_scope, resolve_scope
from pipelines.publish.scorecard import latest_periods
from pipelines.publish.scorecard_definition import load_definition
from pipelines.publish.snapshot import refresh_snapshot
from pipelines.resources import WRITER_POOL, PublicationResource, WarehouseResource, table_exists

#: ``ops.manifest`` columns listed in a release's metadata.json.
RELEASE_MANIFEST_FIELDS = "path, table_name, delivery_month, sha256, rows_read, rows_loaded, status"
#: Case-mix strata of the scorecard (dbt model fct_scorecard_strata).
STRATA_TABLE = "main_marts.fct_scorecard_strata"
#: Dagster group of the publication assets.
GROUP = "publication"


class PublishConfig(dg.Config):
    """Run configuration of a release (recorded in metadata.json)."""

    revision_reason: str = ""
    #: a commissioner's scorecard weights file (docs/scorecard.md); empty: the seed's weights
    scorecard_weights: str = ""


def release_month(context: dg.AssetExecutionContext) -> str:
    """The last month of the run's partition range (the month being published)."""
    return max(context.partition_keys)


def _blocking_upstream_checks(context: dg.AssetExecutionContext) -> list[dg.AssetCheckKey]:
    """Blocking checks on every asset upstream of this one, in the graph the job was built from
    (a run of the publication alone still answers for the checks it did not run)."""
    graph = context.job_def.asset_layer.asset_graph.source_asset_graph
    upstream = dg.AssetSelection.assets(context.asset_key).upstream(include_self=False)
    found = {k for k in upstream.resolve_checks(graph) if graph.get_check_spec(k).blocking}
    # The indicator table's gate is required even when the graph leaves its checks out.
    found |= {dg.AssetCheckKey(FCT_INDICATORS_KEY, name) for name in INDICATOR_CHECK_NAMES}
    return sorted(found, key=lambda k: k.to_user_string())


def verify_quality_gate(context: dg.AssetExecutionContext) -> list[str]:
    """Refuse to publish unless the latest result of every blocking upstream check passed (or
    failed at WARN severity) after its asset's latest materialisation.

    Returns the checks verified; raises :class:`dagster.Failure` naming any failed or missing.
    """
    keys = _blocking_upstream_checks(context)
    records = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    problems = []
    for key in keys:
        record = records.get(key)
        event = record.event if record is not None else None
        evaluation = event.asset_check_evaluation if event is not None else None
        if evaluation is None:  # never run, or planned but not evaluated
            problems.append(f"{key.to_user_string()} has no result")
        elif evaluation.passed:
            latest = context.instance.get_latest_materialization_event(key.asset_key)
            if latest is not None and latest.timestamp > event.timestamp:
                problems.append(f"{key.to_user_string()} predates the latest materialisation")
        elif evaluation.severity != dg.AssetCheckSeverity.WARN:
            problems.append(f"{key.to_user_string()} failed")
    if problems:
        raise dg.Failure(
            description="Quality gate not passed; nothing published: " + "; ".join(problems)
        )
    return [k.to_user_string() for k in keys]


def publication_scope(publication: PublicationResource) -> pl.DataFrame:
    """The scope declared beside the resource's catalogue, else ``seeds/publication_scope.csv``."""
    if publication.catalogue_path:
        beside = Path(publication.catalogue_path).with_name(SCOPE_PATH.name)
        if beside.exists():
            return load_scope(beside)
    return load_scope()


def warehouse_frames(
    con: duckdb.DuckDBPyConnection, slices: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame | None, list[dict]]:
    """What a release reads from the warehouse: the indicator table (only the ``slices`` of
    :func:`pipelines.publish.scope.resolve_scope` when given), the geography (when built) and
    the ingest manifest (when present)."""
    query = f"SELECT {', '.join(INDICATOR_COLUMNS)} FROM main_marts.fct_indicators"
    if slices is None:
        indicators = con.sql(query).pl()
    else:
        con.register("_publication_slices", slices.select(SLICE).to_arrow())
        indicators = con.sql(
            f"{query} SEMI JOIN _publication_slices USING ({', '.join(SLICE)})"
        ).pl()
        con.unregister("_publication_slices")
    geography = None
    if table_exists(con, "main_marts.dim_geography"):
        geography = con.sql(
            "SELECT geography_type, geography_code, geography_name, parent_type, "
            "parent_code, parent_name FROM main_marts.dim_geography"
        ).pl()
    manifest: list[dict] = []
    if table_exists(con, "ops.manifest"):
        manifest = (
            con.sql(f"SELECT {RELEASE_MANIFEST_FIELDS} FROM ops.manifest ORDER BY path")
            .pl()
            .to_dicts()
        )
    return indicators, geography, manifest


def scorecard_strata(con: duckdb.DuckDBPyConnection, periods: pl.DataFrame) -> pl.DataFrame | None:
    """The case-mix strata of the scored indicators for the ``periods`` published (indicator_id,
    period), or None when the warehouse has none."""
    if not table_exists(con, STRATA_TABLE):
        return None
    con.register("_scorecard_periods", periods.select("indicator_id", "period").to_arrow())
    try:
        return con.sql(
            f"SELECT * FROM {STRATA_TABLE} "
            "SEMI JOIN _scorecard_periods USING (indicator_id, period)"
        ).pl()
    finally:
        con.unregister("_scorecard_periods")


@dg.asset(
    key=PUBLICATION_KEY,
    # the dbt docs go in the site first, so the index written with the release links them
    deps=[FCT_INDICATORS_KEY, SCORECARD_STRATA_KEY, DBT_DOCS_KEY],
    partitions_def=MONTHLY,
    backfill_policy=SINGLE_RUN,
    group_name=GROUP,
    owners=group_owners(GROUP),
    kinds={"csv", "parquet", "xlsx", "html"},
    description="Disclosure-controlled release `publications/<YYYY-MM>/` of the publication scope "
    "(tidy CSV, Parquet, XLSX, charts, metadata, download page), written atomically after the "
    "quality gate.",
)
def release(
    context: dg.AssetExecutionContext,
    config: PublishConfig,
    warehouse: WarehouseResource,
    publication: PublicationResource,
) -> dg.MaterializeResult:
    month = release_month(context)
    verified = verify_quality_gate(context)
    catalogue = publication.catalogue()
    scope = publication_scope(publication)
    slices = resolve_scope(scope, catalogue["indicator_id"].to_list())
    with warehouse.connect() as con:
        indicators, geography, manifest = warehouse_frames(con, slices)
        strata = scorecard_strata(con, latest_periods(indicators, load_definition()))
    keys = sorted(context.partition_keys)
    months = context.run.tags.get(RUN_MONTHS_TAG, f"{keys[0]}..{keys[-1]}").split("..")
    inputs = ReleaseInputs(
        month=month,
        indicators=indicators,
        catalogue=catalogue,
        geography=geography,
        manifest=manifest,
        scope=scope,
        run_config={
            "months": [months[0], months[-1]],
            "revision_reason": config.revision_reason,
            "scorecard_weights": Path(config.scorecard_weights).name
            if config.scorecard_weights
            else "",
            "run_id": context.run.run_id,
            "checks_verified": verified,
        },
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        strata=strata,
        scorecard_weights=config.scorecard_weights,
    )
    folder = publish_release(publication.publications_path(), inputs)
    meta = json.loads((folder / METADATA).read_text())
    counts = meta["disclosure_control"]["rows_by_symbol"]
    shares = {
        f"published_share_{r['geography_type']}": r["share"]
        for r in meta["disclosure_control"]["published_share"]
    }
    return dg.MaterializeResult(
        metadata={
            "release": month,
            "folder": dg.MetadataValue.path(str(folder)),
            "rows": sum(counts.values()),
            "suppressed_rows": counts.get("[c]", 0) + counts.get("[u]", 0),
            "checks_verified": len(verified),
            **shares,
        }
    )


@dg.asset(
    key=SNAPSHOT_KEY,
    deps=[PUBLICATION_KEY],
    partitions_def=MONTHLY,
    backfill_policy=SINGLE_RUN,
    group_name=GROUP,
    owners=group_owners(GROUP),
    pool=WRITER_POOL,
    kinds={"duckdb"},
    description="Read-only DuckDB copy of the marts and staging for analysts, refreshed after "
    "a successful release.",
)
def analyst_snapshot(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    publication: PublicationResource,
) -> dg.MaterializeResult:
    target = publication.snapshot_path()
    with warehouse.connect() as con:
        refreshed = refresh_snapshot(con, target, release_month(context))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "tables": len(refreshed.rows),
            "rows": sum(refreshed.rows.values()),
            "staging_tables_patched": len(refreshed.patched),
            "staging_tables_unchanged": len(refreshed.kept),
        }
    )
