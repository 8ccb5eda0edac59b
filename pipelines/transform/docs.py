"""The dbt docs of the build as one static page in the download site.

``dbt docs generate --static`` writes ``static_index.html``: the docs site with the manifest
(models, columns, descriptions, SQL, lineage) and the catalog embedded. DuckDB's catalog holds
relation and column names, types and comments only (no row, value or statistic), so the page
carries no data. It goes in the site's root (not a release folder: it embeds generation times,
and releases are byte-identical for the same input) and the site's index links to it.
"""

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.asset_keys import DBT_DOCS_FILE, DBT_DOCS_KEY, group_owners
from pipelines.partitions import MONTHLY, SINGLE_RUN
from pipelines.resources import WRITER_POOL, PublicationResource, WarehouseResource
from pipelines.transform.assets import as_of_environment, outcome_model, run_vars
from pipelines.transform.project import dbt_project

#: The page dbt writes into its target folder.
STATIC_PAGE = "static_index.html"
#: Artifacts of the run's ``dbt build`` that let ``docs generate`` skip compiling: the manifest
#: (with every built model's compiled SQL) and dbt's partial-parse state.
BUILD_ARTIFACTS = ("manifest.json", "partial_parse.msgpack")


def build_target(run_id: str) -> Path | None:
    """The target folder of this run's ``dbt build``, if it ran in this run: dagster-dbt names
    it ``<step>-<first 7 characters of the run id>-<random>`` (under the project's target)."""
    pattern = f"{outcome_model.op.name}-{run_id[:7]}-*/{BUILD_ARTIFACTS[0]}"
    found = list((dbt_project().project_dir / "target").glob(pattern))
    return found[0].parent if len(found) == 1 else None


def reuse_build(run_id: str, target: Path) -> bool:
    """Copy the run's build artifacts into ``target``; False when there is no build to reuse."""
    built = build_target(run_id)
    if built is None:
        return False
    for name in BUILD_ARTIFACTS:
        if (built / name).exists():
            shutil.copyfile(built / name, target / name)
    return True


def install(page: Path, target: Path) -> Path:
    """Copy ``page`` to ``target`` through a temporary file in its folder and a rename, so a
    reader of the site sees the old page or the new one, never part of one (a killed run's
    temporary file is deleted by the next)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        shutil.copyfile(page, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


# ``backfill_policy`` is beta in dagster 1.13
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=dg.BetaWarning)

    @dg.asset(
        key=DBT_DOCS_KEY,
        deps=[outcome_model],
        partitions_def=MONTHLY,
        backfill_policy=SINGLE_RUN,
        pool=WRITER_POOL,
        group_name="publication",
        owners=group_owners("publication"),
        kinds={"dbt", "html"},
        description="dbt docs of the build (models, columns, tests, lineage; no data) as one "
        f"static page, `publications/{DBT_DOCS_FILE}`, linked from the site's index.",
    )
    def dbt_docs(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        publication: PublicationResource,
    ) -> dg.MaterializeResult:
        """``dbt docs generate --static`` on the run's warehouse, installed in the site's root;
        ``--no-compile`` from the manifest of the run's own ``dbt build`` when it has one
        (national: 3.7 s against 8.4 s compiling every model again)."""
        args = ["docs", "generate", "--static", "--vars", json.dumps(run_vars(context, warehouse))]
        with tempfile.TemporaryDirectory(prefix="dbt-docs-") as tmp:
            target = Path(tmp)
            if reuse_build(context.run.run_id, target):
                args.append("--no-compile")
                context.log.info("dbt docs from this run's build manifest (not compiled again)")
            with as_of_environment(context):
                invocation = dbt.cli(args, manifest=dbt_project().manifest_path, target_path=target)
            invocation.wait()
            catalog = json.loads((target / "catalog.json").read_text())
            page = install(target / STATIC_PAGE, publication.publications_path() / DBT_DOCS_FILE)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(page)),
                "bytes": page.stat().st_size,
                "relations": len(catalog["nodes"]) + len(catalog["sources"]),
            }
        )
