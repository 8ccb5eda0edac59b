"""The dbt models as monthly-partitioned Dagster assets (dbt tests become asset checks)."""

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.asset_keys import GROUP_OWNERS, group_owners
from pipelines.partitions import MONTHLY, SINGLE_RUN
from pipelines.resources import WRITER_POOL, WarehouseResource
from pipelines.transform.cli_resource import LauncherDbtCli
from pipelines.transform.dbt_child import PARENT_ENV
from pipelines.transform.project import DBT_LAUNCHER, dbt_project
from pipelines.transform.row_counts import with_row_counts
from pipelines.transform.target_folders import keep_partial_parse, prune_run_targets

#: Dagster group of each dbt layer (by the model's folder under ``models/``).
LAYER_GROUPS = {"staging": "dbt_staging", "intermediate": "dbt_intermediate", "marts": "dbt_marts"}
#: Code spans (left alone) and HTML-like placeholders such as ``<YYYY-MM>`` outside them.
CODE_SPAN = re.compile(r"(`+[^`]*`+)")
PLACEHOLDER = re.compile(r"<[A-Za-z!/?][^<>\n]*>")
#: Environment variable the dbt project's ``as_of_month()`` macro reads the run's month from.
AS_OF_ENV = "OUTCOMES_AS_OF_MONTH"


def markdown_safe(text: str) -> str:
    """``text`` with every ``<placeholder>`` outside a code span put in one, so that Dagster's
    markdown rendering shows it instead of swallowing it as an HTML tag."""
    parts = CODE_SPAN.split(text)
    return "".join(
        part if i % 2 else PLACEHOLDER.sub(lambda m: f"`{m.group(0)}`", part)
        for i, part in enumerate(parts)
    )


class OutcomesTranslator(DagsterDbtTranslator):
    """Sources keep the ingest/linkage keys from ``meta.dagster.asset_key`` (``["raw", table]``,
    ``["linkage", "spine"]``); a model's key is its name (``["fct_indicators"]``), a seed's
    ``["seeds", name]``; models are grouped by layer, seeds as reference data, and each group's
    owner is :data:`pipelines.asset_keys.GROUP_OWNERS`'s."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        meta = dbt_resource_props.get("meta", {}).get("dagster", {})
        if resource_type == "source" and "asset_key" in meta:
            return dg.AssetKey(meta["asset_key"])
        if resource_type == "model":
            return dg.AssetKey([dbt_resource_props["name"]])
        if resource_type == "seed":
            return dg.AssetKey(["seeds", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference_data"
        fqn = dbt_resource_props.get("fqn", [])
        for layer, group in LAYER_GROUPS.items():
            if layer in fqn:
                return group
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        group = self.get_group_name(dbt_resource_props)
        if group in GROUP_OWNERS:
            return group_owners(group)
        return super().get_owners(dbt_resource_props)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The YAML description (placeholders made visible) followed by the model's SQL."""
        props = dict(dbt_resource_props)
        props["description"] = markdown_safe(props.get("description") or "")
        return super().get_description(props)


def run_vars(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dict[str, str]:
    """dbt vars for a run: ``profiles.yml`` reads the warehouse file from ``warehouse_path``
    (absolute: dbt runs in the project folder) and DuckDB's memory limit, threads and spill
    folder from ``duckdb_*``. The as-of month is not among them (:func:`as_of_environment`)."""
    config = warehouse.duckdb_config()
    return {
        "warehouse_path": str(warehouse.warehouse_path().resolve()),
        "duckdb_memory_limit": str(config["memory_limit"]),
        "duckdb_threads": str(config["threads"]),
        "duckdb_temp_dir": str(config["temp_directory"]),
    }


@contextmanager
def as_of_environment(context: dg.AssetExecutionContext) -> Iterator[None]:
    """While dbt processes start inside it, :data:`AS_OF_ENV` holds the run's as-of month (the
    last month of its partition range); restored on exit, so no later dbt of the same process
    inherits it. Not a var: the vars then stay the same from month to month and dbt's partial
    parsing stays valid (a changed ``--vars`` makes dbt parse the whole project again, about
    2.5 s per invocation)."""
    previous = os.environ.get(AS_OF_ENV)
    os.environ[AS_OF_ENV] = context.partition_key_range.end
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(AS_OF_ENV, None)
        else:
            os.environ[AS_OF_ENV] = previous


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=OutcomesTranslator(),
    partitions_def=MONTHLY,
    backfill_policy=SINGLE_RUN,
    pool=WRITER_POOL,
)
def outcome_model(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """``dbt build`` (seeds, models, tests) on the run's warehouse, as of the last month of the
    run's range; each built table's materialisation carries ``dagster/row_count``
    (:mod:`pipelines.transform.row_counts`). dbt runs as many nodes at once as DuckDB has
    threads: they share the one database's memory limit, and dbt's own Python work between
    queries overlaps DuckDB's (national: 304 s -> 280 s). A successful build's parse becomes the
    next invocation's starting point, and older per-run target folders are pruned afterwards
    (:mod:`pipelines.transform.target_folders`)."""
    dbt_vars = run_vars(context, warehouse)
    args = ["build", "--threads", dbt_vars["duckdb_threads"], "--vars", json.dumps(dbt_vars)]
    os.environ[PARENT_ENV] = str(os.getpid())  # dbt checks it still has this parent
    with as_of_environment(context):  # dbt's process starts here, with this environment
        invocation = dbt.cli(args, context=context)
    project = dbt_project()
    run_target = project.project_dir / invocation.target_path
    try:
        yield from with_row_counts(invocation.stream(), invocation.manifest, warehouse)
        keep_partial_parse(run_target, project.project_dir / project.target_path)
    finally:
        prune_run_targets(run_target)


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource running the venv's dbt on this project, through the launcher that
    ends it with the run (:mod:`pipelines.transform.dbt_child`), without dagster-dbt's version
    subprocess and adapter (:mod:`pipelines.transform.cli_resource`)."""
    return LauncherDbtCli(project_dir=dbt_project(), dbt_executable=str(DBT_LAUNCHER))
