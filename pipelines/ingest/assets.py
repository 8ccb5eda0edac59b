"""The ten ingest assets ``raw/<table>``, one per delivered source table."""

import warnings

import dagster as dg

from pipelines.asset_keys import group_owners
from pipelines.contracts.deliveries import CONTRACTS, Contract
from pipelines.ingest.delivery_checks import check_specs, evaluate
from pipelines.ingest.load import ensure_tables
from pipelines.ingest.messages import FileFault
from pipelines.ingest.workers import load_months, worker_count
from pipelines.partitions import MONTHLY, SINGLE_RUN
from pipelines.resources import WRITER_POOL, WarehouseResource

#: Dagster group of the ingest assets (``outcomes run`` selects them by it).
GROUP = "ingest"


def build_ingest_asset(contract: Contract) -> dg.AssetsDefinition:
    """An asset loading ``contract``'s deliveries for every month of the run, in order."""
    key = dg.AssetKey(["raw", contract.table])

    @dg.asset(
        key=key,
        group_name=GROUP,
        owners=group_owners(GROUP),
        partitions_def=MONTHLY,
        backfill_policy=SINGLE_RUN,
        pool=WRITER_POOL,
        kinds={"duckdb", "polars"},
        description=f"{contract.description}. Reads `landing/{contract.source}/<YYYY-MM>/"
        f"{contract.file_prefix}<yyyymm>{contract.suffix}`.",
        check_specs=check_specs(contract, key),
        metadata={"contract": f"pipelines/contracts/deliveries.py:{contract.table}"},
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        months = sorted(context.partition_keys)
        landing, key = warehouse.landing_path(), warehouse.key()
        workers = worker_count(warehouse.ingest_workers(), contract, landing, months)
        outcomes = []
        with warehouse.connect() as con:
            # fewer checkpoints than every 16 MB of WAL
            con.execute("SET checkpoint_threshold = '256MB'")
            ensure_tables(con, list(CONTRACTS.values()))
            loading = load_months(con, contract, landing, months, key, workers)
            while True:
                try:
                    outcome = next(loading, None)
                except FileFault as fault:
                    raise dg.Failure(
                        description=f"{contract.table} {fault.month}: {fault}",
                        metadata={"file": fault.path, "fault": fault.fault},
                    ) from fault
                if outcome is None:
                    break
                outcomes.append(outcome)
                files = outcome.files
                context.log.info(
                    "%s %s: %s (%d read, %d loaded, %d quarantined)",
                    contract.table,
                    outcome.month,
                    outcome.status,
                    sum(f.rows_read for f in files),
                    sum(f.rows_loaded for f in files),
                    sum(f.rows_quarantined for f in files),
                )
            results = evaluate(con, contract, months, outcomes)
            total = con.execute(f"SELECT count(*) FROM raw.{contract.table}").fetchall()[0][0]
        loaded = [f for o in outcomes for f in o.files if o.status == "loaded"]
        return dg.MaterializeResult(
            metadata={
                "months": f"{months[0]}..{months[-1]}",
                "months_loaded": sum(o.status == "loaded" for o in outcomes),
                "months_skipped_unchanged": sum(o.status == "skipped" for o in outcomes),
                "months_missing": sum(o.status == "missing" for o in outcomes),
                "rows_read": sum(f.rows_read for f in loaded),
                "rows_loaded": sum(f.rows_loaded for f in loaded),
                "rows_quarantined": sum(f.rows_quarantined for f in loaded),
                "dagster/row_count": total,
            },
            check_results=results,
        )

    return _ingest


def ingest_assets() -> list[dg.AssetsDefinition]:
    """One asset per contract (``backfill_policy`` is beta in dagster 1.13: warning silenced)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        return [build_ingest_asset(c) for c in CONTRACTS.values()]
