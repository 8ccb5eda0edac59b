"""Linkage's part of the code location: the ``linkage/spine`` asset and its quality checks."""

import warnings

import dagster as dg

from pipelines.asset_keys import SPINE_KEY, group_owners, raw_key
from pipelines.contracts.deliveries import IDENTITY_TABLES
from pipelines.linkage import models
from pipelines.linkage.link import link
from pipelines.linkage.link_checks import evaluate, record_stats
from pipelines.linkage.profiles import named_profiles, ndtms_profiles
from pipelines.linkage.report import write_report
from pipelines.linkage.tables import ensure_tables
from pipelines.partitions import MONTHLY, SINGLE_RUN
from pipelines.resources import RESOURCES, WRITER_POOL, WarehouseResource

SPINE = SPINE_KEY
#: The ingest assets holding identity-bearing records (all write identity.person_records).
IDENTITY_ASSETS = [raw_key(table) for table in IDENTITY_TABLES]
CHECKS = {
    "match_rate_vs_previous": "Cross-source match rate per source against the previous run",
    "oversized_clusters": "No person with implausibly many records or PNC IDs",
    "share_unlinked": "Share of named-source records linked to nothing",
    "person_keys_stable": "Share of existing person keys changed by merges and splits",
}


def _effective_month(con, end: str) -> str:
    """The range end, or the latest month already linked if later (re-running an old month
    never drops later records from the spine)."""
    ensure_tables(con)
    latest = con.execute("select max(month) from linkage.runs").fetchall()[0][0]
    return max(end, latest) if latest else end


with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=dg.BetaWarning)

    @dg.asset(
        key=SPINE,
        group_name="linkage",
        owners=group_owners("linkage"),
        deps=IDENTITY_ASSETS,
        partitions_def=MONTHLY,
        backfill_policy=SINGLE_RUN,
        pool=WRITER_POOL,
        kinds={"duckdb", "splink"},
        description="Person spine across the five sources: `linkage.spine` (source, record_key, "
        "person_key, cluster_id, match_probability, match_rule) and `linkage.spine_events`. "
        "Deterministic keys first, then Splink (named and NDTMS models). See `docs/linkage.md`.",
        check_specs=[
            dg.AssetCheckSpec(name, asset=SPINE, description=text, blocking=True)
            for name, text in CHECKS.items()
        ],
    )
    def spine(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Link every identity record delivered up to the run's last month."""
        with warehouse.connect() as con:
            month = _effective_month(con, context.partition_key_range.end)
            summary = link(con, warehouse.key(), month)
            record_stats(con, summary)
            outcomes = evaluate(con, month)
            samples = {
                models.NAMED: named_profiles(con, limit=50),
                models.NDTMS: ndtms_profiles(con, limit=50),
            }
            report = write_report(
                con,
                warehouse.warehouse_path().parent / "linkage_report",
                month,
                outcomes,
                samples,
            )
            rules = dict(
                con.execute(
                    "select match_rule, count(*) from linkage.spine group by all order by all"
                ).fetchall()
            )
        context.log.info("linkage %s: %s", month, summary)
        return dg.MaterializeResult(
            metadata={
                "month": month,
                "records": summary.records,
                "new_records": summary.new_records,
                "persons": summary.clusters,
                "keys_changed": summary.keys_changed,
                "merges": summary.merges,
                "splits": summary.splits,
                "records_by_rule": rules,
                "seconds": summary.seconds,
                "report": dg.MetadataValue.path(str(report)),
                "dagster/row_count": summary.records,
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=o.name,
                    passed=o.passed,
                    severity=dg.AssetCheckSeverity(o.severity),
                    description=o.description,
                    metadata=o.metadata,
                )
                for o in outcomes
            ],
        )


defs = dg.Definitions(assets=[spine], resources=RESOURCES)
